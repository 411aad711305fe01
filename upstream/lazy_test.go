package upstream

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fixedProvider struct{ url string }

func (f fixedProvider) AuthCodeURL(LoginParams) string { return f.url }
func (f fixedProvider) Exchange(context.Context, Callback, LoginParams) (Identity, error) {
	return Identity{Subject: "s"}, nil
}

// TestLazy: a Lazy tries discovery at most once per retry interval, one
// attempt at a time (callers meanwhile get the last error at once), and
// after the first success is the discovered provider.
func TestLazy(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var attempts atomic.Int32
	up := make(chan struct{})
	release := make(chan struct{})
	var healthy atomic.Bool
	l := NewLazy("https://idp.example.com", func(context.Context) (Provider, error) {
		attempts.Add(1)
		if !healthy.Load() {
			return nil, errors.New("connection refused")
		}
		close(up)
		<-release
		return fixedProvider{url: "https://idp.example.com/authorize"}, nil
	}, errors.New("connection refused at start"))
	l.now = func() time.Time { return now }
	l.SetRetry(5 * time.Second)
	ctx := context.Background()

	steps := []struct {
		name         string
		advance      time.Duration
		wantAttempts int32
	}{
		{name: "within the interval after start: no attempt", advance: time.Second, wantAttempts: 0},
		{name: "past it: one attempt", advance: 5 * time.Second, wantAttempts: 1},
		{name: "right after a failure: none", advance: time.Second, wantAttempts: 1},
		{name: "an interval later: another", advance: 5 * time.Second, wantAttempts: 2},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			now = now.Add(s.advance)
			if err := l.Ready(ctx); err == nil {
				t.Fatal("ready while the IdP is down")
			}
			if got := attempts.Load(); got != s.wantAttempts {
				t.Errorf("attempts %d, want %d", got, s.wantAttempts)
			}
			if l.AuthCodeURL(LoginParams{}) != "" {
				t.Error("an authorization URL before discovery")
			}
		})
	}

	t.Run("one attempt at a time, the others answered at once", func(t *testing.T) {
		healthy.Store(true)
		now = now.Add(10 * time.Second)
		done := make(chan error)
		go func() { done <- l.Ready(ctx) }()
		<-up // the attempt is under way
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := l.Ready(ctx); err == nil {
					t.Error("ready while discovery is still under way")
				}
			}()
		}
		wg.Wait()
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := attempts.Load(); got != 3 {
			t.Errorf("attempts %d, want 3", got)
		}
	})
	t.Run("discovered: the provider itself", func(t *testing.T) {
		if err := l.Ready(ctx); err != nil {
			t.Fatal(err)
		}
		if got := l.AuthCodeURL(LoginParams{}); got != "https://idp.example.com/authorize" {
			t.Errorf("AuthCodeURL %q", got)
		}
		if id, err := l.Exchange(ctx, Callback{}, LoginParams{}); err != nil || id.Subject != "s" {
			t.Errorf("Exchange: %+v %v", id, err)
		}
		if _, err := l.Refresh(ctx, "s", Tokens{}); err == nil {
			t.Error("Refresh through a provider that cannot refresh succeeded")
		}
		if _, err := l.VerifyLogout(ctx, "x"); !errors.Is(err, ErrVerification) {
			t.Errorf("VerifyLogout: %v, want ErrVerification", err)
		}
		if _, err := l.VerifyIDJAG(ctx, "x", "aud"); !errors.Is(err, ErrVerification) {
			t.Errorf("VerifyIDJAG through a provider that issues none: %v, want ErrVerification", err)
		}
		if l.Issuer() != "https://idp.example.com" {
			t.Errorf("Issuer %q", l.Issuer())
		}
		if attempts.Load() != 3 {
			t.Errorf("attempts after discovery: %d", attempts.Load())
		}
	})
}
