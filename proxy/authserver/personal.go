package authserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/pat"
	"github.com/mcpgate/mcpgate/proxy/principal"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// PersonalTokenRecheck is how long a replica trusts a personal access
// token it read from the store before reading it again: a revocation
// reaches other replicas through the revocation poll well within it, and
// an expiry, a policy change or the IdP's refusal of the user at the
// latest after it. Between reads, no request of the token touches the
// store.
const PersonalTokenRecheck = 5 * time.Minute

// noExpiry stands for the expiry of a token that lives until revoked.
var noExpiry = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// NeverExpires reports whether a token's expiry is the one of a token
// that lives until revoked.
func NeverExpires(expiry time.Time) bool { return expiry.Equal(noExpiry) }

// grantPrefix marks a personal access token's ID in the revocation list,
// apart from refresh families.
const grantPrefix = "pat:"

// PersonalTokenRequest is what the user asks for on the account page.
type PersonalTokenRequest struct {
	Name string
	// Lifetime is one of the policy's TokenLifetimes; 0 for no expiry.
	Lifetime time.Duration
	// Resources are the backends' resource identifiers; at least one.
	Resources []string
	// Scopes, when empty, are every scope of those resources the user may
	// hold, unless ScopesChosen (the user was offered scopes and chose
	// none: refused).
	Scopes       []string
	ScopesChosen bool
}

// TokenEvent is a personal access token's creation or revocation, or a
// client's revocation from the account pages, for the audit log.
type TokenEvent struct {
	// Client is set for a client's revocation: TokenID is then the
	// client's id.
	Client bool
	// Action is "create" or "revoke".
	Action                   string
	Subject, IdP, Email      string
	TokenID, Name, RevokedBy string
}

// maxTokenName bounds a token's name, shown in lists and the audit log.
const maxTokenName = 100

// maxTokensPerUser bounds a user's live tokens: each is read per request
// of the account page, and the administrators' view lists them all.
const maxTokensPerUser = 50

func tokenRefused(message string) *PageError {
	return pageError(http.StatusBadRequest, "Token not made", message)
}

