package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// BenchmarkRotate measures refresh-token rotation alone, as the token
// endpoint uses it: chains parallel chains (clients), each rotating its
// own family one token after the other. It reports rotations per second.
// newStore returns a fresh, empty store.
func BenchmarkRotate(b *testing.B, chains int, newStore func(b *testing.B) store.Store) {
	s := newStore(b)
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	heads := make(chan string, chains)
	for i := range chains {
		t := refreshToken(fmt.Sprintf("bench-%d-0", i), fmt.Sprintf("family-%d", i))
		if err := s.CreateRefreshToken(ctx, t); err != nil {
			b.Fatal(err)
		}
		heads <- t.Hash
	}
	next := make(chan int, 1)
	next <- 0
	b.SetParallelism((chains + 1) / 2)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		hash := <-heads
		for pb.Next() {
			n := <-next
			next <- n + 1
			succ := fmt.Sprintf("bench-succ-%d", n)
			err := s.RotateRefreshToken(ctx, hash, func(cur *store.RefreshToken) (*store.RefreshToken, error) {
				cur.RotatedAt = time.Now()
				nt := *cur
				nt.Hash, nt.RotatedAt, nt.CreatedAt = succ, time.Time{}, time.Now()
				return &nt, nil
			})
			if err != nil {
				b.Error(err)
				return
			}
			hash = succ
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rotations/s")
}
