package observed

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// CreateClient implements store.Store.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	start := time.Now()
	err := s.Store.CreateClient(ctx, c)
	s.observe(ctx, "CreateClient", start, err)
	return err
}

// GetClient implements store.Store.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	start := time.Now()
	v, err := s.Store.GetClient(ctx, id)
	s.observe(ctx, "GetClient", start, err)
	return v, err
}

// UpdateClient implements store.Store.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*store.Client) error) error {
	start := time.Now()
	err := s.Store.UpdateClient(ctx, id, update)
	s.observe(ctx, "UpdateClient", start, err)
	return err
}

// DeleteClient implements store.Store.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	start := time.Now()
	err := s.Store.DeleteClient(ctx, id)
	s.observe(ctx, "DeleteClient", start, err)
	return err
}

// CreateAuthRequest implements store.Store.
func (s *Store) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	start := time.Now()
	err := s.Store.CreateAuthRequest(ctx, r)
	s.observe(ctx, "CreateAuthRequest", start, err)
	return err
}

// GetAuthRequest implements store.Store.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	start := time.Now()
	v, err := s.Store.GetAuthRequest(ctx, id)
	s.observe(ctx, "GetAuthRequest", start, err)
	return v, err
}

// UpdateAuthRequest implements store.Store.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, update func(*store.AuthRequest) error) error {
	start := time.Now()
	err := s.Store.UpdateAuthRequest(ctx, id, update)
	s.observe(ctx, "UpdateAuthRequest", start, err)
	return err
}

// DeleteAuthRequest implements store.Store.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	start := time.Now()
	err := s.Store.DeleteAuthRequest(ctx, id)
	s.observe(ctx, "DeleteAuthRequest", start, err)
	return err
}

// CreateAuthCode implements store.Store.
func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	start := time.Now()
	err := s.Store.CreateAuthCode(ctx, c)
	s.observe(ctx, "CreateAuthCode", start, err)
	return err
}

// RedeemAuthCode implements store.Store.
func (s *Store) RedeemAuthCode(ctx context.Context, hash string, redeem func(code store.AuthCode) (*store.RefreshToken, error)) error {
	start := time.Now()
	err := s.Store.RedeemAuthCode(ctx, hash, redeem)
	s.observe(ctx, "RedeemAuthCode", start, err)
	return err
}

// CreateRefreshToken implements store.Store.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	start := time.Now()
	err := s.Store.CreateRefreshToken(ctx, t)
	s.observe(ctx, "CreateRefreshToken", start, err)
	return err
}

// GetRefreshToken implements store.Store.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	start := time.Now()
	v, err := s.Store.GetRefreshToken(ctx, hash)
	s.observe(ctx, "GetRefreshToken", start, err)
	return v, err
}

// RotateRefreshToken implements store.Store.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, rotate func(current *store.RefreshToken) (successor *store.RefreshToken, err error)) error {
	start := time.Now()
	err := s.Store.RotateRefreshToken(ctx, hash, rotate)
	s.observe(ctx, "RotateRefreshToken", start, err)
	return err
}

// RevokeGrant implements store.Store.
func (s *Store) RevokeGrant(ctx context.Context, r store.Revocation) error {
	start := time.Now()
	err := s.Store.RevokeGrant(ctx, r)
	s.observe(ctx, "RevokeGrant", start, err)
	return err
}

// Revocations implements store.Store.
func (s *Store) Revocations(ctx context.Context, since time.Time) ([]store.Revocation, error) {
	start := time.Now()
	v, err := s.Store.Revocations(ctx, since)
	s.observe(ctx, "Revocations", start, err)
	return v, err
}

// CreateUpstreamGrant implements store.Store.
func (s *Store) CreateUpstreamGrant(ctx context.Context, g store.UpstreamGrant) error {
	start := time.Now()
	err := s.Store.CreateUpstreamGrant(ctx, g)
	s.observe(ctx, "CreateUpstreamGrant", start, err)
	return err
}

// GetUpstreamGrant implements store.Store.
func (s *Store) GetUpstreamGrant(ctx context.Context, familyID string) (store.UpstreamGrant, error) {
	start := time.Now()
	v, err := s.Store.GetUpstreamGrant(ctx, familyID)
	s.observe(ctx, "GetUpstreamGrant", start, err)
	return v, err
}

// UpdateUpstreamGrant implements store.Store.
func (s *Store) UpdateUpstreamGrant(ctx context.Context, familyID string, update func(*store.UpstreamGrant) error) error {
	start := time.Now()
	err := s.Store.UpdateUpstreamGrant(ctx, familyID, update)
	s.observe(ctx, "UpdateUpstreamGrant", start, err)
	return err
}

// DeleteUpstreamGrant implements store.Store.
func (s *Store) DeleteUpstreamGrant(ctx context.Context, familyID string) error {
	start := time.Now()
	err := s.Store.DeleteUpstreamGrant(ctx, familyID)
	s.observe(ctx, "DeleteUpstreamGrant", start, err)
	return err
}

// UpstreamGrantsOf implements store.Store.
func (s *Store) UpstreamGrantsOf(ctx context.Context, subject string) ([]store.UpstreamGrant, error) {
	start := time.Now()
	v, err := s.Store.UpstreamGrantsOf(ctx, subject)
	s.observe(ctx, "UpstreamGrantsOf", start, err)
	return v, err
}

// CreateGrant implements store.Store.
func (s *Store) CreateGrant(ctx context.Context, g store.Grant) error {
	start := time.Now()
	err := s.Store.CreateGrant(ctx, g)
	s.observe(ctx, "CreateGrant", start, err)
	return err
}

