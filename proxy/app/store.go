package app

import (
	"context"
	"fmt"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/memory"
	"github.com/mcpgate/mcpgate/proxy/store/sqlite"
)

// OpenStore opens the store the configuration names.
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	scheme, location, err := cfg.StoreURL()
	if err != nil {
		return nil, fmt.Errorf("app: store: %w", err)
	}
	switch scheme {
	case "memory":
		return memory.New(), nil
	case "sqlite":
		st, err := sqlite.Open(ctx, location)
		if err != nil {
			return nil, fmt.Errorf("app: open sqlite store: %w", err)
		}
		return st, nil
	default:
		return nil, fmt.Errorf("app: unsupported store %q", scheme)
	}
}
