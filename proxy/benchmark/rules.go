package benchmark

import (
	"encoding/json"
	"fmt"

	"github.com/mcpgate/mcpgate/proxy/policy"
)

// SyntheticRulesJSON is policy.SyntheticRules(n) as MCPGATE_POLICY_RULES
// holds rules: a JSON array with the configuration's keys, which
// StartGateway passes on to mcpgate.
func SyntheticRulesJSON(n int) (string, error) {
	type perms struct {
		Tools []string `json:"tools,omitempty"`
	}
	type rule struct {
		Name  string `json:"name"`
		Allow perms  `json:"allow"`
		Deny  *perms `json:"deny,omitempty"`
	}
	var out []rule
	for _, r := range policy.SyntheticRules(n) {
		cr := rule{Name: r.Name, Allow: perms{r.Allow.Tools}}
		if len(r.Deny.Tools) > 0 {
			cr.Deny = &perms{r.Deny.Tools}
		}
		out = append(out, cr)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("benchmark: policy rules: %w", err)
	}
	return string(b), nil
}
