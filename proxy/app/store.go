package app

import (
	"context"
	"fmt"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/memory"
	"github.com/mcpgate/mcpgate/proxy/store/postgres"
	"github.com/mcpgate/mcpgate/proxy/store/redis"
	"github.com/mcpgate/mcpgate/proxy/store/sqlite"
)

// OpenStore opens the store the configuration names.
func OpenStore(ctx context.Context, cfg *config.Config, opts ...store.Option) (store.Store, error) {
	scheme, location, err := cfg.StoreURL()
	if err != nil {
		return nil, fmt.Errorf("app: store: %w", err)
	}
	var st store.Store
	switch scheme {
	case config.StoreMemory:
		return memory.New(opts...), nil
	case config.StoreSQLite:
		st, err = sqlite.Open(ctx, location, opts...)
	case config.StorePostgres:
		st, err = postgres.Open(ctx, location, opts...)
	case config.StoreRedis:
		st, err = redis.Open(ctx, location, opts...)
	default:
		return nil, fmt.Errorf("app: unsupported store %q", scheme)
	}
	if err != nil {
		// The error names the backend, never the URL (it holds passwords).
		return nil, fmt.Errorf("app: open %s store: %w", scheme, err)
	}
	return st, nil
}
