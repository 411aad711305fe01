package e2e_test

import (
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
)

// BenchmarkRefresh measures the token endpoint's refresh_token grant on
// each store, in one run: every parallel worker keeps its own refresh
// chain, as clients do, so each request rotates one family.
//
//	go test -run '^$' -bench BenchmarkRefresh -benchtime 3s ./proxy/e2e
func BenchmarkRefresh(b *testing.B) {
	stores := sharedStores()
	stores["memory"] = func(testing.TB) string { return "memory:" }
	for _, name := range []string{"memory", "sqlite", "postgres", "redis"} {
		b.Run(name, func(b *testing.B) {
			// The store's refresh path is measured, not the rate limits.
			g := startGateway(b, gatewayOptions{store: stores[name](b), mutate: func(c *config.Config) {
				c.Limits.TokenRateLimit, c.Limits.TokenClientRateLimit = 0, 0
			}})
			const workers = 4
			b.SetParallelism(workers / runtime.GOMAXPROCS(0))
			// Sign-ins happen before the clock starts: only refreshes count.
			chains := make(chan chain, workers)
			for range workers {
				c := g.registerPublic(b)
				chains <- chain{c, g.exchange(b, c, g.code(b, c)).RefreshToken}
			}
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				ch := <-chains
				c, rt := ch.client, ch.refreshToken
				for pb.Next() {
					res := g.refresh(b, c, rt)
					if res.Status != http.StatusOK {
						b.Errorf("refresh: %d %s", res.Status, res.Error)
						return
					}
					rt = res.RefreshToken
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "refreshes/s")
			b.StopTimer()
		})
	}
}

type chain struct {
	client       client
	refreshToken string
}
