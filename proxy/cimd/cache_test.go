package cimd

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestLifetime(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	httpDate := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"no cache headers: CacheMin", nil, 5 * time.Minute},
		{"max-age", map[string]string{"Cache-Control": "max-age=3600"}, time.Hour},
		{"max-age among other directives", map[string]string{"Cache-Control": "public, max-age=3600, must-revalidate"}, time.Hour},
		{"directive names ignore case", map[string]string{"Cache-Control": "Max-Age=3600"}, time.Hour},
		{"quoted max-age", map[string]string{"Cache-Control": `max-age="3600"`}, time.Hour},
		{"s-maxage wins for a shared cache", map[string]string{"Cache-Control": "max-age=3600, s-maxage=600"}, 10 * time.Minute},
		{"max-age below CacheMin", map[string]string{"Cache-Control": "max-age=10"}, 5 * time.Minute},
		{"max-age above CacheMax", map[string]string{"Cache-Control": "max-age=604800"}, 24 * time.Hour},
		{"huge max-age", map[string]string{"Cache-Control": "max-age=99999999999999999999"}, 24 * time.Hour},
		{"invalid max-age is stale", map[string]string{"Cache-Control": "max-age=soon"}, 5 * time.Minute},
		{"negative max-age is stale", map[string]string{"Cache-Control": "max-age=-5"}, 5 * time.Minute},
		{"no-store", map[string]string{"Cache-Control": "no-store"}, 5 * time.Minute},
		{"no-cache", map[string]string{"Cache-Control": "no-cache"}, 5 * time.Minute},
		{"no-store beats max-age", map[string]string{"Cache-Control": "max-age=3600, no-store"}, 5 * time.Minute},
		{"Age is subtracted", map[string]string{"Cache-Control": "max-age=3600", "Age": "1800"}, 30 * time.Minute},
		{"Expires relative to Date", map[string]string{"Expires": httpDate(2 * time.Hour), "Date": httpDate(-time.Hour)}, 3 * time.Hour},
		{"Expires relative to now without Date", map[string]string{"Expires": httpDate(2 * time.Hour)}, 2 * time.Hour},
		{"Expires in the past", map[string]string{"Expires": httpDate(-time.Hour)}, 5 * time.Minute},
		{"invalid Expires is stale", map[string]string{"Expires": "0"}, 5 * time.Minute},
		{"max-age beats Expires", map[string]string{"Cache-Control": "max-age=3600", "Expires": httpDate(10 * time.Hour)}, time.Hour},
	}
	r := mustNew(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			if got := r.lifetime(h, now); got != tt.want {
				t.Errorf("lifetime(%v): got %v, want %v", tt.headers, got, tt.want)
			}
		})
	}
}

// cachedServer serves validDoc with the given Cache-Control, or a 404 when
// fail is set.
func cachedServer(t *testing.T, cacheControl string, fail bool) *testServer {
	return newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if fail {
			http.NotFound(w, r)
			return
		}
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		serveJSON(w, r, validDoc)
	})
}

// TestCache walks the clock through a sequence of resolutions and checks
// after each step how many fetches reached the server.
func TestCache(t *testing.T) {
	type step struct {
		advance     time.Duration
		wantFetches int64
	}
	tests := []struct {
		name         string
		cacheControl string
		fail         bool
		cacheMin     time.Duration
		wantKind     string
		steps        []step
	}{
		{
			name:         "max-age: reused within, refetched after",
			cacheControl: "max-age=600",
			wantKind:     "nil",
			steps:        []step{{0, 1}, {0, 1}, {599 * time.Second, 1}, {time.Second, 2}, {time.Second, 2}},
		},
		{
			// Refetched every time the CacheMin floor has passed, never
			// more often.
			name:         "no-store: refetched whenever CacheMin has passed",
			cacheControl: "no-store",
			cacheMin:     time.Second,
			wantKind:     "nil",
			steps:        []step{{0, 1}, {0, 1}, {time.Second, 2}, {time.Second, 3}, {time.Second, 4}},
		},
		{
			name:         "no-store: the default CacheMin floor holds",
			cacheControl: "no-store",
			wantKind:     "nil",
			steps:        []step{{0, 1}, {time.Minute, 1}, {4 * time.Minute, 2}},
		},
		{
			name:     "failure cached briefly",
			fail:     true,
			wantKind: "ErrFetchFailed",
			steps:    []step{{0, 1}, {0, 1}, {29 * time.Second, 1}, {time.Second, 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := cachedServer(t, tt.cacheControl, tt.fail)
			clock := newFakeClock()
			opts := testOptions(ts, clock)
			opts.CacheMin = tt.cacheMin
			r := mustNew(t, opts)
			id := ts.url("app.example.com", "/c.json")
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				_, err := r.Resolve(context.Background(), id)
				checkErr(t, err, tt.wantKind, "")
				if got := ts.requests.Load(); got != s.wantFetches {
					t.Fatalf("step %d (after advancing %v): fetches got %d, want %d", i, s.advance, got, s.wantFetches)
				}
			}
		})
	}
}