// UpdateGrant implements store.Store.
func (s *Store) UpdateGrant(ctx context.Context, familyID string, update func(*store.Grant) error) error {
	start := time.Now()
	err := s.Store.UpdateGrant(ctx, familyID, update)
	s.observe(ctx, "UpdateGrant", start, err)
	return err
}

// DeleteGrant implements store.Store.
func (s *Store) DeleteGrant(ctx context.Context, familyID string) error {
	start := time.Now()
	err := s.Store.DeleteGrant(ctx, familyID)
	s.observe(ctx, "DeleteGrant", start, err)
	return err
}

// GrantsOf implements store.Store.
func (s *Store) GrantsOf(ctx context.Context, subject string) ([]store.Grant, error) {
	start := time.Now()
	v, err := s.Store.GrantsOf(ctx, subject)
	s.observe(ctx, "GrantsOf", start, err)
	return v, err
}

// AllGrants implements store.Store.
func (s *Store) AllGrants(ctx context.Context, limit int) ([]store.Grant, error) {
	start := time.Now()
	v, err := s.Store.AllGrants(ctx, limit)
	s.observe(ctx, "AllGrants", start, err)
	return v, err
}

// CreatePersonalToken implements store.Store.
func (s *Store) CreatePersonalToken(ctx context.Context, t store.PersonalToken) error {
	start := time.Now()
	err := s.Store.CreatePersonalToken(ctx, t)
	s.observe(ctx, "CreatePersonalToken", start, err)
	return err
}

// GetPersonalToken implements store.Store.
func (s *Store) GetPersonalToken(ctx context.Context, hash string) (store.PersonalToken, error) {
	start := time.Now()
	v, err := s.Store.GetPersonalToken(ctx, hash)
	s.observe(ctx, "GetPersonalToken", start, err)
	return v, err
}

// UpdatePersonalToken implements store.Store.
func (s *Store) UpdatePersonalToken(ctx context.Context, hash string, update func(*store.PersonalToken) error) error {
	start := time.Now()
	err := s.Store.UpdatePersonalToken(ctx, hash, update)
	s.observe(ctx, "UpdatePersonalToken", start, err)
	return err
}

// DeletePersonalToken implements store.Store.
func (s *Store) DeletePersonalToken(ctx context.Context, hash string) error {
	start := time.Now()
	err := s.Store.DeletePersonalToken(ctx, hash)
	s.observe(ctx, "DeletePersonalToken", start, err)
	return err
}

// PersonalTokensOf implements store.Store.
func (s *Store) PersonalTokensOf(ctx context.Context, subject string) ([]store.PersonalToken, error) {
	start := time.Now()
	v, err := s.Store.PersonalTokensOf(ctx, subject)
	s.observe(ctx, "PersonalTokensOf", start, err)
	return v, err
}

// AllPersonalTokens implements store.Store.
func (s *Store) AllPersonalTokens(ctx context.Context, limit int) ([]store.PersonalToken, error) {
	start := time.Now()
	v, err := s.Store.AllPersonalTokens(ctx, limit)
	s.observe(ctx, "AllPersonalTokens", start, err)
	return v, err
}

// PutConsent implements store.Store.
func (s *Store) PutConsent(ctx context.Context, c store.Consent) error {
	start := time.Now()
	err := s.Store.PutConsent(ctx, c)
	s.observe(ctx, "PutConsent", start, err)
	return err
}

// GetConsent implements store.Store.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	start := time.Now()
	v, err := s.Store.GetConsent(ctx, subject, clientID)
	s.observe(ctx, "GetConsent", start, err)
	return v, err
}

// DeleteConsent implements store.Store.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string) error {
	start := time.Now()
	err := s.Store.DeleteConsent(ctx, subject, clientID)
	s.observe(ctx, "DeleteConsent", start, err)
	return err
}

// CreateSigningKey implements store.Store.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	start := time.Now()
	err := s.Store.CreateSigningKey(ctx, k)
	s.observe(ctx, "CreateSigningKey", start, err)
	return err
}

// ListSigningKeys implements store.Store.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	start := time.Now()
	v, err := s.Store.ListSigningKeys(ctx)
	s.observe(ctx, "ListSigningKeys", start, err)
	return v, err
}

// UpdateSigningKey implements store.Store.
func (s *Store) UpdateSigningKey(ctx context.Context, id string, update func(*store.SigningKey) error) error {
	start := time.Now()
	err := s.Store.UpdateSigningKey(ctx, id, update)
	s.observe(ctx, "UpdateSigningKey", start, err)
	return err
}

// EnsureSecret implements store.Store.
func (s *Store) EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	start := time.Now()
	v, err := s.Store.EnsureSecret(ctx, name, value)
	s.observe(ctx, "EnsureSecret", start, err)
	return v, err
}

// ClaimOnce implements store.Store.
func (s *Store) ClaimOnce(ctx context.Context, key string, expiresAt time.Time) error {
	start := time.Now()
	err := s.Store.ClaimOnce(ctx, key, expiresAt)
	s.observe(ctx, "ClaimOnce", start, err)
	return err
}

// Increment implements store.Store.
func (s *Store) Increment(ctx context.Context, key string, expiresAt time.Time) (int64, error) {
	start := time.Now()
	v, err := s.Store.Increment(ctx, key, expiresAt)
	s.observe(ctx, "Increment", start, err)
	return v, err
}

// GarbageCollect implements store.Store.
func (s *Store) GarbageCollect(ctx context.Context, now time.Time) (store.GCResult, error) {
	start := time.Now()
	v, err := s.Store.GarbageCollect(ctx, now)
	s.observe(ctx, "GarbageCollect", start, err)
	return v, err
}
