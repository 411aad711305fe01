package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMetadataDocumentFetchesBounded: anonymous requests naming new
// metadata document URLs cannot turn into a burst of outbound fetches. Of
// 200 concurrent authorization requests, each naming another document on
// one host, at most the per-host budget (10 a minute) reaches the host,
// and every request is answered at once; a client_id with a query (a new
// one is free to make) is refused without any fetch.
func TestMetadataDocumentFetchesBounded(t *testing.T) {
	host := startMetadataHost(t)
	host.slow.Store(true) // a host that is not instant
	fetches := &host.fetches
	g := startGateway(t, gatewayOptions{mutate: trustTestHost(host)})

	authorize := func(clientID string) int {
		c := client{ID: clientID, RedirectURI: "http://127.0.0.1:7780/callback", Verifier: strings.Repeat("m", 50)}
		resp, err := noRedirects.Get(g.authorizeURL(c, nil))
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("query strings", func(t *testing.T) {
		before := fetches.Load()
		for i := range 20 {
			if status := authorize(host.clientID(fmt.Sprintf("/client.json?n=%d", i))); status != http.StatusBadRequest {
				t.Fatalf("client_id with a query: got %d, want 400", status)
			}
		}
		if n := fetches.Load() - before; n != 0 {
			t.Errorf("client_ids with a query caused %d fetches, want 0", n)
		}
	})
	t.Run("burst of paths", func(t *testing.T) {
		before := fetches.Load()
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				if status := authorize(host.clientID(fmt.Sprintf("/c/%d.json", i))); status != http.StatusBadRequest {
					t.Errorf("request %d: got %d, want 400", i, status)
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		n := fetches.Load() - before
		t.Logf("200 requests for 200 documents: %d fetches, answered in %v", n, took.Round(time.Millisecond))
		if n > 10 {
			t.Errorf("got %d fetches, want at most 10 (the per-host budget)", n)
		}
		if took > 10*time.Second {
			t.Errorf("answered in %v, want at once", took)
		}
	})
}
