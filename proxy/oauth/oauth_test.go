package oauth

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestVerifyPKCE(t *testing.T) {
	verifier := oauth2.GenerateVerifier()
	challenge := oauth2.S256ChallengeFromVerifier(verifier)
	tests := []struct {
		name, challenge, verifier string
		want                      bool
	}{
		{name: "matching", challenge: challenge, verifier: verifier, want: true},
		{name: "other verifier", challenge: challenge, verifier: oauth2.GenerateVerifier()},
		{name: "plain: verifier equals challenge", challenge: challenge, verifier: challenge},
		{name: "verifier too short", challenge: oauth2.S256ChallengeFromVerifier("short"), verifier: "short"},
		{name: "verifier with forbidden characters", challenge: oauth2.S256ChallengeFromVerifier(strings.Repeat("a", 42) + "+"), verifier: strings.Repeat("a", 42) + "+"},
		{name: "verifier too long", challenge: oauth2.S256ChallengeFromVerifier(strings.Repeat("a", 129)), verifier: strings.Repeat("a", 129)},
		{name: "empty", challenge: challenge, verifier: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyPKCE(tt.challenge, tt.verifier); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, c := range []string{"", "short", challenge + "x", strings.Repeat("=", 43)} {
		if ValidChallenge(c) {
			t.Errorf("ValidChallenge(%q) = true", c)
		}
	}
	if !ValidChallenge(challenge) {
		t.Error("a real challenge is not valid")
	}
}

func TestScopes(t *testing.T) {
	if got := ParseScope("  mcp  mcp offline_access "); !slices.Equal(got, []string{"mcp", "offline_access"}) {
		t.Errorf("ParseScope: got %v", got)
	}
	for s, want := range map[string]bool{"mcp": true, "mcp:read": true, "": false, "a b": false, `a"b`: false, `a\b`: false, "é": false} {
		if ValidScopeToken(s) != want {
			t.Errorf("ValidScopeToken(%q) = %v, want %v", s, !want, want)
		}
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b || len(a) != 43 {
		t.Fatalf("secrets %q %q: want distinct 256-bit values", a, b)
	}
	h := Hash(a)
	if !EqualHash(a, h) || EqualHash(b, h) || h == a {
		t.Fatal("Hash/EqualHash disagree")
	}
}

func TestErrorStatus(t *testing.T) {
	for code, want := range map[string]int{ErrInvalidClient: 401, ErrInvalidGrant: 400, ErrServerError: 500, ErrTemporarilyUnavailable: 503} {
		if got := NewError(code, "").HTTPStatus(); got != want {
			t.Errorf("%s: got %d, want %d", code, got, want)
		}
	}
	if got := (&Error{Code: ErrAccessDenied, Status: 403}).HTTPStatus(); got != 403 {
		t.Errorf("explicit status: got %d", got)
	}
}
