package postgres

import "database/sql"

// DB is the store's pool, for tests that look at its settings or at the
// sessions it holds.
func (s *Store) DB() *sql.DB { return s.db }

// Classify is classify, for table tests of the error mapping.
var Classify = classify
