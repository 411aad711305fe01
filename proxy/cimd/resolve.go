package cimd

import (
	"context"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// negativeTTL is how long a failed resolution is remembered. Short, so that
// a client fixing its document or a server recovering is not locked out
// for long; long enough that a flood of requests naming a broken or slow
// client_id costs one fetch per half minute instead of one per request.
const negativeTTL = 30 * time.Second

// maxCacheEntries bounds the cache: anyone can make mcpgate resolve a new
// URL, so an unbounded map would be a memory leak on demand.
const maxCacheEntries = 10000

// cacheEntry is a resolution outcome, a client or an error, and when it
// stops being used.
type cacheEntry struct {
	client store.Client
	// keys verify the client's assertions when it uses private_key_jwt.
	keys    jose.JSONWebKeySet
	err     *Error
	expires time.Time
}

func (e cacheEntry) result() (store.Client, error) {
	if e.err != nil {
		return store.Client{}, e.err
	}
	c := e.client
	// Callers get their own slices, so none can alter the cached client.
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.ResponseTypes = slices.Clone(c.ResponseTypes)
	return c, nil
}

// call is a fetch in progress; everyone resolving the same client_id
// meanwhile waits on done instead of fetching again.
type call struct {
	done  chan struct{}
	entry cacheEntry // set before done is closed
}

// Resolve returns the client a URL client_id names, from the cache or by
// fetching its metadata document. The client has Source "cimd", no secret,
// and ExpiresAt set to when the cached document stops being used; the
// caller should not store it, but call Resolve again each time it needs
// the client (the cache makes that cheap).
//
// Errors are *Error values matching ErrInvalidClient or ErrFetchFailed.
// A caller whose ctx ends while a fetch is under way gets an
// ErrFetchFailed wrapping ctx.Err(); the fetch itself carries on, bounded
// by HTTPTimeout, and its outcome is cached for the next caller.
func (r *Resolver) Resolve(ctx context.Context, clientID string) (store.Client, error) {
	e, err := r.resolve(ctx, clientID)
	if err != nil {
		return store.Client{}, err
	}
	return e.result()
}

// KeySet returns the keys that verify the private_key_jwt assertions of
// the client clientID names (its document's jwks or jwks_uri); a client
// that does not use private_key_jwt has none. Like Resolve it is served
// from the cache.
func (r *Resolver) KeySet(ctx context.Context, clientID string) (jose.JSONWebKeySet, error) {
	e, err := r.resolve(ctx, clientID)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	if e.err != nil {
		return jose.JSONWebKeySet{}, e.err
	}
	return e.keys, nil
}

func (r *Resolver) resolve(ctx context.Context, clientID string) (cacheEntry, *Error) {
	host, reason := parseClientID(clientID)
	if reason != "" {
		return cacheEntry{}, invalidClient(clientID, "client_id %s", reason)
	}
	if !r.trusted(host) {
		return cacheEntry{}, invalidClient(clientID, "host %q is not allowed by the client trust policy", host)
	}
	if err := ctx.Err(); err != nil {
		return cacheEntry{}, fetchFailed(clientID, err, "the request ended before resolution")
	}

	r.mu.Lock()
	if e, ok := r.cache[clientID]; ok && r.now().Before(e.expires) {
		r.mu.Unlock()
		return e, nil
	}
	c := r.inflight[clientID]
	if c == nil {
		if refused := r.budget.take(host, r.now()); refused != "" {
			r.mu.Unlock()
			return cacheEntry{}, fetchFailed(clientID, nil, "%s; try again shortly", refused)
		}
		c = &call{done: make(chan struct{})}
		r.inflight[clientID] = c
		// Detached from the caller: one impatient caller must not fail
		// the fetch for everyone waiting on it. Values (trace ids) stay.
		go r.run(context.WithoutCancel(ctx), clientID, host, c)
	}
	r.mu.Unlock()

	select {
	case <-c.done:
		return c.entry, nil
	case <-ctx.Done():
		return cacheEntry{}, fetchFailed(clientID, ctx.Err(), "the request ended while the document was being fetched")
	}
}

// run performs the fetch of c, caches its outcome and releases the waiters.
func (r *Resolver) run(ctx context.Context, clientID, host string, c *call) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	m, jwks, header, err := r.fetch(ctx, clientID)
	var keys jose.JSONWebKeySet
	if err == nil && m.TokenEndpointAuthMethod == oauth.AuthPrivateKeyJWT {
		keys, err = r.keySet(ctx, clientID, m.JWKSURI, jwks)
	}
	now := r.now()
	if err != nil {
		c.entry = cacheEntry{err: err, expires: now.Add(min(negativeTTL, r.cacheMax))}
		r.log.DebugContext(ctx, "cimd: client metadata document not resolved", "client_id", clientID, "error", err)
	} else {
		lifetime := r.lifetime(header, now)
		client := m.Client(clientID, "", now)
		client.Source = oauth.SourceCIMD
		client.ExpiresAt = now.Add(lifetime)
		c.entry = cacheEntry{client: client, keys: keys, expires: client.ExpiresAt}
		r.log.DebugContext(ctx, "cimd: client metadata document fetched", "client_id", clientID, "cache_for", lifetime)
	}
	r.mu.Lock()
	r.put(clientID, c.entry, now)
	delete(r.inflight, clientID)
	r.budget.done(host)
	r.mu.Unlock()
	close(c.done)
}

// put stores e under clientID, making room when the cache is full:
// expired entries go first, then arbitrary ones down to 90% of the bound,
// so that a full cache is not swept again on every insert. Losing a live
// entry costs one refetch. r.mu must be held.
func (r *Resolver) put(clientID string, e cacheEntry, now time.Time) {
	if _, ok := r.cache[clientID]; !ok && len(r.cache) >= r.maxEntries {
		for id, old := range r.cache {
			if !now.Before(old.expires) {
				delete(r.cache, id)
			}
		}
		for id := range r.cache {
			if len(r.cache) < r.maxEntries*9/10 {
				break
			}
			delete(r.cache, id)
		}
	}
	r.cache[clientID] = e
}
