package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"

	goredis "github.com/redis/go-redis/v9"
)

// EnsureSecret implements store.Store with one SET NX GET: it stores value
// unless the name has one and returns the previous value, atomically, so
// every replica racing at start-up ends up with the same secret.
func (s *Store) EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	op := fmt.Sprintf("ensure secret %q", name)
	if len(value) == 0 {
		// An empty key would make every MAC forgeable; refuse rather than
		// let it become the value every replica agrees on.
		return nil, fmt.Errorf("redis: %s: empty value", op)
	}
	old, err := s.rdb.SetArgs(ctx, s.secretKey(name), value, goredis.SetArgs{Mode: "NX", Get: true}).Bytes()
	switch {
	case errors.Is(err, goredis.Nil):
		return slices.Clone(value), nil
	case err != nil:
		return nil, s.fail(ctx, op, err)
	}
	return old, nil
}
