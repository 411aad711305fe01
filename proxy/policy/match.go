package policy

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// pattern is a name or URI with '*' standing for any run of characters.
type pattern struct {
	raw string
	// parts are raw split at '*': the first must start the subject, the
	// last end it, the others appear in order between.
	parts []string
}

func compilePattern(raw string) pattern {
	if !strings.Contains(raw, "*") {
		return pattern{raw: raw}
	}
	return pattern{raw: raw, parts: strings.Split(raw, "*")}
}

func (p pattern) wildcard() bool { return p.parts != nil }

func (p pattern) match(s string) bool {
	if p.parts == nil {
		return s == p.raw
	}
	first, last := p.parts[0], p.parts[len(p.parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, part := range p.parts[1 : len(p.parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return true
}

// patterns match a subject if any of them does; none matches nothing.
type patterns []pattern

func compilePatterns(raws []string, fold bool) patterns {
	out := make(patterns, len(raws))
	for i, r := range raws {
		if fold {
			r = strings.ToLower(r)
		}
		out[i] = compilePattern(r)
	}
	return out
}

func (ps patterns) match(s string) bool {
	for _, p := range ps {
		if p.match(s) {
			return true
		}
	}
	return false
}

// foldName is a tool or prompt name as deny rules compare it: NFKC
// normalised and in lower case. MCP names are case-sensitive and allow
// rules match them exactly, but a backend that folds case or Unicode
// (a fullwidth "ｓｙｓｔｅｍ_ｅｘｅｃ", a "System_Exec") would run the denied
// tool under another spelling: a deny holds for every spelling that folds
// to the same name. Names already folded (the usual ASCII lower case)
// cost no allocation.
func foldName(s string) string {
	folded := true
	for i := 0; i < len(s) && folded; i++ {
		c := s[i]
		folded = c < 0x80 && (c < 'A' || c > 'Z')
	}
	if folded {
		return s // ASCII without upper case: NFKC and lower case already
	}
	if !norm.NFKC.IsNormalString(s) {
		s = norm.NFKC.String(s)
	}
	return strings.ToLower(s)
}

// folds says whether deny rules of kind k compare folded names: tools and
// prompts, not resource URIs, whose case means something.
func folds(k Kind) bool { return k == Tool || k == Prompt }
