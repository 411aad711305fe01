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
			err := s.RedeemAuthCode(ctx, hash, func(c store.AuthCode) (*store.RefreshToken, error) {
				if c.Redeemed {
					return nil, errRedeemed
				}
				rt := refreshToken(prefix+"rt-"+id, id)
				return &rt, nil
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

// PeekCode reads the code under hash without redeeming it, for backends'
// own tests: the interface has no plain getter for codes.
func PeekCode(ctx context.Context, s store.Store, hash string) (store.AuthCode, error) {
	var seen store.AuthCode
	err := s.RedeemAuthCode(ctx, hash, func(c store.AuthCode) (*store.RefreshToken, error) {
		seen = c
		return nil, errPeek
	})
	if errors.Is(err, errPeek) {
		return seen, nil
	}
	return store.AuthCode{}, err
}