func TestCacheExpiresAtMatchesLifetime(t *testing.T) {
	ts := cachedServer(t, "max-age=7200", false)
	clock := newFakeClock()
	r := mustNew(t, testOptions(ts, clock))
	id := ts.url("app.example.com", "/c.json")
	first := resolveOK(t, r, id)
	clock.Advance(time.Hour)
	second := resolveOK(t, r, id)
	want := first.CreatedAt.Add(2 * time.Hour)
	if !first.ExpiresAt.Equal(want) || !second.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt: got %v then %v, want %v both times (the cached entry's expiry)", first.ExpiresAt, second.ExpiresAt, want)
	}
}

func TestResolveReturnsCopies(t *testing.T) {
	ts := cachedServer(t, "", false)
	r := mustNew(t, testOptions(ts, newFakeClock()))
	id := ts.url("app.example.com", "/c.json")
	c := resolveOK(t, r, id)
	c.RedirectURIs[0] = "https://evil.example/cb"
	if got := resolveOK(t, r, id).RedirectURIs[0]; got != "https://app.example.com/callback" {
		t.Errorf("cached redirect URI after the caller changed its copy: got %q, want %q", got, "https://app.example.com/callback")
	}
}

// blockingServer holds every request until release is closed.
func blockingServer(t *testing.T) (ts *testServer, release func()) {
	ch := make(chan struct{})
	var once sync.Once
	ts = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		}
		serveJSON(w, r, validDoc)
	})
	release = func() { once.Do(func() { close(ch) }) }
	t.Cleanup(release) // before the server's Close, which waits for handlers
	return ts, release
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestConcurrentResolveSharesOneFetch(t *testing.T) {
	ts, release := blockingServer(t)
	r := mustNew(t, testOptions(ts, newFakeClock()))
	id := ts.url("app.example.com", "/c.json")

	const callers = 20
	var started, done sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			_, err := r.Resolve(context.Background(), id)
			errs <- err
		}()
	}
	started.Wait()
	waitFor(t, "the fetch to reach the server", func() bool { return ts.requests.Load() == 1 })
	// Every caller is now either waiting on the one fetch or about to join
	// it; none can start another while it is in flight.
	time.Sleep(50 * time.Millisecond)
	release()
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Resolve: got error %v, want none", err)
		}
	}
	if got := ts.requests.Load(); got != 1 {
		t.Errorf("fetches for %d concurrent resolutions: got %d, want 1", callers, got)
	}
}

// TestCallerCancelDoesNotAbortSharedFetch: a caller that gives up gets its
// context's error, while the fetch it started completes for the others.
func TestCallerCancelDoesNotAbortSharedFetch(t *testing.T) {
	ts, release := blockingServer(t)
	r := mustNew(t, testOptions(ts, newFakeClock()))
	id := ts.url("app.example.com", "/c.json")

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := r.Resolve(ctx, id)
		first <- err
	}()
	waitFor(t, "the fetch to reach the server", func() bool { return ts.requests.Load() == 1 })
	cancel()
	err := <-first
	checkErr(t, err, "ErrFetchFailed", "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want it to wrap context.Canceled", err)
	}

	release()
	resolveOK(t, r, id)
	if got := ts.requests.Load(); got != 1 {
		t.Errorf("fetches: got %d, want 1 (the abandoned fetch completed and was cached)", got)
	}
}

func TestResolveWithEndedContext(t *testing.T) {
	ts := cachedServer(t, "", false)
	r := mustNew(t, testOptions(ts, newFakeClock()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Resolve(ctx, ts.url("app.example.com", "/c.json"))
	checkErr(t, err, "ErrFetchFailed", "")
	if got := ts.requests.Load(); got != 0 {
		t.Errorf("fetches for an already ended request: got %d, want 0", got)
	}
}

func TestCacheBounded(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := mustNew(t, Options{})
	r.maxEntries = 10
	for i := range 10 {
		// Half of the entries are expired.
		exp := now.Add(time.Hour)
		if i%2 == 0 {
			exp = now.Add(-time.Second)
		}
		r.put(string(rune('a'+i)), cacheEntry{expires: exp}, now)
	}
	r.put("new", cacheEntry{expires: now.Add(time.Hour)}, now)
	if got := len(r.cache); got != 6 {
		t.Errorf("entries after inserting into a full cache with 5 expired: got %d, want 6", got)
	}
	for i := range 20 {
		r.put(string(rune('A'+i)), cacheEntry{expires: now.Add(time.Hour)}, now)
		if got := len(r.cache); got > r.maxEntries {
			t.Fatalf("entries: got %d, want at most %d", got, r.maxEntries)
		}
	}
	if _, ok := r.cache["T"]; !ok {
		t.Errorf("the entry just inserted was evicted")
	}
}
