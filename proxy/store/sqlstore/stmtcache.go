package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// preparer is what statements are prepared on: the pool, or the writer's
// one connection.
type preparer interface {
	querier
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// cachedQuerier runs every query as a prepared statement, prepared once:
// SQLite spends more time parsing these statements than running them.
type cachedQuerier struct {
	on    preparer
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newCachedQuerier(on preparer) *cachedQuerier {
	return &cachedQuerier{on: on, stmts: map[string]*sql.Stmt{}}
}

func (c *cachedQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.on.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

func (c *cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext falls back to an unprepared query when preparing fails,
// because only database/sql can make a *sql.Row that carries the error.
func (c *cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return c.on.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *cachedQuerier) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
