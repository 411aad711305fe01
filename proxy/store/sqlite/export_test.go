package sqlite

import (
	"context"
	"fmt"

	"github.com/mcpgate/mcpgate/proxy/store/sqlstore"
)

// Pragma reads a per-connection setting, to check that the DSN applied it.
func (s *Store) Pragma(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, fmt.Sprintf("PRAGMA %s", name)).Scan(&v)
	return v, err
}

// Migrations is how many schema versions this build knows.
var Migrations = sqlstore.SchemaVersion()
