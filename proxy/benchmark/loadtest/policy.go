package main

import (
	"os"

	"github.com/mcpgate/mcpgate/proxy/benchmark"
)

// configureMCPGate passes the policy and audit log to the mcpgate child
// process through the environment it inherits.
func configureMCPGate(rules int, auditPath string) error {
	if rules > 0 {
		b, err := benchmark.SyntheticRulesJSON(rules)
		if err != nil {
			return err
		}
		if err := os.Setenv("MCPGATE_POLICY_RULES", b); err != nil {
			return err
		}
	}
	if auditPath != "" {
		return os.Setenv("MCPGATE_AUDIT_PATH", auditPath)
	}
	return nil
}
