// Package memory is the in-process store.Store: maps behind one mutex. It
// is for tests and single-replica deployments that can afford to lose every
// client, grant and signing key on restart.
//
// Records are deep-copied on the way in and out, and times are normalised
// to UTC milliseconds as the SQL backends store them, so that code tested
// against this store sees what it will see in production.
package memory
