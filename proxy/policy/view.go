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

// View is the policy as it applies to one principal, indexed for calls.
// It is safe for concurrent use.
type View struct {
	open bool // no rules: everything allowed
	idx  [kinds]index
}

type index struct {
	denyExact, allowExact map[string]string // name -> rule
	denyGlobs, allowGlobs []entry
	// stepUp are rules selecting the principal whose scope it lacks.
	stepUp []*rule
}

type entry struct {
	pattern
	rule string
}

// For returns the view of the policy for who. Build it once per verified
// token: it costs a pass over every rule.
func (p *Policy) For(who *principal.Principal) *View {
	if !p.HasRules() {
		return &View{open: true}
	}
	v := &View{}
	email := p.matchableEmail(who)
	for i := range p.rules {
		r := &p.rules[i]
		if !p.selects(r, who, email) {
			continue
		}
		for k := range kinds {
			ix := &v.idx[k]
			if r.scope != "" && !who.HasScope(r.scope) {
				if len(r.allow[k]) > 0 {
					ix.stepUp = append(ix.stepUp, r)
				}
				continue
			}
			ix.add(r.deny[k], r.name, &ix.denyExact, &ix.denyGlobs)
			ix.add(r.allow[k], r.name, &ix.allowExact, &ix.allowGlobs)
		}
	}
	return v
}

func (ix *index) add(ps patterns, rule string, exact *map[string]string, globs *[]entry) {
	for _, p := range ps {
		if p.wildcard() {
			*globs = append(*globs, entry{p, rule})
			continue
		}
		if *exact == nil {
			*exact = map[string]string{}
		}
		if _, taken := (*exact)[p.raw]; !taken {
			(*exact)[p.raw] = rule
		}
	}
}

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
	ix := &v.idx[k]
	if r, ok := lookup(ix.denyExact, ix.denyGlobs, name); ok {
		return Decision{Rule: r}
	}
	if r, ok := lookup(ix.allowExact, ix.allowGlobs, name); ok {
		return Decision{Allowed: true, Rule: r}
	}
	var need []string
	for _, r := range ix.stepUp {
		if r.allow[k].match(name) && !r.deny[k].match(name) && !slices.Contains(need, r.scope) {
			need = append(need, r.scope)
		}
	}
	slices.Sort(need)
	return Decision{NeedScopes: need}
}

// Open reports whether the view allows everything (no rules).
func (v *View) Open() bool { return v.open }

func lookup(exact map[string]string, globs []entry, name string) (string, bool) {
	if r, ok := exact[name]; ok {
		return r, true
	}
	for i := range globs {
		if globs[i].match(name) {
			return globs[i].rule, true
		}
	}
	return "", false
}
