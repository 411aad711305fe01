package memory

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var codes = kind[string, store.AuthCode]{
	name:      "auth code",
	clone:     cloneAuthCode,
	key:       func(c store.AuthCode) string { return c.Hash },
	expires:   func(c store.AuthCode) time.Time { return c.ExpiresAt },
	zeroLives: alreadyIfZero,
}

// CreateAuthCode implements store.Store.
func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	if err := s.lock(ctx, "create auth code"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return codes.create(s.codes, c, s.now())
}

// RedeemAuthCode implements store.Store.
func (s *Store) RedeemAuthCode(ctx context.Context, hash string, redeem func(store.AuthCode) (*store.RefreshToken, error)) error {
	if err := s.lock(ctx, "redeem auth code"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	code, ok := codes.lookup(s.codes, hash, s.now())
	if !ok {
		return codes.errorf("redeem", hash, "%w", store.ErrNotFound)
	}
	rt, err := redeem(cloneAuthCode(code))
	if err != nil {
		return err
	}
	if rt == nil || code.Redeemed {
		return codes.errorf("redeem", hash, "already redeemed or no token: %w", store.ErrAlreadyExists)
	}
	if _, taken := tokens.lookup(s.tokens, rt.Hash, s.now()); taken {
		return codes.errorf("redeem", hash, "token %q: %w", rt.Hash, store.ErrAlreadyExists)
	}
	code.Redeemed, code.FamilyID = true, rt.FamilyID
	s.codes[hash] = code
	s.tokens[rt.Hash] = cloneRefreshToken(*rt)
	return nil
}
