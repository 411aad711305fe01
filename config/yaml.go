package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// secretRef is a secret given in YAML as <key>_file. The file is read only
// after the environment is applied, so that a secret the environment
// overrides need not exist where mcpgate runs.
type secretRef struct {
	secret string // key of the secret, e.g. upstream.client_secret
	key    string // key of the _file entry, e.g. upstream.client_secret_file
	path   string
	line   int // of the _file entry
	target reflect.Value
	// list is the key of the list of mappings holding the secret (e.g.
	// "clients"), "" outside one: the environment replaces such a list
	// whole, and the files its YAML items name are then not read.
	list string
}

// yamlDecoder decodes the config file node by node rather than with
// yaml.Decoder.KnownFields: that reports only the first unknown field, by
// Go type rather than key path, and would reject the <key>_file entries of
// secrets. Walking the node tree against the struct is just as strict,
// names each problem by key path and line, and collects all of them.
type yamlDecoder struct {
	file  string
	refs  []secretRef
	probs Problems
	list  string // key of the list of mappings being decoded, if any
}

// decodeYAML sets on c every key the document in data gives. The returned
// error is for a file that cannot be read as a config at all (syntax,
// several documents, not a mapping); mistakes in keys and values are
// returned as Problems.
func decodeYAML(data []byte, file string, c *Config) ([]secretRef, Problems, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil // empty file: defaults and environment only
		}
		return nil, nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("line %d: only one YAML document is allowed", next.Line)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, nil, nil
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("line %d: the top level must be a mapping of keys", root.Line)
	}
	d := &yamlDecoder{file: file}
	d.mapping(root, reflect.ValueOf(c).Elem(), "")
	return d.refs, d.probs, nil
}

func (d *yamlDecoder) add(key string, n *yaml.Node, format string, args ...any) {
	d.probs.add(key, "%s (%s:%d)", fmt.Sprintf(format, args...), d.file, n.Line)
}

// mapping decodes the mapping node n into the struct v found at prefix.
func (d *yamlDecoder) mapping(n *yaml.Node, v reflect.Value, prefix string) {
	fields := map[string]field{}
	for _, f := range structFields(v.Type()) {
		fields[f.name] = f
	}
	seen := map[string]int{}   // key -> line, to catch duplicates
	direct := map[string]int{} // secret given as a value -> line
	refs := map[string]secretRef{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], resolveAlias(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.add(joinKey(prefix, "?"), k, "keys must be plain strings")
			continue
		}
		key := joinKey(prefix, k.Value)
		if k.ShortTag() == "!!merge" {
			d.add(key, k, "merge keys (<<) are not supported")
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.add(key, k, "duplicate key (first at line %d)", line)
			continue
		}
		seen[k.Value] = k.Line

		if f, ok := fields[k.Value]; ok {
			if f.secret && val.Kind == yaml.ScalarNode && !isNull(val) && val.Value != "" {
				direct[f.name] = k.Line
			}
			d.value(val, v.FieldByIndex(f.index), f, key)
			continue
		}
		if base, ok := strings.CutSuffix(k.Value, fileSuffix); ok {
			if f, ok := fields[base]; ok && f.secret {
				if ref, ok := d.secretFile(val, v.FieldByIndex(f.index), joinKey(prefix, base), key); ok {
					refs[base] = ref
				}
				continue
			}
		}
		d.add(key, k, "unknown key")
	}
	// Struct order, not map order, keeps the problems deterministic.
	for _, f := range structFields(v.Type()) {
		ref, ok := refs[f.name]
		if !ok {
			continue
		}
		if line, both := direct[f.name]; both {
			d.probs.add(joinKey(prefix, f.name), "set either %s or %s, not both (%s lines %d and %d)",
				f.name, f.name+fileSuffix, d.file, line, ref.line)
			continue
		}
		d.refs = append(d.refs, ref)
	}
}

// value decodes n into v, the field f at key. A null leaves the default in
// place, so that an empty "upstream:" section or key means "not set".
func (d *yamlDecoder) value(n *yaml.Node, v reflect.Value, f field, key string) {
	if isNull(n) {
		return
	}
	k := kindOf(f.typ)
	if k == kindStruct {
		if n.Kind != yaml.MappingNode {
			d.add(key, n, "want a mapping")
			return
		}
		d.mapping(n, v, key)
		return
	}
	if k == kindStructs {
		d.items(n, v, f, key)
		return
	}
	// Decode into a fresh value: decoding into v directly would merge a
	// mapping into the default map instead of replacing it.
	tmp := reflect.New(f.typ)
	if err := n.Decode(tmp.Interface()); err != nil {
		if n.Kind == yaml.ScalarNode && !f.secret {
			d.add(key, n, "want %s, got %q", k.describe(), n.Value)
		} else {
			d.add(key, n, "want %s", k.describe())
		}
		return
	}
	v.Set(tmp.Elem())
}

// items decodes the sequence node n into v, a list of mappings, each item
// as strictly as a section (unknown keys, duplicates, <key>_file secrets),
// with keys such as clients[1].redirect_uris. The list replaces the default
// whole.
func (d *yamlDecoder) items(n *yaml.Node, v reflect.Value, f field, key string) {
	if n.Kind != yaml.SequenceNode {
		d.add(key, n, "want %s", kindStructs.describe())
		return
	}
	list := reflect.MakeSlice(f.typ, len(n.Content), len(n.Content))
	outer := d.list // a list inside a list item keeps the outer list's key
	if outer == "" {
		d.list = key
	}
	for i, item := range n.Content {
		item = resolveAlias(item)
		ik := fmt.Sprintf("%s[%d]", key, i)
		if item.Kind != yaml.MappingNode {
			d.add(ik, item, "want a mapping")
			continue
		}
		d.mapping(item, list.Index(i), ik)
	}
	d.list = outer
	// The secret refs point into list's backing array, which v now shares.
	v.Set(list)
}

func (d *yamlDecoder) secretFile(n *yaml.Node, target reflect.Value, secret, key string) (secretRef, bool) {
	if isNull(n) {
		return secretRef{}, false
	}
	if n.Kind != yaml.ScalarNode {
		d.add(key, n, "want a file path")
		return secretRef{}, false
	}
	if n.Value == "" {
		return secretRef{}, false
	}
	return secretRef{
		secret: secret,
		key:    key,
		path:   n.Value,
		line:   n.Line,
		target: target,
		list:   d.list,
	}, true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}
