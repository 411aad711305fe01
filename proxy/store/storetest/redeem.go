package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var errRedeemed = errors.New("already redeemed")

// RedeemAll races n redemptions of the code under hash through s, each
// waiting for start to close, and returns the winners' ids (prefix + i).
// Backends use it to race redemptions across several Store instances, as
// replicas would.
func RedeemAll(ctx context.Context, s store.Store, hash, prefix string, n int, start <-chan struct{}) ([]string, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		winners  []string
		firstErr error
	)
	for i := range n {
		wg.Go(func() {
			id := prefix + strconv.Itoa(i)
			<-start
			_, err := s.UpdateAuthCode(ctx, hash, func(c *store.AuthCode) error {
				if c.Redeemed {
					return errRedeemed
				}
				c.Redeemed, c.FamilyID = true, id
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners = append(winners, id)
			case !errors.Is(err, errRedeemed) && firstErr == nil:
				firstErr = fmt.Errorf("redemption %s: %w", id, err)
			}
		})
	}
	wg.Wait()
	return winners, firstErr
}
