package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/mcpgate/mcpgate/proxy/policy"
)

// configureMCPGate passes the policy and audit log to the mcpgate child
// process through the environment it inherits.
func configureMCPGate(rules int, auditPath string) error {
	if rules > 0 {
		type perms struct {
			Tools []string `json:"tools,omitempty"`
		}
		type rule struct {
			Name  string `json:"name"`
			Allow perms  `json:"allow"`
			Deny  *perms `json:"deny,omitempty"`
		}
		var out []rule
		for _, r := range policy.SyntheticRules(rules) {
			cr := rule{Name: r.Name, Allow: perms{r.Allow.Tools}}
			if len(r.Deny.Tools) > 0 {
				cr.Deny = &perms{r.Deny.Tools}
			}
			out = append(out, cr)
		}
		b, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("policy rules: %w", err)
		}
		if err := os.Setenv("MCPGATE_POLICY_RULES", string(b)); err != nil {
			return err
		}
	}
	if auditPath != "" {
		return os.Setenv("MCPGATE_AUDIT_PATH", auditPath)
	}
	return nil
}
