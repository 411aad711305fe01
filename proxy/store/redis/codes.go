package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

type authCodeWire struct {
	Hash                string         `json:"hash"`
	ClientID            string         `json:"client_id,omitempty"`
	RedirectURI         string         `json:"redirect_uri,omitempty"`
	Scopes              []string       `json:"scopes,omitempty"`
	Resource            string         `json:"resource,omitempty"`
	CodeChallenge       string         `json:"code_challenge,omitempty"`
	CodeChallengeMethod string         `json:"code_challenge_method,omitempty"`
	Identity            store.Identity `json:"identity"`
	AuthTime            *int64         `json:"auth_time,omitempty"`
	Redeemed            bool           `json:"redeemed,omitempty"`
	FamilyID            string         `json:"family_id,omitempty"`
	CreatedAt           *int64         `json:"created_at,omitempty"`
	ExpiresAt           *int64         `json:"expires_at,omitempty"`
}

var authCodes = kind[store.AuthCode, authCodeWire]{
	name:    "auth code",
	tag:     "code",
	id:      func(c store.AuthCode) string { return c.Hash },
	expires: func(c store.AuthCode) time.Time { return c.ExpiresAt },
	toWire: func(c store.AuthCode) authCodeWire {
		return authCodeWire{
			Hash:                c.Hash,
			ClientID:            c.ClientID,
			RedirectURI:         c.RedirectURI,
			Scopes:              c.Scopes,
			Resource:            c.Resource,
			CodeChallenge:       c.CodeChallenge,
			CodeChallengeMethod: c.CodeChallengeMethod,
			Identity:            c.Identity,
			AuthTime:            toMillis(c.AuthTime),
			Redeemed:            c.Redeemed,
			FamilyID:            c.FamilyID,
			CreatedAt:           toMillis(c.CreatedAt),
			ExpiresAt:           toMillis(c.ExpiresAt),
		}
	},
	fromWire: func(w authCodeWire) store.AuthCode {
		return store.AuthCode{
			Hash:                w.Hash,
			ClientID:            w.ClientID,
			RedirectURI:         w.RedirectURI,
			Scopes:              w.Scopes,
			Resource:            w.Resource,
			CodeChallenge:       w.CodeChallenge,
			CodeChallengeMethod: w.CodeChallengeMethod,
			Identity:            w.Identity,
			AuthTime:            fromMillis(w.AuthTime),
			Redeemed:            w.Redeemed,
			FamilyID:            w.FamilyID,
			CreatedAt:           fromMillis(w.CreatedAt),
			ExpiresAt:           fromMillis(w.ExpiresAt),
		}
	},
}

// CreateAuthCode implements store.Store.
func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	return authCodes.create(ctx, s, c)
}

// RedeemAuthCode implements store.Store (writePair). The per-record lock
// makes concurrent redemptions take turns, so the second one sees Redeemed
// set by the first.
func (s *Store) RedeemAuthCode(ctx context.Context, hash string, redeem func(store.AuthCode) (*store.RefreshToken, error)) error {
	return writePair(ctx, s, "redeem", authCodes, hash, refreshTokens, func(c *store.AuthCode) (*store.RefreshToken, error) {
		rt, err := redeem(*c)
		if err != nil {
			return nil, err
		}
		if rt == nil || c.Redeemed {
			return nil, fmt.Errorf("redis: redeem auth code %q: already redeemed or no token: %w", hash, store.ErrAlreadyExists)
		}
		c.Redeemed, c.FamilyID = true, rt.FamilyID
		return rt, nil
	})
}