// CreatePersonalToken makes a personal access token for owner, the user
// of a browser session who signed in at the IdP at authTime. It returns
// the token, which is never stored and cannot be shown again, and its
// record. Where the IdP's sign-ins are limited in age
// (upstream.max_session_age), so is the token.
func (s *Server) CreatePersonalToken(ctx context.Context, owner store.Identity, authTime time.Time, r PersonalTokenRequest) (string, store.PersonalToken, error) {
	pol := s.cfg.Policy.Load()
	who := principalOf(owner, "", nil)
	if why := pol.PersonalTokens(who); why != "" {
		return "", store.PersonalToken{}, pageError(http.StatusForbidden, "Personal access tokens not allowed", why)
	}
	name := strings.TrimSpace(r.Name)
	if name == "" || len(name) > maxTokenName || !printableText(name) {
		return "", store.PersonalToken{}, tokenRefused(fmt.Sprintf("Give the token a name of at most %d characters.", maxTokenName))
	}
	if !slices.Contains(pol.TokenLifetimes(), r.Lifetime) {
		return "", store.PersonalToken{}, tokenRefused("Choose one of the lifetimes offered.")
	}
	if len(r.Resources) == 0 {
		return "", store.PersonalToken{}, tokenRefused("Choose at least one MCP server.")
	}
	var scopes []string
	for _, res := range r.Resources {
		if !slices.Contains(s.resources(), res) {
			return "", store.PersonalToken{}, tokenRefused("One of the MCP servers chosen is not served here.")
		}
		for _, sc := range grantable(s.rulesFor(res), who, s.resource(res).Scopes) {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	if r.ScopesChosen && len(r.Scopes) == 0 {
		return "", store.PersonalToken{}, tokenRefused("Choose at least one scope.")
	}
	if len(r.Scopes) > 0 {
		for _, sc := range r.Scopes {
			if !slices.Contains(scopes, sc) {
				return "", store.PersonalToken{}, tokenRefused(fmt.Sprintf("You may not hold the scope %q on the servers chosen.", sc))
			}
		}
		scopes = slices.Clone(r.Scopes)
	}
	if have, err := s.store.PersonalTokensOf(ctx, owner.Subject); err != nil {
		return "", store.PersonalToken{}, internal("list personal tokens", err)
	} else if len(have) >= maxTokensPerUser {
		return "", store.PersonalToken{}, tokenRefused(fmt.Sprintf("You have %d tokens, the most one may have. Revoke one first.", len(have)))
	}
	now := s.now()
	expiry := noExpiry
	if r.Lifetime > 0 {
		expiry = now.Add(r.Lifetime)
	}
	if idp := s.idp(owner.IdP); idp != nil && idp.MaxSessionAge > 0 {
		if end := authTime.Add(idp.MaxSessionAge); end.Before(expiry) {
			expiry = end
		}
		if !now.Before(expiry) {
			return "", store.PersonalToken{}, pageError(http.StatusForbidden, "Sign in again", "Your sign-in is too old. Sign in again to make a token.")
		}
	}
	token := pat.New()
	rec := store.PersonalToken{Hash: oauth.Hash(token), ID: oauth.NewID(), Name: name, Identity: owner, Scopes: scopes,
		Resources: slices.Clone(r.Resources), CreatedAt: now, ExpiresAt: expiry}
	if err := s.keepGrantFor(ctx, owner, expiry); err != nil {
		return "", store.PersonalToken{}, err
	}
	if err := s.store.CreatePersonalToken(ctx, rec); err != nil {
		return "", store.PersonalToken{}, internal("create personal token", err)
	}
	s.tokenEvent(TokenEvent{Action: "create", Subject: owner.Subject, IdP: owner.IdP, Email: owner.Email, TokenID: rec.ID, Name: name})
	return token, rec, nil
}

// keepGrantFor keeps the IdP grant behind owner's sign-in as long as a
// token made from it lives, so that the IdP can still be asked about the
// user (and a logout there still finds the token).
func (s *Server) keepGrantFor(ctx context.Context, owner store.Identity, until time.Time) error {
	if owner.UpstreamGrant == "" || s.tracking == nil {
		return nil
	}
	err := s.store.UpdateUpstreamGrant(ctx, owner.UpstreamGrant, func(g *store.UpstreamGrant) error {
		if g.Subject != owner.Subject {
			return errUpstreamRevoked
		}
		if g.ExpiresAt.Before(until) {
			g.ExpiresAt = until
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, errUpstreamRevoked) {
		return pageError(http.StatusForbidden, "Sign in again", "Your sign-in has ended. Sign in again to make a token.")
	}
	if err != nil {
		return internal("keep upstream grant for a token", err)
	}
	return nil
}

func (s *Server) tokenEvent(e TokenEvent) {
	if s.tokenAudit != nil {
		s.tokenAudit(e)
	}
}

// PersonalTokensOf lists the live personal access tokens of subject.
func (s *Server) PersonalTokensOf(ctx context.Context, subject string) ([]store.PersonalToken, error) {
	list, err := s.store.PersonalTokensOf(ctx, subject)
	if err != nil {
		return nil, internal("list personal tokens", err)
	}
	slices.SortFunc(list, func(a, b store.PersonalToken) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return list, nil
}

// RevokePersonalToken ends subject's token id: the record is deleted, so
// that the next read of any replica finds nothing, and the ID goes on
// the revocation list, which replicas that keep it in memory meet within
// their revocation poll. by names who revoked it, for the audit log.
func (s *Server) RevokePersonalToken(ctx context.Context, subject, id, by string) error {
	list, err := s.store.PersonalTokensOf(ctx, subject)
	if err != nil {
		return internal("list personal tokens", err)
	}
	i := slices.IndexFunc(list, func(t store.PersonalToken) bool { return t.ID == id })
	if i < 0 {
		return pageError(http.StatusNotFound, "No such token", "The token was revoked already, or has expired.")
	}
	t := list[i]
	if err := s.store.DeletePersonalToken(ctx, t.Hash); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal("delete personal token", err)
	}
	if err := s.revokeFor(ctx, grantPrefix+id, PersonalTokenRecheck); err != nil {
		return internal("revoke personal token", err)
	}
	s.tokenEvent(TokenEvent{Action: "revoke", Subject: subject, IdP: t.Identity.IdP, Email: t.Identity.Email, TokenID: id, Name: t.Name, RevokedBy: by})
	return nil
}

var errPersonalToken = &principal.Refusal{Description: "the personal access token is not valid"}

// PersonalTokens is the verifier of personal access tokens at the MCP
// endpoint.
func (s *Server) PersonalTokens() principal.Verifier { return personalVerifier{s} }

type personalVerifier struct{ s *Server }

// Verify implements principal.Verifier. A mistyped or made-up token is
// refused by its checksum before any store read. The principal it returns
// expires at the latest PersonalTokenRecheck from now, so that the MCP
// endpoint's cache reads it again then.
func (v personalVerifier) Verify(ctx context.Context, token string, now time.Time) (*principal.Principal, error) {
	s := v.s
	if !pat.Valid(token) {
		return nil, errPersonalToken
	}
	rec, err := s.store.GetPersonalToken(ctx, oauth.Hash(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errPersonalToken // unknown, revoked or expired
	case err != nil:
		return nil, fmt.Errorf("authserver: read personal token: %w", err)
	}
	id := rec.Identity
	if s.idp(id.IdP) == nil {
		return nil, errPersonalToken
	}
	pol := s.cfg.Policy.Load()
	expires := effectiveExpiry(pol.TokenLifetimeLimit, rec)
	if !now.Before(expires) {
		return nil, &principal.Refusal{Description: "the personal access token has expired"}
	}
	fresh, err := s.checkUpstream(ctx, id)
	switch {
	case errors.Is(err, errUpstreamRevoked):
		return nil, &principal.Refusal{Description: "the identity provider no longer grants access to this user"}
	case err != nil:
		return nil, fmt.Errorf("authserver: check the IdP for a personal token: %w", err)
	case fresh != nil:
		id = *fresh
	}
	// The last use is kept to the recheck's precision: one write per read.
	err = s.store.UpdatePersonalToken(ctx, rec.Hash, func(t *store.PersonalToken) error {
		t.LastUsedAt = now
		t.Identity = id
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.WarnContext(ctx, "note personal token use", "err", err)
	}
	// The policy in force decides, on the user as the IdP describes them
	// now: a token does not keep what its maker was allowed then.
	who := principalOf(id, "", nil)
	if !pol.SignIn(who).Allowed {
		return nil, &principal.Refusal{Description: "the sign-in policy no longer admits this user"}
	}
	if why := pol.PersonalTokens(who); why != "" {
		return nil, &principal.Refusal{Description: "personal access tokens are not allowed for this user"}
	}
	scopes := s.grantableOn(rec.Resources, who, rec.Scopes)
	expiry := now.Add(PersonalTokenRecheck)
	if expires.Before(expiry) {
		expiry = expires
	}
	return &principal.Principal{
		Subject: id.Subject, Email: id.Email, EmailVerified: id.EmailVerified, Name: id.Name, Groups: id.Groups, IdP: id.IdP,
		ClientID: grantPrefix + rec.ID, Scopes: scopes, Resources: rec.Resources, Kind: principal.KindPersonalToken,
		GrantID: grantPrefix + rec.ID, UpstreamGrantID: id.UpstreamGrant, Expiry: expiry,
	}, nil
}

// effectiveExpiry is when rec ends under the lifetime limit in force.
func effectiveExpiry(limit func() (time.Duration, bool), rec store.PersonalToken) time.Time {
	max, unlimited := limit()
	end := rec.ExpiresAt
	if end.Equal(noExpiry) && unlimited {
		return end
	}
	if capped := rec.CreatedAt.Add(max); capped.Before(end) {
		end = capped
	}
	return end
}

// grantableOn narrows scopes to those who may hold on one of resources
// under the rules in force.
func (s *Server) grantableOn(resources []string, who *principal.Principal, scopes []string) []string {
	var out []string
	for _, sc := range scopes {
		for _, r := range resources {
			if slices.Contains(s.resource(r).Scopes, sc) && s.rulesFor(r).GrantableScope(who, sc) {
				out = append(out, sc)
				break
			}
		}
	}
	return out
}

// PersonalTokenOffer is what the account page offers owner: why tokens are
// not allowed (then nothing else), or the lifetimes and the scopes to
// choose from (those owner may hold on some server).
func (s *Server) PersonalTokenOffer(owner store.Identity) (refused string, lifetimes []time.Duration, scopes []string) {
	pol := s.cfg.Policy.Load()
	who := principalOf(owner, "", nil)
	if why := pol.PersonalTokens(who); why != "" {
		return why, nil, nil
	}
	for _, r := range s.cfg.Resources {
		for _, sc := range grantable(s.rulesFor(r.URL), who, r.Scopes) {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	return "", pol.TokenLifetimes(), scopes
}
