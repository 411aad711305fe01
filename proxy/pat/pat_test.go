package pat

import (
	"strings"
	"testing"
)

func TestNewIsValidAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok := New()
		if !Valid(tok) || len(tok) != Len || !strings.HasPrefix(tok, "mcpgate_pat_") {
			t.Fatalf("New made %q, which is not valid", tok)
		}
		if seen[tok] {
			t.Fatalf("New made %q twice", tok)
		}
		seen[tok] = true
	}
}

func TestValid(t *testing.T) {
	good := New()
	flip := func(i int) string {
		b := []byte(good)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name string
		tok  string
		want bool
	}{
		{"a fresh token", good, true},
		{"one character of the body mistyped", flip(len(Prefix) + 3), false},
		{"the checksum mistyped", flip(Len - 1), false},
		{"two body characters swapped", good[:len(Prefix)] + good[len(Prefix)+1:len(Prefix)+2] + good[len(Prefix):len(Prefix)+1] + good[len(Prefix)+2:], good[len(Prefix)] == good[len(Prefix)+1]},
		{"cut short", good[:Len-1], false},
		{"one character more", good + "a", false},
		{"another prefix", "mcpgate_pak_" + good[len(Prefix):], false},
		{"upper-case prefix", strings.ToUpper(Prefix) + good[len(Prefix):], false},
		{"a character outside base62", good[:len(Prefix)+2] + "-" + good[len(Prefix)+3:], false},
		{"non-ASCII", good[:len(Prefix)+2] + "é" + good[len(Prefix)+4:], false},
		{"empty", "", false},
		{"a JWT", "eyJhbGciOiJFUzI1NiJ9.e30.sig", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid(tt.tok); got != tt.want {
				t.Errorf("Valid(%q) = %v, want %v", tt.tok, got, tt.want)
			}
		})
	}
}

func FuzzValid(f *testing.F) {
	f.Add(New())
	f.Add("mcpgate_pat_")
	f.Fuzz(func(t *testing.T, s string) {
		if Valid(s) && (len(s) != Len || !Looks(s)) {
			t.Fatalf("Valid(%q) with the wrong form", s)
		}
	})
}
