package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

const (
	// EnvConfigFile is the environment variable naming the config file.
	// It is not a config key, so Load does not report it as unknown.
	EnvConfigFile = "MCPGATE_CONFIG"

	envPrefix = "MCPGATE_"
	// fileSuffix turns a secret key into one naming a file that holds the
	// secret, so secrets can come from mounted files (Docker/Kubernetes
	// secrets) instead of sitting in the config file or the environment.
	fileSuffix = "_file"
)

// valueKind is the set of field types Load knows how to set from YAML and
// from the environment; anything else in Config is a programming error.
type valueKind int

const (
	kindUnsupported valueKind = iota
	kindString
	kindStrings
	kindStringMap
	kindDuration
	kindBool
	kindInt
	kindFloat
	kindStruct
	// kindStructs is a list of mappings (clients, service_accounts). It is
	// one leaf: its items are decoded field by field from YAML, and from a
	// JSON array in the environment, where flat variables cannot express it.
	kindStructs
)

func kindOf(t reflect.Type) valueKind {
	str := reflect.TypeFor[string]()
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return kindDuration
	case t.Kind() == reflect.String:
		return kindString
	case t.Kind() == reflect.Bool:
		return kindBool
	case t.Kind() == reflect.Int:
		return kindInt
	case t.Kind() == reflect.Float64:
		return kindFloat
	case t.Kind() == reflect.Slice && t.Elem() == str:
		return kindStrings
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return kindStructs
	case t.Kind() == reflect.Map && t.Key() == str && t.Elem() == str:
		return kindStringMap
	case t.Kind() == reflect.Struct:
		return kindStruct
	}
	return kindUnsupported
}

// describe says what a value of kind k looks like, for error messages.
func (k valueKind) describe() string {
	switch k {
	case kindString:
		return "a string"
	case kindStrings:
		return "a list of strings"
	case kindStringMap:
		return "a mapping of strings to strings"
	case kindDuration:
		return "a duration such as 90s, 15m or 1h"
	case kindBool:
		return "true or false"
	case kindInt:
		return "a whole number"
	case kindFloat:
		return "a number such as 0.25"
	case kindStruct:
		return "a mapping"
	case kindStructs:
		return "a list of mappings"
	}
	return "an unsupported type"
}

// field is one yaml-tagged field of a config struct.
type field struct {
	name   string // YAML key
	index  []int  // reflect field index path, through inlined structs
	typ    reflect.Type
	secret bool
}

// structFields lists t's yaml-tagged fields. An embedded struct tagged
// `yaml:",inline"` gives its fields as t's own, so that a list item (one
// of several upstreams) can carry every key of a section (upstream)
// without repeating them.
func structFields(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if sf.Anonymous && name == "" && opts == "inline" && sf.Type.Kind() == reflect.Struct {
			for _, inner := range structFields(sf.Type) {
				inner.index = append([]int{i}, inner.index...)
				fs = append(fs, inner)
			}
			continue
		}
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		fs = append(fs, field{
			name:   name,
			index:  []int{i},
			typ:    sf.Type,
			secret: sf.Tag.Get("secret") == "true",
		})
	}
	return fs
}

// leaf is one settable value of Config at a key path.
type leaf struct {
	path   []string // YAML key path, e.g. ["upstream", "client_id"]
	index  []int    // reflect field index path from Config
	typ    reflect.Type
	secret bool
}

func (l leaf) key() string { return strings.Join(l.path, ".") }

func (l leaf) envName() string {
	return envPrefix + strings.ToUpper(strings.Join(l.path, "_"))
}

// leaves lists every settable value of t. Deriving YAML keys and environment
// names from the struct keeps them from drifting apart as fields are added;
// the checks here make a field that would break that mapping fail every
// Load (and so the tests) instead of silently shadowing another.
func leaves(t reflect.Type) ([]leaf, error) {
	var out []leaf
	if err := collectLeaves(t, nil, nil, &out); err != nil {
		return nil, err
	}
	owner := map[string]string{EnvConfigFile: "the config file path"}
	claim := func(env, key string) error {
		if prev, ok := owner[env]; ok {
			return fmt.Errorf("config: %s and %s both map to %s", prev, key, env)
		}
		owner[env] = key
		return nil
	}
	for _, l := range out {
		if err := claim(l.envName(), l.key()); err != nil {
			return nil, err
		}
		if l.secret {
			if err := claim(l.envName()+strings.ToUpper(fileSuffix), l.key()+fileSuffix); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func collectLeaves(t reflect.Type, path []string, index []int, out *[]leaf) error {
	for _, f := range structFields(t) {
		p := append(path[:len(path):len(path)], f.name)
		ix := append(index[:len(index):len(index)], f.index...)
		k := kindOf(f.typ)
		switch {
		case k == kindUnsupported:
			return fmt.Errorf("config: %s: unsupported field type %s", strings.Join(p, "."), f.typ)
		case f.secret && k != kindString:
			return fmt.Errorf("config: %s: only string fields can be secret", strings.Join(p, "."))
		case k == kindStruct:
			if err := collectLeaves(f.typ, p, ix, out); err != nil {
				return err
			}
		case k == kindStructs:
			if err := checkItemType(f.typ.Elem(), strings.Join(p, ".")); err != nil {
				return err
			}
			*out = append(*out, leaf{path: p, index: ix, typ: f.typ})
		default:
			*out = append(*out, leaf{path: p, index: ix, typ: f.typ, secret: f.secret})
		}
	}
	return nil
}

// checkItemType checks the item type of a list of mappings at key: its
// fields must be flat (no lists of mappings of their own, which neither
// error keys nor the JSON form of the environment would name well; a
// mapping of flat, non-secret fields, such as a policy rule's allow, is
// fine), and no key may clash with a secret's _file key.
func checkItemType(t reflect.Type, key string) error {
	names := map[string]bool{}
	claim := func(name string) error {
		if names[name] {
			return fmt.Errorf("config: %s: key %s is defined twice", key, name)
		}
		names[name] = true
		return nil
	}
	for _, f := range structFields(t) {
		switch k := kindOf(f.typ); {
		case k == kindStruct:
			for _, sub := range structFields(f.typ) {
				subKey := key + "." + f.name + "." + sub.name
				switch sk := kindOf(sub.typ); {
				case sk == kindStructs:
					if err := checkNestedItemType(sub.typ.Elem(), subKey); err != nil {
						return err
					}
				case sk == kindUnsupported || sk == kindStruct || sub.secret:
					return fmt.Errorf("config: %s: unsupported field type %s in a list item's mapping", subKey, sub.typ)
				}
			}
		case k == kindStructs:
			if err := checkNestedItemType(f.typ.Elem(), key+"."+f.name); err != nil {
				return err
			}
		case k == kindUnsupported:
			return fmt.Errorf("config: %s.%s: unsupported field type %s in a list item", key, f.name, f.typ)
		case f.secret && k != kindString:
			return fmt.Errorf("config: %s.%s: only string fields can be secret", key, f.name)
		}
		if err := claim(f.name); err != nil {
			return err
		}
		if f.secret {
			if err := claim(f.name + fileSuffix); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkNestedItemType checks a list of mappings inside a list item (a
// backend's policy rules): its items follow the rules of any list item,
// but hold no secrets (the environment's JSON gives them inline) and no
// further lists.
func checkNestedItemType(t reflect.Type, key string) error {
	for _, f := range structFields(t) {
		if f.secret || kindOf(f.typ) == kindStructs {
			return fmt.Errorf("config: %s.%s: unsupported field type %s in a nested list item", key, f.name, f.typ)
		}
	}
	return checkItemType(t, key)
}
