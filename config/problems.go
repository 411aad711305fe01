package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with the configuration. Key is where it was
// found: a YAML key path such as "upstream.client_id", or an environment
// variable name such as "MCPGATE_TOKENS_CODE_TTL".
type Problem struct {
	Key     string
	Message string
}

func (p Problem) String() string { return p.Key + ": " + p.Message }

// Problems is every problem found at once, so that an operator fixes a
// configuration in one pass rather than one restart per mistake.
type Problems []Problem

// Error returns one "key: message" line per problem.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps *Problems) add(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// err returns ps as an error, or a true nil when there is nothing to report
// (a nil Problems in an error interface would not compare equal to nil).
func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
