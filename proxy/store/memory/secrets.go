package memory

import (
	"context"
	"fmt"
	"slices"
)

// EnsureSecret implements store.Store.
func (s *Store) EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if len(value) == 0 {
		// An empty key would make every MAC forgeable; refuse rather than
		// let it become the value every replica agrees on.
		return nil, fmt.Errorf("memory: ensure secret %q: empty value", name)
	}
	if err := s.lock(ctx, "ensure secret"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if v, ok := s.secrets[name]; ok {
		return slices.Clone(v), nil
	}
	s.secrets[name] = slices.Clone(value)
	return slices.Clone(value), nil
}
