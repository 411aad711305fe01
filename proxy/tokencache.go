package proxy

import (
	"sync"
	"sync/atomic"

	"github.com/mcpgate/mcpgate/proxy/forward"
	"github.com/mcpgate/mcpgate/proxy/policy"
	"github.com/mcpgate/mcpgate/proxy/principal"
)

// verified is what the hot path needs of a checked token.
type verified struct {
	principal *principal.Principal
	identity  *forward.Identity
	// expiry is the token's, assertionExpiry identity.Assertion's (unix s).
	expiry, assertionExpiry int64
	// view is the policy as it applies to this token, for the policy it
	// was built from (a reload builds it anew).
	view atomic.Pointer[policyView]
}

type policyView struct {
	policy *policy.Policy
	view   *policy.View
}

// viewOf returns the view of p for this token, built once per policy.
func (v *verified) viewOf(p *policy.Policy) *policy.View {
	if pv := v.view.Load(); pv != nil && pv.policy == p {
		return pv.view
	}
	pv := &policyView{policy: p, view: p.For(v.principal)}
	v.view.Store(pv)
	return pv.view
}

// tokenCache remembers tokens whose signature was verified, keyed by the
// token itself, until they expire: a signature check costs more than the
// rest of a forwarded request, and clients send the same token for an hour.
// Only tokens that passed every check enter it.
type tokenCache struct {
	mu  sync.RWMutex
	m   map[string]*verified
	max int
	// nextSweep is when put next drops the expired entries: without it
	// they stayed until the cache was full, growing with every token
	// issued (the soak test found it).
	nextSweep int64
}

// sweepEvery is how often, in seconds, put drops expired entries.
const sweepEvery = 60

func newTokenCache(max int) *tokenCache {
	return &tokenCache{m: make(map[string]*verified), max: max}
}

func (tc *tokenCache) get(token string, now int64) *verified {
	tc.mu.RLock()
	v := tc.m[token]
	tc.mu.RUnlock()
	if v == nil || now >= v.expiry {
		return nil
	}
	return v
}

func (tc *tokenCache) put(token string, v *verified, now int64) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if now >= tc.nextSweep {
		tc.dropExpired(now)
		tc.nextSweep = now + sweepEvery
	}
	if len(tc.m) >= tc.max {
		tc.evict(now)
	}
	tc.m[token] = v
}

func (tc *tokenCache) dropExpired(now int64) {
	for k, v := range tc.m {
		if now >= v.expiry {
			delete(tc.m, k)
		}
	}
}

// evict drops expired entries and, if that is not enough, an arbitrary
// quarter: a full cache only costs re-verification, never correctness.
func (tc *tokenCache) evict(now int64) {
	tc.dropExpired(now)
	for k := range tc.m {
		if len(tc.m) < tc.max*3/4 {
			break
		}
		delete(tc.m, k)
	}
}
