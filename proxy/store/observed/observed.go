// Package observed wraps a store.Store so that every operation's duration
// and outcome is reported (to the metrics, and to the trace of the request
// it serves), whatever the backend.
package observed

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/tracing"
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

// observe reports an operation to the observer and, under a recording
// trace, as a span.
func (s *Store) observe(ctx context.Context, op string, start time.Time, err error) {
	outcome := Outcome(err)
	s.obs(op, time.Since(start), outcome)
	if tracing.Recording(ctx) {
		var failure error
		if outcome == "failed" || outcome == "unavailable" {
			failure = err // a miss or a conflict is an answer, not a failure
		}
		tracing.Record(ctx, "store."+op, start, failure, attribute.String("store.outcome", outcome))
	}
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
