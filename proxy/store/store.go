package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors every implementation returns, wrapped or bare; test them
// with errors.Is.
var (
	// ErrNotFound: no record under that key (or it has expired).
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a Create found a record under the same key.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrUnavailable: the backend could not be reached; callers answer 503.
	ErrUnavailable = errors.New("store: unavailable")
)

// Store is everything the authorization server persists. Every method is
// safe for concurrent use, also across processes sharing one backend.
//
// Update methods take an updater that receives the current record and may
// change it; the change is applied atomically (no other update of the same
// record interleaves). When the updater returns an error nothing is written
// and that error is returned unchanged.
//
// Getters never return expired records: an expired record is ErrNotFound even
// before GarbageCollect removes it. Updaters run on a private copy and must
// not call the store. The storetest package documents the finer points every
// backend shares (time precision, zero expiries, deletes of missing records).
type Store interface {
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, id string) (Client, error)
	UpdateClient(ctx context.Context, id string, update func(*Client) error) error
	DeleteClient(ctx context.Context, id string) error

	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	GetAuthRequest(ctx context.Context, id string) (AuthRequest, error)
	UpdateAuthRequest(ctx context.Context, id string, update func(*AuthRequest) error) error
	DeleteAuthRequest(ctx context.Context, id string) error

	CreateAuthCode(ctx context.Context, c AuthCode) error
	// RedeemAuthCode is how a code is redeemed, in one atomic step: redeem
	// receives the live code under hash and returns the first refresh
	// token of the grant it issues; the store then marks the code Redeemed
	// with the token's FamilyID and saves the token, or, if redeem fails,
	// writes nothing and returns its error unchanged. A code redeemed
	// before is passed to redeem as it is (Redeemed, FamilyID of the
	// winner) so that the caller can revoke what the winner got; a token
	// returned for it is refused with ErrAlreadyExists. Of concurrent
	// redemptions exactly one wins. redeem may be called more than once
	// when a concurrent change is detected, so it must only compute.
	RedeemAuthCode(ctx context.Context, hash string, redeem func(code AuthCode) (*RefreshToken, error)) error

	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	GetRefreshToken(ctx context.Context, hash string) (RefreshToken, error)
	// RotateRefreshToken loads the token under hash, lets rotate change it
	// and return its successor, then writes both in one atomic step. If the
	// token's family was revoked the token is ErrNotFound. rotate may be
	// called more than once when a concurrent change is detected, so it
	// must only compute.
	RotateRefreshToken(ctx context.Context, hash string, rotate func(current *RefreshToken) (successor *RefreshToken, err error)) error
	// RevokeGrant deletes every refresh token of the family r.FamilyID,
	// whose tokens are never found again, and records r until r.ExpiresAt
	// so that every replica learns of it (Revocations).
	RevokeGrant(ctx context.Context, r Revocation) error
	// Revocations lists the live revocations with RevokedAt at or after
	// since, in no particular order.
	Revocations(ctx context.Context, since time.Time) ([]Revocation, error)

	// CreateUpstreamGrant stores g; ErrAlreadyExists if its family has a
	// live one.
	CreateUpstreamGrant(ctx context.Context, g UpstreamGrant) error
	GetUpstreamGrant(ctx context.Context, familyID string) (UpstreamGrant, error)
	// UpdateUpstreamGrant runs update once on a private copy of the
	// family's grant, under the grant's lock, and writes the result unless
	// update fails (its error is returned unchanged). update must not call
	// the IdP: a concurrent caller waits for it.
	UpdateUpstreamGrant(ctx context.Context, familyID string, update func(*UpstreamGrant) error) error
	DeleteUpstreamGrant(ctx context.Context, familyID string) error
	// UpstreamGrantsOf lists the live upstream grants of subject, in no
	// particular order: how a logout at the IdP finds a user's sign-ins.
	UpstreamGrantsOf(ctx context.Context, subject string) ([]UpstreamGrant, error)

	// CreateGrant stores g; ErrAlreadyExists if its family has a live one.
	CreateGrant(ctx context.Context, g Grant) error
	// UpdateGrant runs update once on a private copy of the family's grant
	// and writes the result unless update fails (its error is returned).
	UpdateGrant(ctx context.Context, familyID string, update func(*Grant) error) error
	DeleteGrant(ctx context.Context, familyID string) error
	// GrantsOf lists the live grants of subject, in no particular order.
	GrantsOf(ctx context.Context, subject string) ([]Grant, error)
	// AllGrants lists up to limit live grants of every user, in no
	// particular order (the administrators' view).
	AllGrants(ctx context.Context, limit int) ([]Grant, error)

	// CreatePersonalToken stores t; ErrAlreadyExists if a live token has
	// its hash.
	CreatePersonalToken(ctx context.Context, t PersonalToken) error
	GetPersonalToken(ctx context.Context, hash string) (PersonalToken, error)
	// UpdatePersonalToken runs update once on a private copy of the token
	// under its lock and writes the result unless update fails (its error
	// is returned unchanged).
	UpdatePersonalToken(ctx context.Context, hash string, update func(*PersonalToken) error) error
	DeletePersonalToken(ctx context.Context, hash string) error
	// PersonalTokensOf lists the live tokens of subject, in no particular
	// order.
	PersonalTokensOf(ctx context.Context, subject string) ([]PersonalToken, error)
	// AllPersonalTokens lists up to limit live tokens of every user.
	AllPersonalTokens(ctx context.Context, limit int) ([]PersonalToken, error)

	// PutConsent creates or replaces the consent of (Subject, ClientID).
	PutConsent(ctx context.Context, c Consent) error
	GetConsent(ctx context.Context, subject, clientID string) (Consent, error)
	DeleteConsent(ctx context.Context, subject, clientID string) error

	CreateSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys returns every key not yet expired, oldest first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	UpdateSigningKey(ctx context.Context, id string, update func(*SigningKey) error) error

	// EnsureSecret stores value under name unless a value is already there,
	// and returns the stored value: every replica ends up with the same one.
	EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error)

	// ClaimOnce records that key was used, until expiresAt: the first call
	// for a key succeeds, every later one before expiresAt is
	// ErrAlreadyExists. It is how one-time values (a client assertion's
	// jti) are refused on replay across replicas.
	ClaimOnce(ctx context.Context, key string, expiresAt time.Time) error

	// Increment adds one to the counter under key and returns its new
	// value. A counter that does not exist or has expired starts at 1 and
	// lives until expiresAt (later calls do not extend it). It is how
	// limits shared by replicas count (requests per address and window).
	Increment(ctx context.Context, key string, expiresAt time.Time) (int64, error)

	// GarbageCollect removes every record whose expiry is before now.
	GarbageCollect(ctx context.Context, now time.Time) (GCResult, error)

	Close() error
}

// GCResult counts what GarbageCollect removed.
type GCResult struct {
	Clients, AuthRequests, AuthCodes, RefreshTokens, Consents, SigningKeys, Claims, Revocations, Counters, UpstreamGrants int64
	PersonalTokens, Grants                                                                                                int64
}

// Total is the number of records removed.
func (r GCResult) Total() int64 {
	return r.Clients + r.AuthRequests + r.AuthCodes + r.RefreshTokens + r.Consents + r.SigningKeys + r.Claims + r.Revocations + r.Counters +
		r.UpstreamGrants + r.PersonalTokens + r.Grants
}

// Option configures a backend when it is opened.
type Option func(*Settings)

// Settings are what Options set.
type Settings struct {
	// Now is the clock expiry is judged by: the one the authorization
	// server uses, so that tests can move both at once. Defaults to
	// time.Now.
	Now func() time.Time
}

// WithClock makes the store judge expiry by now.
func WithClock(now func() time.Time) Option {
	return func(s *Settings) { s.Now = now }
}

// Apply applies opts to the defaults.
func Apply(opts []Option) Settings {
	s := Settings{Now: time.Now}
	for _, o := range opts {
		o(&s)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	return s
}
