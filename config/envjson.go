package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// parseJSONItems reads the environment form of a list of mappings at key
// (clients, service_accounts): a JSON array of objects whose member names
// are the YAML keys, secret_file included. It is as strict as the YAML
// decoder: unknown or repeated members and wrong types are problems, each
// named by its key path (clients[1].redirect_uris). Values are never
// echoed, since items carry secrets.
func parseJSONItems(t reflect.Type, key, s string) (reflect.Value, []string) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil || raw == nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return reflect.Value{}, []string{fmt.Sprintf("not valid JSON (error at byte %d): want a JSON array of objects", se.Offset)}
		}
		return reflect.Value{}, []string{`want a JSON array of objects such as [{"id": "..."}]`}
	}
	list := reflect.MakeSlice(t, len(raw), len(raw))
	var msgs []string
	for i, item := range raw {
		msgs = append(msgs, decodeJSONItem(item, list.Index(i), fmt.Sprintf("%s[%d]", key, i))...)
	}
	return list, msgs
}

// decodeJSONItem sets v, a struct, from the JSON object in data. A secret's
// <key>_file member is read at once, like a _FILE variable.
func decodeJSONItem(data []byte, v reflect.Value, key string) []string {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return []string{key + ": want a JSON object"}
	}
	fields := map[string]field{}
	for _, f := range structFields(v.Type()) {
		fields[f.name] = f
	}
	var msgs []string
	bad := func(name, format string, args ...any) {
		msgs = append(msgs, joinKey(key, name)+": "+fmt.Sprintf(format, args...))
	}
	seen := map[string]bool{}
	files := map[string]string{} // secret key -> file path
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return append(msgs, key+": not valid JSON")
		}
		name, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return append(msgs, key+": not valid JSON")
		}
		if seen[name] {
			bad(name, "given twice")
			continue
		}
		seen[name] = true
		if f, ok := fields[name]; ok && kindOf(f.typ) == kindStruct {
			if string(val) != "null" {
				msgs = append(msgs, decodeJSONItem(val, v.FieldByIndex(f.index), joinKey(key, name))...)
			}
			continue
		}
		if f, ok := fields[name]; ok && kindOf(f.typ) == kindStructs {
			if string(val) != "null" {
				list, more := parseJSONItems(f.typ, joinKey(key, name), string(val))
				for _, m := range more {
					if !strings.HasPrefix(m, joinKey(key, name)) {
						m = joinKey(key, name) + ": " + m
					}
					msgs = append(msgs, m)
				}
				if list.IsValid() {
					v.FieldByIndex(f.index).Set(list)
				}
			}
			continue
		}
		if f, ok := fields[name]; ok {
			if err := setJSONField(val, v.FieldByIndex(f.index), f); err != nil {
				bad(name, "%v", err)
			}
			continue
		}
		if base, ok := strings.CutSuffix(name, fileSuffix); ok {
			if f, ok := fields[base]; ok && f.secret {
				var path *string
				if json.Unmarshal(val, &path) != nil {
					bad(name, "want a file path")
				} else if path != nil && *path != "" {
					files[base] = *path
				}
				continue
			}
		}
		bad(name, "unknown key")
	}
	// Struct order keeps the problems deterministic.
	for _, f := range structFields(v.Type()) {
		path, ok := files[f.name]
		if !ok {
			continue
		}
		target := v.FieldByIndex(f.index)
		if target.String() != "" {
			bad(f.name, "set either %s or %s, not both", f.name, f.name+fileSuffix)
			continue
		}
		s, err := readSecretFile(path)
		if err != nil {
			bad(f.name+fileSuffix, "%v", err)
			continue
		}
		target.SetString(s)
	}
	return msgs
}

// setJSONField decodes val into v, the field f. null leaves v unset, as in
// YAML. Durations are strings in Go syntax, not JSON numbers of nanoseconds.
func setJSONField(val json.RawMessage, v reflect.Value, f field) error {
	if string(val) == "null" {
		return nil
	}
	k := kindOf(f.typ)
	if k == kindDuration {
		var s string
		if json.Unmarshal(val, &s) != nil {
			return fmt.Errorf("want %s as a string", k.describe())
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q: want %s", s, k.describe())
		}
		v.SetInt(int64(d))
		return nil
	}
	tmp := reflect.New(f.typ)
	if err := json.Unmarshal(val, tmp.Interface()); err != nil {
		return fmt.Errorf("want %s", jsonDescribe(k))
	}
	v.Set(tmp.Elem())
	return nil
}

// jsonDescribe says what a JSON value of kind k looks like.
func jsonDescribe(k valueKind) string {
	switch k {
	case kindString:
		return "a JSON string"
	case kindStrings:
		return "a JSON array of strings"
	case kindBool:
		return "true or false"
	case kindInt:
		return "a whole number"
	}
	return k.describe()
}
