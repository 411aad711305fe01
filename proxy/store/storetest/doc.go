// Package storetest is the conformance suite every store.Store backend runs:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return memory.New() })
//	}
//
// The suite pins down what the store.Store documentation leaves implicit, so
// that callers can switch backends without noticing:
//
//   - Times come back in UTC, without a monotonic clock reading, and within a
//     millisecond of what was stored: a backend may drop anything finer than a
//     millisecond (the memory and SQL backends truncate to it). Zero times
//     stay zero.
//   - Slices and the Identity (with its Groups) round-trip intact, except that
//     an empty slice may come back nil. Nothing a caller passes in or gets
//     back aliases what is stored: mutating either afterwards has no effect.
//   - A record expires once its ExpiresAt is before time.Now() (GarbageCollect
//     uses its now argument instead). Zero ExpiresAt means "never" for
//     Client, Consent and SigningKey; for the short-lived AuthRequest,
//     AuthCode and RefreshToken it means "already expired", so that a caller
//     who forgets to set it fails closed.
//   - An expired record behaves as absent everywhere, before and after
//     GarbageCollect: getters, updates and deletes report ErrNotFound, and a
//     Create under its key succeeds and replaces it.
//   - Deleting a missing record is ErrNotFound, so that a caller consuming a
//     record by deleting it learns whether it was the one that did.
//     RevokeGrant is the exception: revoking is idempotent.
//   - Updaters run exactly once, on a private copy of the record, and must not
//     call the store. An updater that changes the record's key (ID, Hash) is
//     refused with an error and nothing is written. RotateRefreshToken's and
//     RedeemAuthCode's functions may run again when a concurrent change is
//     detected; only what the last run returned is written.
//   - RotateRefreshToken with a nil successor only updates the current token;
//     a successor whose hash exists is ErrAlreadyExists and nothing is written.
//   - RedeemAuthCode writes the code's mark and the first refresh token
//     together or not at all; a code redeemed before is handed to redeem as
//     it is, and a token returned for it is ErrAlreadyExists.
//   - A revocation record is kept until its ExpiresAt, one per family (the
//     later expiry wins); Revocations' since is inclusive.
//   - Increment counts from 1; an expired counter starts again, and later
//     calls never extend a counter's expiry.
//   - EnsureSecret refuses an empty value.
//   - After Close, methods fail with an error wrapping store.ErrUnavailable.
package storetest
