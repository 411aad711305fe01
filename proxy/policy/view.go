package policy

import (
	"slices"

	"github.com/mcpgate/mcpgate/proxy/principal"
)

// Decision is the answer for one call.
type Decision struct {
	Allowed bool
	// Rule names the rule that decided; "" when no rule allows the call
	// (or there are no rules at all).
	Rule string
	// NeedScopes, for a refused call, are the scopes that would let a rule
	// allow it: rules that apply to the principal but for a scope its
	// token lacks. Empty when holding more scopes would not help.
	NeedScopes []string
}

// View is the policy as it applies to one principal: which rules apply,
// and which would apply with a scope the token lacks. It is small (two
// bits a rule) and safe for concurrent use.
type View struct {
	policy *Policy
	open   bool // no rules: everything allowed
	// applies are the rules selecting the principal whose scope (if any)
	// the token holds; stepUp those whose scope it lacks.
	applies, stepUp bits
	anyStepUp       bool
}

var openView = &View{open: true}

// For returns the view of the policy for who. Build it once per verified
// token and keep it with the token: it costs a pass over every rule's
// groups, emails and clients.
func (p *Policy) For(who *principal.Principal) *View {
	if !p.HasRules() {
		return openView
	}
	v := &View{policy: p, applies: newBits(len(p.rules)), stepUp: newBits(len(p.rules))}
	email := p.matchableEmail(who)
	for i := range p.rules {
		r := &p.rules[i]
		switch {
		case !p.selects(r, who, email):
		case r.scope != "" && !who.HasScope(r.scope):
			v.stepUp.set(i)
			v.anyStepUp = true
		default:
			v.applies.set(i)
		}
	}
	return v
}

// Open reports whether the view allows everything (no rules).
func (v *View) Open() bool { return v.open }

// Decide decides a call naming name (a tool or prompt name, a resource
// URI): a deny from any applicable rule wins, then an allow; what no rule
// allows is refused.
func (v *View) Decide(k Kind, name string) Decision {
	if v.open {
		return Decision{Allowed: true}
	}
	if k >= kinds {
		return Decision{}
	}
	p := v.policy
	denied := name
	if folds(k) {
		denied = foldName(name)
	}
	if r := p.deny[k].find(denied, v.applies.has); r >= 0 {
		return Decision{Rule: p.rules[r].name}
	}
	if r := p.allow[k].find(name, v.applies.has); r >= 0 {
		return Decision{Allowed: true, Rule: p.rules[r].name}
	}
	if !v.anyStepUp {
		return Decision{}
	}
	var need []string
	p.allow[k].each(name, func(r int) {
		rule := &p.rules[r]
		if v.stepUp.has(r) && !rule.deny[k].match(name) && !slices.Contains(need, rule.scope) {
			need = append(need, rule.scope)
		}
	})
	slices.Sort(need)
	return Decision{NeedScopes: need}
}
