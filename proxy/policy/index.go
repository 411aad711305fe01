package policy

// index finds, for one kind of name and one of allow or deny, the rules
// whose patterns match a name: exact names in a map, wildcard patterns in
// a trie by their literal prefix (what comes before the first '*'), so
// that a name meets only the patterns it could match however many rules
// there are. It is built once per policy; a View says which of the rules
// found apply.
type index struct {
	exact map[string][]int // name -> rules, in configuration order
	globs globNode
}

type globNode struct {
	next    map[byte]*globNode
	entries []globEntry // patterns whose literal prefix ends here
}

type globEntry struct {
	pattern
	rule int
}

func (ix *index) add(p pattern, rule int) {
	if !p.wildcard() {
		if ix.exact == nil {
			ix.exact = map[string][]int{}
		}
		if rules := ix.exact[p.raw]; len(rules) == 0 || rules[len(rules)-1] != rule {
			ix.exact[p.raw] = append(rules, rule)
		}
		return
	}
	n := &ix.globs
	for i := 0; i < len(p.parts[0]); i++ {
		c := p.parts[0][i]
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
	n.entries = append(n.entries, globEntry{p, rule})
}

// find returns the first rule, by the order exact before wildcard, for
// which match says yes among those whose patterns match name, or -1.
func (ix *index) find(name string, match func(rule int) bool) int {
	for _, r := range ix.exact[name] {
		if match(r) {
			return r
		}
	}
	n := &ix.globs
	for i := 0; ; i++ {
		for j := range n.entries {
			if e := &n.entries[j]; match(e.rule) && e.match(name) {
				return e.rule
			}
		}
		if i == len(name) {
			return -1
		}
		if n = n.next[name[i]]; n == nil {
			return -1
		}
	}
}

// each calls f for every rule whose patterns match name.
func (ix *index) each(name string, f func(rule int)) {
	ix.find(name, func(r int) bool { f(r); return false })
}

// bits is a set of rule numbers.
type bits []uint64

func newBits(n int) bits { return make(bits, (n+63)/64) }

func (b bits) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bits) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
