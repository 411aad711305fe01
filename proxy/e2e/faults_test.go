package e2e_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/memory"
)

// The fault tests break one neighbour of a running mcpgate at a time (the
// IdP, the backend, the store), check what the user and the MCP client
// get, that mcpgate recovers without a restart, and that once mcpgate and
// its neighbours are stopped no goroutine is left behind (goleak, against
// the goroutines running before the test began).

// noLeaks checks, after the test and its cleanups (which stop the
// gateway, the IdP and the backends started after this call), that every
// goroutine started since has ended, idle client connections closed.
func noLeaks(t *testing.T, transports ...*http.Transport) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		for _, tr := range append(transports, http.DefaultTransport.(*http.Transport)) {
			tr.CloseIdleConnections()
		}
		if err := goleak.Find(before); err != nil {
			t.Error(err)
		}
	})
}

// idpFaults sits in mcpgate's HTTP client to the IdP. Discovery has
// happened at start; afterwards it can make every request fail to
// connect, hang past the client's timeout, or get garbage back.
type idpFaults struct {
	mode atomic.Value // "", "down", "slow", "garbage"
	base *http.Transport
}

func (f *idpFaults) RoundTrip(r *http.Request) (*http.Response, error) {
	mode, _ := f.mode.Load().(string)
	switch mode {
	case "down":
		// A real refused connection: nothing listens on port 1.
		r = r.Clone(r.Context())
		r.URL.Host = "127.0.0.1:1"
	case "slow":
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(5 * time.Second):
		}
	case "garbage":
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`<html>{"access_token":`)), Request: r}, nil
	}
	return f.base.RoundTrip(r)
}

// TestIdPFaults: with the IdP refusing connections, hanging, or answering
// garbage after mcpgate started, a sign-in ends with the OAuth error the
// client can show (never a 500), tokens already issued keep working at
// /mcp and at /token, and the next sign-in once the IdP is back succeeds.
func TestIdPFaults(t *testing.T) {
	faults := &idpFaults{base: &http.Transport{}}
	noLeaks(t, faults.base)
	backend := startRecordingBackend(t)
	faults.mode.Store("")
	g := startGateway(t, gatewayOptions{
		upstreamClient: &http.Client{Transport: faults, Timeout: time.Second},
		mutate:         func(c *config.Config) { c.Backend.URL = backend.URL },
	})
	c := g.registerPublic(t)
	issued := g.exchange(t, c, g.code(t, c))
	if issued.AccessToken == "" {
		t.Fatalf("sign-in before the faults: %d %s", issued.Status, issued.Error)
	}

	tests := []struct {
		mode      string
		wantError []string // the error the client is sent back with, any of
	}{
		{mode: "down", wantError: []string{"temporarily_unavailable"}},
		{mode: "slow", wantError: []string{"temporarily_unavailable"}},
		{mode: "garbage", wantError: []string{"temporarily_unavailable", "access_denied"}},
	}
	refresh := issued.RefreshToken
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			faults.mode.Store(tt.mode)
			defer faults.mode.Store("")
			b := newBrowser(t)
			upstreamURL := g.approve(t, b, g.authorizeURL(c, nil))
			cb, err := g.IdP.Login(context.Background(), b.client, upstreamURL)
			if err != nil {
				t.Fatalf("login at the IdP itself: %v", err)
			}
			start := time.Now()
			back := g.followCallback(t, b, cb.String())
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the callback took %v: the IdP's hang reached the user", d)
			}
			q := back.Query()
			if !strings.HasPrefix(back.String(), c.RedirectURI) || !contains(tt.wantError, q.Get("error")) || q.Get("code") != "" {
				t.Errorf("callback sent the browser to %s, want %s with error %v", back, c.RedirectURI, tt.wantError)
			}
			if status, body := g.postMCP(t, issued.AccessToken, `{"jsonrpc":"2.0","id":1,"method":"ping"}`); status != http.StatusOK {
				t.Errorf("an issued token at /mcp while the IdP is %s: %d %s", tt.mode, status, body)
			}
			r := g.refresh(t, c, refresh)
			if r.AccessToken == "" {
				t.Errorf("a refresh while the IdP is %s: %d %s", tt.mode, r.Status, r.Error)
			} else {
				refresh = r.RefreshToken
			}
		})
	}
	if res := g.exchange(t, c, g.code(t, c)); res.AccessToken == "" {
		t.Fatalf("sign-in after the IdP is back: %d %s", res.Status, res.Error)
	}
}

