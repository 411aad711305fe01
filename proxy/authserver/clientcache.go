package authserver

import (
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// clientCacheTTL is how long a replica trusts its copy of a dynamically
// registered client. Every token request looks its client up, and the
// lookup is a store round trip of its own; registrations barely change
// (only the first token clears their expiry), and a client deleted on
// another replica is refused here at most this much later, while its
// grants are revoked through the revocation list anyway.
const clientCacheTTL = 30 * time.Second

// clientCacheSize bounds the cache; a full cache only costs lookups.
const clientCacheSize = 10_000

type cachedClient struct {
	client  store.Client
	expires time.Time
}

// clientCache holds recently looked-up registrations. Only found clients
// enter it: a client registered a moment ago on another replica must be
// found at once.
type clientCache struct {
	mu sync.Mutex
	m  map[string]cachedClient
}

func newClientCache() *clientCache { return &clientCache{m: map[string]cachedClient{}} }

func (c *clientCache) get(id string, now time.Time) (store.Client, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || !now.Before(e.expires) {
		return store.Client{}, false
	}
	return e.client, true
}

func (c *clientCache) put(cl store.Client, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= clientCacheSize {
		for id, e := range c.m {
			if !now.Before(e.expires) || len(c.m) >= clientCacheSize*3/4 {
				delete(c.m, id)
			}
		}
	}
	c.m[cl.ID] = cachedClient{client: cl, expires: now.Add(clientCacheTTL)}
}
