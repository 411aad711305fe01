package devidp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestTokenRefusals(t *testing.T) {
	f := start(t)
	type request struct {
		form       url.Values
		id, secret string // Basic credentials; id "" sends none
	}
	tests := []struct {
		name string
		// prepare gets a fresh code and its verifier and returns the
		// request under test.
		prepare    func(t *testing.T, code, verifier string) request
		wantStatus int
		wantError  string
	}{
		{
			name: "code reuse",
			prepare: func(t *testing.T, code, verifier string) request {
				f.exchange(t, code, verifier)
				return request{form: tokenForm(code, verifier), id: clientID, secret: clientSecret}
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "wrong verifier",
			prepare: func(t *testing.T, code, _ string) request {
				return request{form: tokenForm(code, oauth2.GenerateVerifier()), id: clientID, secret: clientSecret}
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "missing verifier",
			prepare: func(t *testing.T, code, _ string) request {
				return request{form: tokenForm(code, ""), id: clientID, secret: clientSecret}
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "wrong client secret",
			prepare: func(t *testing.T, code, verifier string) request {
				return request{form: tokenForm(code, verifier), id: clientID, secret: "guess"}
			},
			wantStatus: 401, wantError: "invalid_client",
		},
		{
			name: "wrong client secret in the body",
			prepare: func(t *testing.T, code, verifier string) request {
				form := tokenForm(code, verifier)
				form.Set("client_id", clientID)
				form.Set("client_secret", "guess")
				return request{form: form}
			},
			wantStatus: 401, wantError: "invalid_client",
		},
		{
			name: "unknown client",
			prepare: func(t *testing.T, code, verifier string) request {
				return request{form: tokenForm(code, verifier), id: "other", secret: clientSecret}
			},
			wantStatus: 401, wantError: "invalid_client",
		},
		{
			name: "no client authentication",
			prepare: func(t *testing.T, code, verifier string) request {
				form := tokenForm(code, verifier)
				form.Set("client_id", clientID)
				return request{form: form}
			},
			wantStatus: 401, wantError: "invalid_client",
		},
		{
			name: "two authentication methods",
			prepare: func(t *testing.T, code, verifier string) request {
				form := tokenForm(code, verifier)
				form.Set("client_secret", clientSecret)
				return request{form: form, id: clientID, secret: clientSecret}
			},
			wantStatus: 400, wantError: "invalid_request",
		},
		{
			name: "other redirect_uri",
			prepare: func(t *testing.T, code, verifier string) request {
				form := tokenForm(code, verifier)
				form.Set("redirect_uri", "http://127.0.0.1:1/other")
				return request{form: form, id: clientID, secret: clientSecret}
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "expired code",
			prepare: func(t *testing.T, code, verifier string) request {
				f.clock.Advance(61 * time.Second)
				return request{form: tokenForm(code, verifier), id: clientID, secret: clientSecret}
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "unknown code",
			prepare: func(t *testing.T, _, verifier string) request {
				return request{form: tokenForm("made-up", verifier), id: clientID, secret: clientSecret}
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "refresh_token grant",
			prepare: func(t *testing.T, code, verifier string) request {
				form := tokenForm(code, verifier)
				form.Set("grant_type", "refresh_token")
				return request{form: form, id: clientID, secret: clientSecret}
			},
			wantStatus: 400, wantError: "unsupported_grant_type",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			req := tc.prepare(t, f.login(t, verifier), verifier)
			resp := f.postToken(t, req.form, req.id, req.secret)
			defer resp.Body.Close()
			body := decode(t, resp.Body)
			if resp.StatusCode != tc.wantStatus || body["error"] != tc.wantError {
				t.Errorf("got %d %v, want %d with error %s", resp.StatusCode, body, tc.wantStatus, tc.wantError)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
			if tc.wantStatus == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("WWW-Authenticate: got %q, want a Basic challenge", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

func tokenForm(code, verifier string) url.Values {
	return url.Values{
		"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier},
	}
}

// TestCodeSpentByFailedAttempt: a wrong verifier burns the code, so PKCE
// cannot be brute-forced.
func TestCodeSpentByFailedAttempt(t *testing.T) {
	f := start(t)
	verifier := oauth2.GenerateVerifier()
	code := f.login(t, verifier)
	tests := []struct {
		name      string
		verifier  string
		wantError string
	}{
		{"wrong verifier", oauth2.GenerateVerifier(), "invalid_grant"},
		{"right verifier afterwards", verifier, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.postToken(t, tokenForm(code, tc.verifier), clientID, clientSecret)
			defer resp.Body.Close()
			if body := decode(t, resp.Body); body["error"] != tc.wantError {
				t.Errorf("got %v, want error %s", body, tc.wantError)
			}
		})
	}
}

// TestReplayRevokesToken: RFC 6749 section 4.1.2 asks that tokens issued
// for a replayed code be revoked.
func TestReplayRevokesToken(t *testing.T) {
	f := start(t)
	verifier := oauth2.GenerateVerifier()
	code := f.login(t, verifier)
	token := f.exchange(t, code, verifier)["access_token"].(string)
	tests := []struct {
		name       string
		replay     bool
		wantStatus int
	}{
		{"before replay", false, http.StatusOK},
		{"after replay", true, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.replay {
				f.postToken(t, tokenForm(code, verifier), clientID, clientSecret).Body.Close()
			}
			if got := f.userinfo(t, "Bearer "+token); got != tc.wantStatus {
				t.Errorf("userinfo: got status %d, want %d", got, tc.wantStatus)
			}
		})
	}
}

func TestUserInfo(t *testing.T) {
	f := start(t)
	verifier := oauth2.GenerateVerifier()
	token := f.exchange(t, f.login(t, verifier), verifier)["access_token"].(string)
	tests := []struct {
		name       string
		auth       string
		advance    time.Duration
		wantStatus int
	}{
		{"valid token", "Bearer " + token, 0, http.StatusOK},
		{"lower-case scheme", "bearer " + token, 0, http.StatusOK},
		{"no token", "", 0, http.StatusUnauthorized},
		{"unknown token", "Bearer nope", 0, http.StatusUnauthorized},
		{"basic scheme", "Basic " + token, 0, http.StatusUnauthorized},
		{"expired token", "Bearer " + token, 11 * time.Minute, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.clock.Advance(tc.advance)
			if got := f.userinfo(t, tc.auth); got != tc.wantStatus {
				t.Errorf("status: got %d, want %d", got, tc.wantStatus)
			}
		})
	}
}

func (f *fixture) userinfo(t *testing.T, auth string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.issuer+"/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestEndpointLimits(t *testing.T) {
	f := start(t)
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
	}{
		{"GET token", http.MethodGet, "/token", "", http.StatusMethodNotAllowed},
		{"oversized token body", http.MethodPost, "/token", "code=" + strings.Repeat("a", 70<<10), http.StatusBadRequest},
		{"oversized login form", http.MethodPost, "/authorize", "email=" + strings.Repeat("a", 70<<10), http.StatusRequestEntityTooLarge},
		{"unknown path", http.MethodGet, "/admin", "", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, f.issuer+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tc.wantStatus)
			}
		})
	}
}
