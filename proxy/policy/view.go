package policy

import (
	"slices"
	"strings"

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
	denyGlobs, allowGlobs globIndex
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
		return openView
	}
	email := p.matchableEmail(who)
	// Principals that rules cannot tell apart share one view: a view of
	// many rules is large, and one per token would not be bounded.
	key := viewKey(who, email)
	if v, ok := p.views.Load(key); ok {
		return v.(*View)
	}
	v := p.build(who, email)
	if p.viewCount.Add(1) <= maxSharedViews {
		p.views.Store(key, v)
	}
	return v
}

var openView = &View{open: true}

// maxSharedViews bounds the views a policy keeps; past it, views are
// built per token (and cached with it) rather than shared.
const maxSharedViews = 4096

// viewKey is everything rules select on.
func viewKey(who *principal.Principal, email string) string {
	var b strings.Builder
	b.WriteString(who.ClientID)
	b.WriteByte(0)
	b.WriteString(email)
	for _, l := range [][]string{who.Scopes, who.Groups} {
		b.WriteByte(0)
		for _, s := range l {
			b.WriteString(s)
			b.WriteByte(1)
		}
	}
	return b.String()
}

func (p *Policy) build(who *principal.Principal, email string) *View {
	v := &View{}
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

func (ix *index) add(ps patterns, rule string, exact *map[string]string, globs *globIndex) {
	for _, p := range ps {
		if p.wildcard() {
			globs.add(entry{p, rule})
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
	if r, ok := lookup(ix.denyExact, &ix.denyGlobs, name); ok {
		return Decision{Rule: r}
	}
	if r, ok := lookup(ix.allowExact, &ix.allowGlobs, name); ok {
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

func lookup(exact map[string]string, globs *globIndex, name string) (string, bool) {
	if r, ok := exact[name]; ok {
		return r, true
	}
	return globs.match(name)
}

// globIndex finds the wildcard patterns that may match a name by their
// literal prefix (what comes before the first '*'), in a trie: a name
// meets only the patterns whose prefix it starts with, however many
// rules there are.
type globIndex struct{ root globNode }

type globNode struct {
	next    map[byte]*globNode
	entries []entry // patterns whose prefix ends here
}

func (g *globIndex) add(e entry) {
	n := &g.root
	for i := 0; i < len(e.parts[0]); i++ {
		c := e.parts[0][i]
		child := n.next[c]
		if child == nil {
			if n.next == nil {
				n.next = map[byte]*globNode{}
			}
			child = &globNode{}
			n.next[c] = child
		}
		n = child
	}
	n.entries = append(n.entries, e)
}

func (g *globIndex) match(name string) (string, bool) {
	n := &g.root
	for i := 0; ; i++ {
		for j := range n.entries {
			if n.entries[j].match(name) {
				return n.entries[j].rule, true
			}
		}
		if i == len(name) {
			return "", false
		}
		if n = n.next[name[i]]; n == nil {
			return "", false
		}
	}
}
