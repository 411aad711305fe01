package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// envSource is where an environment variable sends its value.
type envSource struct {
	leaf leaf
	file bool // the variable names a file holding the secret
}

// applyEnv overlays the MCPGATE_* variables of environ ("K=V" entries) on
// c. It returns the keys it set, so that a secret file named in YAML for
// such a key is not read at all.
//
// A variable set to the empty string counts as unset: container tooling
// often renders a missing variable as empty, and no key needs clearing.
func applyEnv(c *Config, ls []leaf, environ []string) (map[string]bool, Problems) {
	sources := make(map[string]envSource, 2*len(ls))
	for _, l := range ls {
		sources[l.envName()] = envSource{leaf: l}
		if l.secret {
			sources[l.envName()+strings.ToUpper(fileSuffix)] = envSource{leaf: l, file: true}
		}
	}

	vars := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, envPrefix) && k != EnvConfigFile {
			vars[k] = v // a later duplicate wins, as in a shell
		}
	}

	root := reflect.ValueOf(c).Elem()
	set := map[string]bool{}
	var probs Problems
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		src, ok := sources[name]
		if !ok {
			// The value is not echoed: a misspelt secret variable must not
			// end up in logs.
			probs.add(name, "unknown variable: no config key maps to it")
			continue
		}
		value := vars[name]
		if value == "" {
			continue
		}
		direct := src.leaf.envName()
		fileVar := direct + strings.ToUpper(fileSuffix)
		if src.leaf.secret && vars[direct] != "" && vars[fileVar] != "" {
			if !src.file {
				probs.add(direct, "set either %s or %s, not both", direct, fileVar)
			}
			continue
		}
		if src.file {
			s, err := readSecretFile(value)
			if err != nil {
				probs.add(name, "%v", err)
				continue
			}
			value = s
		}
		var v reflect.Value
		if kindOf(src.leaf.typ) == kindStructs {
			var msgs []string
			v, msgs = parseJSONItems(src.leaf.typ, src.leaf.key(), value)
			for _, m := range msgs {
				probs.add(name, "%s", m)
			}
			if len(msgs) > 0 {
				continue
			}
		} else {
			var err error
			if v, err = parseValue(src.leaf.typ, value); err != nil {
				probs.add(name, "%v", err)
				continue
			}
		}
		root.FieldByIndex(src.leaf.index).Set(v)
		set[src.leaf.key()] = true
	}
	return set, probs
}

// parseValue converts an environment variable's text to a value of type t.
func parseValue(t reflect.Type, s string) (reflect.Value, error) {
	var v any
	switch kindOf(t) {
	case kindString:
		v = s
	case kindStrings:
		v = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	case kindStringMap:
		m, err := parseStringMap(s)
		if err != nil {
			return reflect.Value{}, err
		}
		v = m
	case kindDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return reflect.Value{}, fmt.Errorf("invalid duration %q: want %s", s, kindDuration.describe())
		}
		v = d
	case kindBool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return reflect.Value{}, fmt.Errorf("invalid boolean %q: want true or false", s)
		}
		v = b
	case kindInt:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return reflect.Value{}, fmt.Errorf("invalid number %q: want %s", s, kindInt.describe())
		}
		v = n
	case kindFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return reflect.Value{}, fmt.Errorf("invalid number %q: want %s", s, kindFloat.describe())
		}
		v = f
	default:
		return reflect.Value{}, fmt.Errorf("unsupported type %s", t)
	}
	return reflect.ValueOf(v).Convert(t), nil
}

// parseStringMap reads "k=v,k2=v2". Values may contain '=' and spaces but
// not commas; a map needing commas belongs in the YAML file.
func parseStringMap(s string) (map[string]string, error) {
	m := map[string]string{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid entry %q: want key=value[,key=value...]", part)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("key %q given twice", k)
		}
		m[k] = strings.TrimSpace(v)
	}
	return m, nil
}
