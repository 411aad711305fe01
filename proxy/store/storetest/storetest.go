package storetest

import (
	"errors"
	"testing"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// concurrency is how many goroutines race in the concurrency tests: enough to
// make a lost update or a double redemption likely on a broken backend.
const concurrency = 20

// errUpdater is what failing updaters return; tests compare with == because
// the store must return it unchanged, not merely wrapped.
var errUpdater = errors.New("storetest: updater refused")

type test struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// Run runs the conformance suite. newStore must return a fresh, empty store
// each time it is called; Run closes it when the subtest ends. Every subtest
// gets its own store, which is what makes running them in parallel safe.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Clients", clientTests},
		{"AuthRequests", authRequestTests},
		{"AuthCodes", authCodeTests},
		{"RefreshTokens", refreshTests},
		{"Consents", consentTests},
		{"SigningKeys", signingKeyTests},
		{"Secrets", secretTests},
		{"Claims", claimTests},
		{"Revocations", revocationTests},
		{"Counters", counterTests},
		{"UpstreamGrants", upstreamGrantTests},
		{"PersonalTokens", personalTokenTests},
		{"Grants", grantTests},
		{"GarbageCollect", gcTests},
		{"Times", timeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					s := newStore(t)
					t.Cleanup(func() {
						if err := s.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					tc.run(t, s)
				})
			}
		})
	}
	t.Run("Close", func(t *testing.T) {
		t.Parallel()
		testClose(t, newStore(t))
	})
}

func testClose(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.CreateClient(ctx, client("c1")); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.GetClient(ctx, "c1"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("GetClient after Close: got %v, want ErrUnavailable", err)
	}
	if err := s.CreateClient(ctx, client("c2")); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("CreateClient after Close: got %v, want ErrUnavailable", err)
	}
}

// wantErr fails unless err is target (errors.Is).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// must fails the test now on an unexpected error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantUpdaterErr fails unless err is exactly the updater's error.
func wantUpdaterErr(t *testing.T, what string, err error) {
	t.Helper()
	// == on purpose: the contract is "unchanged", which wrapping breaks.
	if err != errUpdater {
		t.Errorf("%s: got error %v, want the updater's error unchanged", what, err)
	}
}

// startLine releases goroutines together so that they really race.
type startLine chan struct{}

func (s startLine) wait()    { <-s }
func (s startLine) release() { close(s) }
