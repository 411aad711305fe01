package github

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/mcpgate/mcpgate/upstream"
)

// fakeGitHub is a GitHub Enterprise Server as far as sign-in goes: the
// token endpoint (with PKCE) and the REST API's user, emails (two pages),
// orgs and teams.
type fakeGitHub struct {
	srv *httptest.Server

	mu        sync.Mutex
	challenge string
	emails    []email
	orgs      []org
	teams     []team
	revoked   bool
}

const fakeToken = "gho_fake"

func startFake(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{
		emails: []email{{Email: "old@example.com", Verified: true}, {Email: "ada@example.com", Primary: true, Verified: true}},
		orgs:   []org{{Login: "acme"}},
		teams:  []team{{Slug: "platform", Organization: org{Login: "acme"}}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/oauth/access_token", f.token)
	mux.HandleFunc("GET /api/v3/user", f.api(func(*http.Request) (any, string) {
		return user{ID: 4242, Login: "ada", Name: "Ada Lovelace"}, ""
	}))
	mux.HandleFunc("GET /api/v3/user/emails", f.api(func(r *http.Request) (any, string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		// One address a page, as if per_page were 1: pagination must be
		// followed to find the primary one.
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page == 0 {
			page = 1
		}
		if page > len(f.emails) {
			return []email{}, ""
		}
		link := ""
		if page < len(f.emails) {
			link = fmt.Sprintf(`<%s/api/v3/user/emails?per_page=100&page=%d>; rel="next", <%s/api/v3/user/emails?page=%d>; rel="last"`,
				f.srv.URL, page+1, f.srv.URL, len(f.emails))
		}
		return []email{f.emails[page-1]}, link
	}))
	mux.HandleFunc("GET /api/v3/user/orgs", f.api(func(*http.Request) (any, string) { f.mu.Lock(); defer f.mu.Unlock(); return f.orgs, "" }))
	mux.HandleFunc("GET /api/v3/user/teams", f.api(func(*http.Request) (any, string) { f.mu.Lock(); defer f.mu.Unlock(); return f.teams, "" }))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	if r.PostForm.Get("grant_type") == "refresh_token" {
		// A GitHub App's expiring user token.
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("refresh_token") != "ghr_good" {
			json.NewEncoder(w).Encode(map[string]string{"error": "bad_refresh_token"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": fakeToken, "token_type": "bearer", "expires_in": 28800, "refresh_token": "ghr_next"})
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	f.mu.Lock()
	challenge := f.challenge
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	// GitHub answers a bad code with 200 and an error member.
	if r.PostForm.Get("code") != "good-code" || r.PostForm.Get("client_id") != "gh-client" || r.PostForm.Get("client_secret") != "gh-secret" ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
		json.NewEncoder(w).Encode(map[string]string{"error": "bad_verification_code"})
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"access_token": fakeToken, "token_type": "bearer", "scope": "read:user,user:email,read:org"})
}

func (f *fakeGitHub) api(answer func(*http.Request) (any, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		revoked := f.revoked
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+fakeToken || revoked {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		body, link := answer(r)
		if link != "" {
			w.Header().Set("Link", link)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	}
}

func newProvider(t *testing.T, f *fakeGitHub) *Provider {
	p, err := New(Config{BaseURL: f.srv.URL, ClientID: "gh-client", ClientSecret: "gh-secret", RedirectURL: "https://mcp.example.com/oauth/callback"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// login runs AuthCodeURL and Exchange as the authorization server does.
func login(t *testing.T, f *fakeGitHub, p *Provider, code string) (upstream.Identity, error) {
	lp := upstream.LoginParams{State: "st", Verifier: "verifier-verifier-verifier-verifier-verifier-0123"}
	u, err := url.Parse(p.AuthCodeURL(lp))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/login/oauth/authorize" || q.Get("state") != "st" || q.Get("code_challenge_method") != "S256" || q.Get("client_id") != "gh-client" ||
		q.Get("scope") != "read:user user:email read:org" {
		t.Fatalf("authorize URL: %s", u)
	}
	f.mu.Lock()
	f.challenge = q.Get("code_challenge")
	f.mu.Unlock()
	return p.Exchange(context.Background(), upstream.Callback{Code: code}, lp)
}

func TestSignIn(t *testing.T) {
	f := startFake(t)
	id, err := login(t, f, newProvider(t, f), "good-code")
	if err != nil {
		t.Fatal(err)
	}
	want := upstream.Identity{Subject: f.srv.URL + "#4242", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace",
		Groups: []string{"acme", "acme/platform"}}
	if id.Subject != want.Subject || id.Email != want.Email || !id.EmailVerified || id.Name != want.Name || !slices.Equal(id.Groups, want.Groups) {
		t.Errorf("got %+v, want %+v", id, want)
	}
}

func TestSignInFailures(t *testing.T) {
	tests := []struct {
		name   string
		change func(*fakeGitHub)
		code   string
		check  func(t *testing.T, id upstream.Identity, err error)
	}{
		{name: "bad code", code: "stolen-code", check: func(t *testing.T, _ upstream.Identity, err error) {
			if err == nil {
				t.Error("a code GitHub refused signed someone in")
			}
		}},
		{name: "unverified primary email", code: "good-code",
			change: func(f *fakeGitHub) { f.emails = []email{{Email: "claimed@example.com", Primary: true}} },
			check: func(t *testing.T, id upstream.Identity, err error) {
				if err != nil || id.EmailVerified {
					t.Errorf("got %+v %v, want the email marked unverified (the authorization server drops it)", id, err)
				}
			}},
		{name: "no organizations", code: "good-code",
			change: func(f *fakeGitHub) { f.orgs, f.teams = nil, nil },
			check: func(t *testing.T, id upstream.Identity, err error) {
				if err != nil || len(id.Groups) != 0 {
					t.Errorf("got %+v %v, want no groups (so policy.signin.required_groups refuses the user)", id, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t)
			if tt.change != nil {
				tt.change(f)
			}
			id, err := login(t, f, newProvider(t, f), tt.code)
			tt.check(t, id, err)
		})
	}
}

// TestRefresh: checking the user again reads them anew with the token of
// the sign-in (GitHub gives no refresh token); once the user revokes the
// authorization the grant is revoked.
func TestRefresh(t *testing.T) {
	f := startFake(t)
	p := newProvider(t, f)
	signedIn, err := login(t, f, p, "good-code")
	if err != nil || signedIn.Tokens.AccessToken != fakeToken {
		t.Fatalf("sign-in: %+v %v", signedIn, err)
	}
	f.mu.Lock()
	f.teams = nil // left the platform team
	f.mu.Unlock()
	again, err := p.Refresh(context.Background(), signedIn.Subject, signedIn.Tokens)
	if err != nil || !slices.Equal(again.Groups, []string{"acme"}) || again.Tokens != signedIn.Tokens {
		t.Errorf("refresh: %+v %v, want the groups read anew", again, err)
	}
	if _, err := p.Refresh(context.Background(), f.srv.URL+"#1", signedIn.Tokens); !errors.Is(err, upstream.ErrVerification) {
		t.Errorf("refresh for another user: got %v, want a verification error", err)
	}
	f.mu.Lock()
	f.revoked = true
	f.mu.Unlock()
	if _, err := p.Refresh(context.Background(), signedIn.Subject, signedIn.Tokens); !errors.Is(err, upstream.ErrGrantRevoked) {
		t.Errorf("after the user revoked the app: got %v, want ErrGrantRevoked", err)
	}
}

func TestAPIRoot(t *testing.T) {
	for base, want := range map[string]string{
		"":                            "https://api.github.com",
		"https://github.com/":         "https://api.github.com",
		"https://github.example.com":  "https://github.example.com/api/v3",
		"https://github.example.com/": "https://github.example.com/api/v3",
	} {
		p, err := New(Config{BaseURL: base, ClientID: "c", RedirectURL: "https://x/cb"})
		if err != nil {
			t.Fatal(err)
		}
		if p.api != want {
			t.Errorf("%q: API at %s, want %s", base, p.api, want)
		}
	}
	if _, err := New(Config{BaseURL: "ftp://github.example.com", ClientID: "c", RedirectURL: "https://x/cb"}); err == nil {
		t.Error("an ftp base URL was accepted")
	}
}

// TestNextPageStaysOnTheAPI: a Link header cannot send the token elsewhere.
func TestNextPageStaysOnTheAPI(t *testing.T) {
	api := "https://api.github.com"
	for link, want := range map[string]string{
		`<https://api.github.com/user/emails?page=2>; rel="next", <https://api.github.com/user/emails?page=5>; rel="last"`: "https://api.github.com/user/emails?page=2",
		`<https://evil.example/steal?page=2>; rel="next"`:                                                                  "",
		`<https://api.github.com.evil.example/x>; rel="next"`:                                                              "",
		`<https://api.github.com/user/emails?page=1>; rel="prev"`:                                                          "",
		"": "",
	} {
		if got := nextPage(link, api); got != want {
			t.Errorf("%s: got %q, want %q", link, got, want)
		}
	}
}

// TestRefreshGitHubApp: a GitHub App's user token comes with a refresh
// token, redeemed on each check; GitHub refusing it ends the grant.
func TestRefreshGitHubApp(t *testing.T) {
	f := startFake(t)
	p := newProvider(t, f)
	subject := f.srv.URL + "#4242"
	id, err := p.Refresh(context.Background(), subject, upstream.Tokens{AccessToken: "expired", RefreshToken: "ghr_good"})
	if err != nil || id.Tokens.RefreshToken != "ghr_next" || id.Tokens.AccessToken != fakeToken || id.Tokens.Expiry.IsZero() {
		t.Errorf("got %+v %v, want the rotated tokens", id, err)
	}
	if _, err := p.Refresh(context.Background(), subject, upstream.Tokens{RefreshToken: "ghr_stale"}); !errors.Is(err, upstream.ErrGrantRevoked) {
		t.Errorf("a refused refresh token: got %v, want ErrGrantRevoked", err)
	}
}
