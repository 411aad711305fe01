package config

import (
	"fmt"
	"os"
	"reflect"
)

// Load builds the configuration: Default, then the YAML file at path (if
// path is not empty), then the MCPGATE_* variables of environ, which win
// over the file. environ holds "KEY=value" entries; main passes
// os.Environ(), tests their own slice.
//
// Every key path maps to one variable: MCPGATE_ followed by the path in
// upper case joined with '_' (tokens.code_ttl is MCPGATE_TOKENS_CODE_TTL).
// Lists are separated by commas and/or spaces, maps are written
// "k=v,k2=v2", durations in Go syntax (90s, 1h), booleans as accepted by
// strconv.ParseBool. An empty variable counts as unset. Lists of mappings
// (clients, service_accounts) are the exception: their variable holds a
// JSON array of objects with the YAML keys, which replaces the file's list
// whole.
//
// A secret key (tagged secret:"true", such as upstream.client_secret) may
// instead name a file holding it: upstream.client_secret_file in YAML,
// MCPGATE_UPSTREAM_CLIENT_SECRET_FILE in the environment. Its content, with
// trailing whitespace removed, becomes the value. Setting both the value and
// the file in the same source is an error; the environment, in either form,
// wins over the YAML file. Secrets inside list items (clients[0].secret)
// take a file the same way, as secret_file in the item.
//
// The file is decoded strictly: an unknown key is an error, as is an
// MCPGATE_ variable that maps to no key (EnvConfigFile excepted). All such
// problems are returned together, as a Problems wrapped with context. Load
// does not check that values make sense together; call Validate for that.
func Load(path string, environ []string) (*Config, error) {
	ls, err := leaves(reflect.TypeFor[Config]())
	if err != nil {
		return nil, err
	}
	c := Default()
	var probs Problems
	var refs []secretRef
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: read %s: %w", path, err)
		}
		var p Problems
		refs, p, err = decodeYAML(data, path, c)
		if err != nil {
			return nil, fmt.Errorf("config: parse %s: %w", path, err)
		}
		probs = append(probs, p...)
	}

	fromEnv, p := applyEnv(c, ls, environ)
	probs = append(probs, p...)

	for _, r := range refs {
		if fromEnv[r.secret] || fromEnv[r.list] {
			continue
		}
		s, err := readSecretFile(r.path)
		if err != nil {
			probs.add(r.key, "%v (%s:%d)", err, path, r.line)
			continue
		}
		r.target.SetString(s)
	}

	if len(probs) > 0 {
		return nil, fmt.Errorf("config: %w", probs)
	}
	return c, nil
}
