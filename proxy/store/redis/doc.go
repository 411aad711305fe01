// Package redis is the store.Store on Redis (7.0 or later, standalone or
// behind Sentinel; not Cluster, see below), for deployments that already run
// Redis and want every replica to share one store.
//
// # Keys
//
// Every key starts with the prefix from the URL (?prefix=, default
// "mcpgate:"), so that several deployments or test runs can share a
// database. With P the prefix:
//
//	P client:ID                   hash: v = record JSON, exp = expiry (Unix ms)
//	P authreq:ID                  hash, as above
//	P code:HASH                   hash, as above
//	P refresh:HASH                hash, as above, plus fam = family ID
//	P consent:N:SUBJECTCLIENT     hash, as above; N = len(SUBJECT) in bytes
//	P key:ID                      hash, as above (signing keys)
//	P upstream:FAMILY             hash, as above (the IdP's grant behind a family)
//	P claim:KEY                   string: the claim's expiry (Unix ms)
//	P secret:NAME                 string: the secret's bytes
//	P family:FAMILY               set of the family's token hashes
//	P exp:KIND                    sorted set: record ID scored by its expiry
//	P lock:KIND:ID                string: token of the update holding the lock
//
// The record JSON is this package's own format (wire.go), with times as
// Unix milliseconds, so that renaming a Go field cannot silently drop data
// already stored. The length in a consent key keeps ("a#b", "c") and ("a",
// "b#c") apart.
//
// # Expiry
//
// A record key expires (PEXPIREAT) at the record's ExpiresAt, so Redis frees
// what nobody collects; records that never expire (zero ExpiresAt of a
// client, consent or signing key) have no TTL. A record already expired
// when written (a past ExpiresAt, or a zero one of an auth request, code or
// refresh token) is not written at all. Getters still compare ExpiresAt with
// the caller's clock, so that a record is absent from the millisecond it
// expires even if the Redis clock is behind.
//
// The exp:KIND indexes hold every record ever written and not yet
// collected, scored by expiry (+inf for never, -inf for "already"). They are
// what GarbageCollect works from: it removes the entries scored before its
// now argument, deleting the record where Redis has not evicted it yet, and
// counts them. So GCResult counts the records that expired since the last
// collection, like the other backends, whether Redis already freed their
// memory or GarbageCollect did. A record that a Delete or
// RevokeGrant removes, or a Create replaces, leaves the index with
// it and is not counted. The indexes have no TTL and grow until
// GarbageCollect runs, which mcpgate does periodically.
//
// The family sets serve RevokeGrant. Revocations live in two sorted sets
// of family IDs, scored by revocation time and by expiry; counters are
// plain keys with their own index.
//
// A family set expires with the latest expiry of its tokens (PEXPIREAT NX, then GT, on every insert); collection
// also removes collected tokens from their set.
//
// # Atomicity
//
// Operations that only need Redis to decide (create unless a live record
// exists, delete a live record, claim, collect, revoke) are Lua scripts
// (scripts.go): each runs atomically, in one round trip. EnsureSecret is a
// single SET NX GET.
//
// Updates run the caller's updater, Go code, between the read and the
// write. Optimistic transactions alone (WATCH, read, update, MULTI/EXEC,
// retry on conflict) would run an updater again after a conflict, and the
// contract is that updaters run exactly once: an updater may have side
// effects or mint a value (the refresh-token successor) that the caller
// keeps. So an update takes a per-record lock first (lock.go: SET NX PX with
// a random token, waited for with backoff, released by a compare-and-delete
// script), and only then WATCHes the record, reads it, runs the updater once
// and writes in MULTI/EXEC. The lock makes concurrent updaters of one record
// take turns, in this and every other process; the WATCH is the fence for
// what the lock cannot exclude: a holder that outlived the lock's TTL, or a
// delete, revocation or collection meanwhile. A failed EXEC is therefore
// never retried: it is ErrNotFound if the record is gone, and otherwise an
// error wrapping store.ErrUnavailable (the backend stalled past the lock
// TTL), with nothing written either way.
//
// RotateRefreshToken also WATCHes the successor's key before checking that
// it is free, and writes both tokens and the family set in one MULTI/EXEC.
// A revocation that deletes the current token between the read and the EXEC
// fails the EXEC, so a revoked family never gets a successor.
//
// Scripts and transactions touch several keys (a record, its index, its
// family set), and the collection and revocation scripts build record keys
// from IDs they read. That is why Redis Cluster, where keys of one operation
// must share a hash slot, is not supported.
//
// # Deployment
//
// Redis is the only copy of clients, signing keys and grants: run it with
// persistence (appendonly yes), or every restart forgets them all, and with
// maxmemory-policy noeviction. Any other policy lets a full Redis evict
// records before their time: a forgotten claim lets a client assertion be
// replayed, and under allkeys-* even clients and signing keys go.
//
// # Failures
//
// Connection errors, timeouts, an exhausted pool, a closed store and the
// replies of a Redis that cannot serve yet (LOADING, MASTERDOWN, READONLY
// after a failover, ...) wrap store.ErrUnavailable. go-redis reconnects by
// itself, so calls succeed again once Redis is back (within about a second:
// after a run of failed dials its pool redials in the background). Dial
// timeout is 5s, read and write timeouts 3s, and a call makes at most three
// attempts (url.go says why), unless the URL sets dial_timeout=,
// read_timeout=, write_timeout=, max_retries= or other go-redis options.
package redis
