package signer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// Rotate creates a key that signs PublishDelay from now and retires every
// older key at that moment. Retired keys stay published until TokenLifetime
// (plus a skew) after they stop signing.
func (m *Manager) Rotate(ctx context.Context) error {
	activeAt := m.opts.Now().Add(m.opts.PublishDelay)
	// Create first: if retiring then fails, the newest key still wins the
	// signing election, so the rotation takes effect anyway.
	rec, err := m.createKey(ctx, activeAt)
	if err != nil {
		return err
	}
	// List from the store rather than the snapshot so keys made by other
	// replicas since our last reload are retired too.
	var errs []error
	recs, err := m.st.ListSigningKeys(ctx)
	if err != nil {
		// Still reload below: the new key is stored and must be published.
		errs = append(errs, fmt.Errorf("signer: rotate: list signing keys: %w", err))
	}
	expiresAt := activeAt.Add(m.opts.TokenLifetime + retireSkew)
	retired := 0
	for _, r := range recs {
		if r.ID == rec.ID || r.ActiveAt.After(activeAt) || retiredBy(r, activeAt) {
			continue
		}
		err := m.st.UpdateSigningKey(ctx, r.ID, func(k *store.SigningKey) error {
			// Re-checked under the store's lock: a concurrent rotation may
			// already retire it earlier, and we must not extend that.
			if retiredBy(*k, activeAt) {
				return nil
			}
			k.RetiredAt = activeAt
			k.ExpiresAt = expiresAt
			return nil
		})
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Expired meanwhile: nothing left to retire.
		case err != nil:
			errs = append(errs, fmt.Errorf("signer: rotate: retire key %s: %w", r.ID, err))
		default:
			retired++
		}
	}
	m.log.Info("signer: rotated signing key", "kid", rec.ID, "active_at", activeAt, "retired", retired)
	if err := m.Reload(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// retiredBy reports whether k stops signing at or before t.
func retiredBy(k store.SigningKey, t time.Time) bool {
	return !k.RetiredAt.IsZero() && !k.RetiredAt.After(t)
}

// Run reloads the key cache every RefreshInterval and, when RotationPeriod
// is set, rotates once the newest key has been signing that long. It returns
// when ctx is done.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(m.opts.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := m.Reload(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			m.log.Warn("signer: reload signing keys", "err", err)
			continue
		}
		if !m.rotationDue() {
			continue
		}
		// Replicas tick in loose lockstep; waiting a random fraction of the
		// interval and looking at the store again lets the first rotation
		// be seen by the others instead of each adding its own key.
		jitter := rand.N(m.opts.RefreshInterval/2 + 1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(jitter):
		}
		if err := m.Reload(ctx); err != nil {
			if ctx.Err() == nil {
				m.log.Warn("signer: reload signing keys", "err", err)
			}
			continue
		}
		if !m.rotationDue() {
			continue
		}
		if err := m.Rotate(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("signer: rotate signing key", "err", err)
		}
	}
}

// rotationDue reports whether the newest key (by ActiveAt, so a pending
// successor counts) has been signing for RotationPeriod.
func (m *Manager) rotationDue() bool {
	if m.opts.RotationPeriod <= 0 {
		return false
	}
	s := m.snap.Load()
	if len(s.entries) == 0 {
		return true
	}
	return m.opts.Now().Sub(s.entries[0].activeAt) >= m.opts.RotationPeriod
}
