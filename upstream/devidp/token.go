package devidp

import (
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	IDToken     string `json:"id_token"`
	Scope       string `json:"scope,omitempty"`
}

type idTokenClaims struct {
	Issuer   string `json:"iss"`
	Audience string `json:"aud"`
	Expiry   int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	AuthTime int64  `json:"auth_time"`
	Nonce    string `json:"nonce,omitempty"`
	AtHash   string `json:"at_hash"`
	userClaims
}

// userClaims are sent whatever the scope: mcpgate's default scopes omit
// groups, and the person typed them in precisely to have them used.
type userClaims struct {
	Subject       string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name,omitempty"`
	Groups        []string `json:"groups"`
}

func claimsOf(u user) userClaims {
	return userClaims{Subject: u.sub, Email: u.email, EmailVerified: true, Name: u.name, Groups: u.groups}
}

// verifierFormat is RFC 7636 section 4.1's code_verifier.
var verifierFormat = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// tokenParams may appear at most once (RFC 6749 section 3.2).
var tokenParams = []string{"grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret"}

func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	if oerr := p.token(w, r); oerr != nil {
		p.log.Info("devidp: token request refused", "error", oerr.Code, "reason", oerr.Desc)
		oerr.write(w)
	}
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) *oauthError {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return newOAuthError(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		desc := "the body cannot be parsed"
		if isTooLarge(err) {
			desc = "the body is too large"
		}
		return newOAuthError(http.StatusBadRequest, "invalid_request", desc)
	}
	// PostForm only: credentials and codes in a URL end up in logs.
	form := r.PostForm
	for _, k := range tokenParams {
		if len(form[k]) > 1 {
			return newOAuthError(http.StatusBadRequest, "invalid_request", k+" is repeated")
		}
	}
	clientID, oerr := p.authenticateClient(r, form)
	if oerr != nil {
		return oerr
	}
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
	case "":
		return newOAuthError(http.StatusBadRequest, "invalid_request", "grant_type is missing")
	default:
		return newOAuthError(http.StatusBadRequest, "unsupported_grant_type", "only authorization_code is supported")
	}
	code := form.Get("code")
	if code == "" {
		return newOAuthError(http.StatusBadRequest, "invalid_request", "code is missing")
	}
	now := p.now()
	accessToken, grant, req, oerr := p.redeem(code, clientID, form.Get("redirect_uri"), form.Get("code_verifier"), now)
	if oerr != nil {
		return oerr
	}
	idToken, err := p.key.sign(idTokenClaims{
		Issuer:     p.issuer,
		Audience:   clientID,
		Expiry:     grant.expires.Unix(),
		IssuedAt:   now.Unix(),
		AuthTime:   grant.user.authTime.Unix(),
		Nonce:      req.nonce,
		AtHash:     atHash(accessToken),
		userClaims: claimsOf(grant.user),
	})
	if err != nil {
		p.log.Error("devidp: sign id token", "err", err)
		return newOAuthError(http.StatusInternalServerError, "server_error", "cannot sign the id token")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: accessToken,
		TokenType:   "Bearer",
		ExpiresIn:   int64(tokenTTL / time.Second),
		IDToken:     idToken,
		Scope:       req.scope,
	})
	return nil
}

// authenticateClient accepts client_secret_basic or client_secret_post, but
// not both at once (RFC 6749 section 2.3).
func (p *Provider) authenticateClient(r *http.Request, form url.Values) (string, *oauthError) {
	id, secret, basic := r.BasicAuth()
	switch {
	case basic:
		if form.Has("client_secret") {
			return "", newOAuthError(http.StatusBadRequest, "invalid_request", "use one client authentication method, not two")
		}
		// RFC 6749 section 2.3.1: both halves are form-encoded before base64.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return "", newOAuthError(http.StatusUnauthorized, "invalid_client", "malformed client credentials")
		}
		if form.Has("client_id") && form.Get("client_id") != id {
			return "", newOAuthError(http.StatusBadRequest, "invalid_request", "client_id differs from the authenticated client")
		}
	case r.Header.Get("Authorization") != "":
		return "", newOAuthError(http.StatusUnauthorized, "invalid_client", "unsupported Authorization scheme")
	case form.Has("client_secret"):
		id, secret = form.Get("client_id"), form.Get("client_secret")
	default:
		return "", newOAuthError(http.StatusUnauthorized, "invalid_client", "client authentication is required")
	}
	// Both compared whatever the first result, so timing does not tell a
	// wrong id from a wrong secret.
	idOK := equalSecret(id, p.clientID)
	sum := sha256.Sum256([]byte(secret))
	secretOK := equalSecret(string(sum[:]), string(p.secretDigest[:]))
	if !idOK || !secretOK {
		return "", newOAuthError(http.StatusUnauthorized, "invalid_client", "client authentication failed")
	}
	return id, nil
}

// redeem spends a code and issues the access token for it. The code is
// spent by the first attempt, successful or not: a failed PKCE check must
// not leave the code open to more guesses.
func (p *Provider) redeem(code, clientID, redirectURI, verifier string, now time.Time) (string, accessGrant, authRequest, *oauthError) {
	invalid := func(desc string) (string, accessGrant, authRequest, *oauthError) {
		return "", accessGrant{}, authRequest{}, newOAuthError(http.StatusBadRequest, "invalid_grant", desc)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pruneLocked(now)
	ac := p.codes[digest(code)]
	switch {
	case ac == nil || !now.Before(ac.expires):
		return invalid("the code is unknown or expired")
	case ac.redeemed:
		// RFC 6749 section 4.1.2: a replayed code means it leaked, so what
		// was issued for it is withdrawn.
		delete(p.tokens, ac.tokenKey)
		p.log.Warn("devidp: authorization code replayed; its access token is revoked", "client_id", clientID)
		return invalid("the code was already used")
	}
	ac.redeemed = true
	switch {
	case ac.req.clientID != clientID:
		return invalid("the code was issued to another client")
	case ac.req.redirectURI != redirectURI:
		return invalid("redirect_uri differs from the authorization request")
	case !verifierFormat.MatchString(verifier):
		return invalid("code_verifier is missing or malformed")
	}
	sum := sha256.Sum256([]byte(verifier))
	if !equalSecret(base64.RawURLEncoding.EncodeToString(sum[:]), ac.req.challenge) {
		return invalid("code_verifier does not match the code_challenge")
	}
	if len(p.tokens) >= maxEntries {
		return "", accessGrant{}, authRequest{}, newOAuthError(http.StatusServiceUnavailable, "temporarily_unavailable", "too many live access tokens")
	}
	token := randomToken()
	grant := accessGrant{clientID: clientID, user: ac.user, expires: now.Add(tokenTTL)}
	ac.tokenKey = digest(token)
	p.tokens[ac.tokenKey] = &grant
	return token, grant, ac.req, nil
}

// serveUserInfo answers with the claims of the access token's user (OIDC
// Core section 5.3).
func (p *Provider) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		// RFC 6750 section 3.1: no error code when no token was sent.
		w.Header().Set("WWW-Authenticate", `Bearer realm="devidp"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_request", "error_description": "a Bearer access token is required"})
		return
	}
	now := p.now()
	p.mu.Lock()
	g := p.tokens[digest(strings.TrimSpace(token))]
	var grant accessGrant
	if g != nil && now.Before(g.expires) {
		grant = *g
	}
	p.mu.Unlock()
	if grant.user.sub == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devidp", error="invalid_token", error_description="the access token is unknown or expired"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "the access token is unknown or expired"})
		return
	}
	writeJSON(w, http.StatusOK, claimsOf(grant.user))
}
