package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// writer runs every write of the process on one connection, in group
// commits: the writes waiting when a transaction starts all go into it,
// each in a savepoint of its own, and one COMMIT (one fsync) makes them
// durable together. SQLite allows one writer at a time and makes a waiting
// one sleep in its busy handler (1, 2, 5, 10 ms...); queueing here instead
// costs nothing, and under load the commit's fsync is shared by every
// write that arrived meanwhile instead of paid by each.
type writer struct {
	conn *sql.Conn
	q    *cachedQuerier
	jobs chan *writeJob
	quit chan struct{}
	done chan struct{}
}

type writeJob struct {
	ctx context.Context
	fn  func(q querier) error
	err chan error
}

// maxBatch bounds one group commit, so that a long queue still commits in
// steps and a failing commit takes few writes with it.
const maxBatch = 64

// errWriterClosed is what writes get once the store is closed.
var errWriterClosed = fmt.Errorf("the store is closed: %w", store.ErrUnavailable)

func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{conn: conn, q: newCachedQuerier(conn), jobs: make(chan *writeJob), quit: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w, nil
}

// do runs fn in the next group commit and returns its error, or the
// commit's. Once submitted, fn's outcome is waited for even if ctx ends:
// the write may already be committed, and saying otherwise would lie.
func (w *writer) do(ctx context.Context, fn func(q querier) error) error {
	j := &writeJob{ctx: ctx, fn: fn, err: make(chan error, 1)}
	select {
	case w.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return errWriterClosed
	}
	return <-j.err
}

func (w *writer) run() {
	defer close(w.done)
	for {
		var batch []*writeJob
		select {
		case j := <-w.jobs:
			batch = append(batch, j)
		case <-w.quit:
			return
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case j := <-w.jobs:
				batch = append(batch, j)
			default:
				break gather
			}
		}
		w.commit(batch)
	}
}

// close stops the writer after the commit in progress and releases its
// connection.
func (w *writer) close() {
	close(w.quit)
	<-w.done
	w.q.close()
	w.conn.Close()
}

// batchTimeout bounds BEGIN and COMMIT, which no caller's context governs:
// one caller giving up must not abort the others' commit.
const batchTimeout = 30 * time.Second

func (w *writer) exec(query string) error {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	_, err := w.q.ExecContext(ctx, query)
	return err
}

// commit runs one group commit. A batch of one runs without a savepoint.
func (w *writer) commit(batch []*writeJob) {
	if err := w.exec("BEGIN IMMEDIATE"); err != nil {
		for _, j := range batch {
			j.err <- err
		}
		return
	}
	var committed []*writeJob
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err <- err // never started: nothing to undo
			continue
		}
		if len(batch) == 1 {
			if err := w.runJob(j); err != nil {
				w.exec("ROLLBACK")
				j.err <- err
				return
			}
			committed = append(committed, j)
			break
		}
		if err := w.exec("SAVEPOINT job"); err != nil {
			j.err <- err
			continue
		}
		if err := w.runJob(j); err != nil {
			if rerr := errors.Join(w.exec("ROLLBACK TO job"), w.exec("RELEASE job")); rerr != nil {
				// The transaction is in an unknown state: give up on it
				// whole, including the writes already done in it.
				w.exec("ROLLBACK")
				j.err <- err
				for _, c := range committed {
					c.err <- rerr
				}
				return
			}
			j.err <- err
			continue
		}
		if err := w.exec("RELEASE job"); err != nil {
			w.exec("ROLLBACK")
			j.err <- err
			for _, c := range committed {
				c.err <- err
			}
			return
		}
		committed = append(committed, j)
	}
	err := w.exec("COMMIT")
	if err != nil {
		w.exec("ROLLBACK")
	}
	for _, j := range committed {
		j.err <- err
	}
}

// runJob runs one write, turning a panic in the caller's updater into an
// error: the writer goroutine must survive it.
func (w *writer) runJob(j *writeJob) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlstore: updater panicked: %v", r)
		}
	}()
	return j.fn(w.q)
}