// TestIdPDownAtStart: an IdP that is down, hangs or answers garbage while
// mcpgate starts does not stop it starting (an IdP that starts later, as
// in a compose file, would otherwise hold mcpgate in a restart loop):
// /readyz says not ready, naming the upstream check; a sign-in sends the
// browser back with temporarily_unavailable; once the IdP is back, the
// next probe or sign-in discovers it, without a restart.
func TestIdPDownAtStart(t *testing.T) {
	for _, mode := range []string{"down", "slow", "garbage"} {
		t.Run(mode, func(t *testing.T) {
			faults := &idpFaults{base: &http.Transport{}}
			noLeaks(t, faults.base)
			faults.mode.Store(mode)
			g := startGateway(t, gatewayOptions{
				upstreamClient: &http.Client{Transport: faults, Timeout: time.Second},
				upstreamRetry:  50 * time.Millisecond,
			})
			ready := func() (int, string) {
				resp, err := http.Get(g.URL + "/readyz")
				if err != nil {
					t.Fatal(err)
				}
				return resp.StatusCode, readBody(t, resp)
			}
			if status, body := ready(); status != http.StatusServiceUnavailable || !strings.Contains(body, `"upstream":"failing"`) {
				t.Errorf("/readyz with the IdP %s: %d %s, want 503 naming the upstream", mode, status, body)
			}
			c := g.registerPublic(t)
			time.Sleep(60 * time.Millisecond) // past the retry interval: this sign-in tries again, and fails
			back, err := url.Parse(g.approve(t, newBrowser(t), g.authorizeURL(c, nil)))
			if err != nil {
				t.Fatal(err)
			}
			if q := back.Query(); !strings.HasPrefix(back.String(), c.RedirectURI) || q.Get("error") != "temporarily_unavailable" || q.Get("state") != "client-state" {
				t.Errorf("a sign-in with the IdP %s went to %s, want the client with temporarily_unavailable", mode, back)
			}

			faults.mode.Store("")
			deadline := time.Now().Add(5 * time.Second)
			for {
				status, body := ready()
				if status == http.StatusOK {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("/readyz after the IdP came back: %d %s", status, body)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if res := g.exchange(t, c, g.code(t, c)); res.AccessToken == "" {
				t.Fatalf("sign-in after the IdP came back: %d %s", res.Status, res.Error)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestBackendFaults: a backend that is down, too slow, or cuts its SSE
// stream halfway gets the client a JSON-RPC error or the stream's end
// (never a hang), and mcpgate stays healthy and forwards the next call.
func TestBackendFaults(t *testing.T) {
	client := &http.Transport{}
	noLeaks(t, client)
	var mode atomic.Value
	mode.Store("")
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load().(string) {
		case "down":
			// The connection drops before any answer.
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		case "slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		case "cut":
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n")
			http.NewResponseController(w).Flush()
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	defer backend.Close()
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backend.URL = backend.URL + "/mcp"
		c.Backend.Timeout = 500 * time.Millisecond
	}})
	token := g.accessToken(t)

	call := func(t *testing.T) (*http.Response, string, time.Duration) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow"}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := (&http.Client{Transport: client, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("call: %v", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(bufio.NewReader(resp.Body))
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Logf("reading the answer ended with %v", err)
		}
		return resp, string(body), time.Since(start)
	}
	tests := []struct {
		mode       string
		wantStatus int
		wantBody   string
	}{
		{mode: "down", wantStatus: http.StatusBadGateway, wantBody: `"id":7,"error":{"code":-32603`},
		{mode: "slow", wantStatus: http.StatusGatewayTimeout, wantBody: `"id":7,"error":{"code":-32603`},
		{mode: "cut", wantStatus: http.StatusOK, wantBody: `notifications/progress`},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			mode.Store(tt.mode)
			defer mode.Store("")
			resp, body, took := call(t)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("got %d %q, want %d with %s", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if took > 5*time.Second {
				t.Errorf("the answer took %v", took)
			}
		})
	}
	if resp, err := http.Get(g.URL + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz after the faults: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if resp, body, _ := call(t); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"result"`) {
		t.Fatalf("a call after the faults: %d %s", resp.StatusCode, body)
	}
}

// failingStore fails the next n code redemptions or refresh rotations
// before they reach the store, as a store that cannot be reached does.
type failingStore struct {
	store.Store
	redeems, rotations atomic.Int32
}

func (s *failingStore) RedeemAuthCode(ctx context.Context, hash string, redeem func(store.AuthCode) (*store.RefreshToken, error)) error {
	if s.redeems.Add(-1) >= 0 {
		return &net.OpError{Op: "write", Net: "tcp", Err: store.ErrUnavailable}
	}
	return s.Store.RedeemAuthCode(ctx, hash, redeem)
}

func (s *failingStore) RotateRefreshToken(ctx context.Context, hash string, rotate func(*store.RefreshToken) (*store.RefreshToken, error)) error {
	if s.rotations.Add(-1) >= 0 {
		return &net.OpError{Op: "write", Net: "tcp", Err: store.ErrUnavailable}
	}
	return s.Store.RotateRefreshToken(ctx, hash, rotate)
}

// TestStoreFailsMidRequest: a code redemption or a refresh the store
// fails to write answers 503 temporarily_unavailable and consumes
// nothing: the client's retry with the same code, or the same refresh
// token, succeeds, and the grant is not revoked as a replay.
func TestStoreFailsMidRequest(t *testing.T) {
	noLeaks(t)
	st := &failingStore{Store: memory.New()}
	g := startGateway(t, gatewayOptions{storeImpl: st})
	c := g.registerPublic(t)
	code := g.code(t, c)

	st.redeems.Store(1)
	if res := g.exchange(t, c, code); res.Status != http.StatusServiceUnavailable || res.Error != "temporarily_unavailable" {
		t.Fatalf("exchange while the store fails: %d %q, want 503 temporarily_unavailable", res.Status, res.Error)
	}
	tokens := g.exchange(t, c, code)
	if tokens.AccessToken == "" {
		t.Fatalf("the retry of the same code: %d %q, want tokens (the failed attempt consumed nothing)", tokens.Status, tokens.Error)
	}

	st.rotations.Store(1)
	if res := g.refresh(t, c, tokens.RefreshToken); res.Status != http.StatusServiceUnavailable || res.Error != "temporarily_unavailable" {
		t.Fatalf("refresh while the store fails: %d %q, want 503 temporarily_unavailable", res.Status, res.Error)
	}
	next := g.refresh(t, c, tokens.RefreshToken)
	if next.AccessToken == "" {
		t.Fatalf("the retry of the same refresh token: %d %q, want tokens", next.Status, next.Error)
	}
	if status, body := g.postMCP(t, next.AccessToken, `{"jsonrpc":"2.0","id":1,"method":"ping"}`); status != http.StatusBadGateway && status != http.StatusOK {
		t.Errorf("the grant after the retries: %d %s", status, body)
	}
	if again := g.refresh(t, c, next.RefreshToken); again.AccessToken == "" {
		t.Errorf("the grant was revoked by the retries: %d %q", again.Status, again.Error)
	}
}

// ackLostStore commits the next n rotations and then reports a failure,
// as a store whose answer is lost after the commit does.
type ackLostStore struct {
	store.Store
	rotations atomic.Int32
}

func (s *ackLostStore) RotateRefreshToken(ctx context.Context, hash string, rotate func(*store.RefreshToken) (*store.RefreshToken, error)) error {
	err := s.Store.RotateRefreshToken(ctx, hash, rotate)
	if err == nil && s.rotations.Add(-1) >= 0 {
		return &net.OpError{Op: "read", Net: "tcp", Err: store.ErrUnavailable}
	}
	return err
}

// TestRefreshRetryAfterUnknownOutcome: the store committed a rotation but
// its answer was lost, so the client got 503 and kept its old refresh
// token; its retry, within tokens.refresh_grace, gets tokens and the grant
// stays good rather than being revoked as a reuse.
func TestRefreshRetryAfterUnknownOutcome(t *testing.T) {
	noLeaks(t)
	st := &ackLostStore{Store: memory.New()}
	g := startGateway(t, gatewayOptions{storeImpl: st, mutate: func(c *config.Config) { c.Tokens.RefreshGrace = 10 * time.Second }})
	c := g.registerPublic(t)
	tokens := g.exchange(t, c, g.code(t, c))
	st.rotations.Store(1)
	if res := g.refresh(t, c, tokens.RefreshToken); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("refresh whose commit outcome is lost: %d %q, want 503", res.Status, res.Error)
	}
	retry := g.refresh(t, c, tokens.RefreshToken)
	if retry.AccessToken == "" {
		t.Fatalf("the retry with the same refresh token: %d %q, want tokens", retry.Status, retry.Error)
	}
	if next := g.refresh(t, c, retry.RefreshToken); next.AccessToken == "" {
		t.Errorf("the grant after the retry: %d %q, want it good", next.Status, next.Error)
	}
}
