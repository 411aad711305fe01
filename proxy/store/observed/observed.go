// Package observed wraps a store.Store so that every operation's duration
// and outcome is reported (to the metrics), whatever the backend.
package observed

import (
	"errors"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// Observer receives one operation: its name (the Store method), how long
// it took, and its outcome: ok, not_found, conflict, unavailable (the
// store could not be reached) or failed (anything else, a caller's
// refusal inside an update included).
type Observer func(op string, d time.Duration, outcome string)

// Store is a store.Store whose operations are observed.
type Store struct {
	store.Store
	obs Observer
}

// New wraps st.
func New(st store.Store, obs Observer) *Store { return &Store{Store: st, obs: obs} }

var _ store.Store = (*Store)(nil)

func (s *Store) observe(op string, d time.Duration, err error) {
	s.obs(op, d, Outcome(err))
}

// Outcome classifies an operation's error.
func Outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, store.ErrNotFound):
		return "not_found"
	case errors.Is(err, store.ErrAlreadyExists):
		return "conflict"
	case errors.Is(err, store.ErrUnavailable):
		return "unavailable"
	}
	return "failed"
}
