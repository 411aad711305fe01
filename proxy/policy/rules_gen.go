package policy

import "fmt"

// SyntheticRules are n rules for benchmarks and load tests, every one
// applying to every principal: rule i allows tool_i exactly and ns_i_*
// by wildcard and denies ns_i_secret*; the last allows echo. A call to
// echo is checked against all of them: every deny pattern, then the
// exact allow.
func SyntheticRules(n int) []Rule {
	rules := make([]Rule, 0, n)
	for i := range n - 1 {
		rules = append(rules, Rule{
			Name:  fmt.Sprintf("rule-%d", i),
			Allow: Permissions{Tools: []string{fmt.Sprintf("tool_%d", i), fmt.Sprintf("ns_%d_*", i)}},
			Deny:  Permissions{Tools: []string{fmt.Sprintf("ns_%d_secret*", i)}},
		})
	}
	return append(rules, Rule{Name: "echo", Allow: Permissions{Tools: []string{"echo"}}})
}
