package sqlite

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// busyTimeout bounds how long a call waits for another writer; writes are
// a few statements long, so reaching it means the database is stuck.
const busyTimeout = 5 * time.Second

// dsnParams configure every connection of the pool: SQLite settings are
// per connection, so they cannot be set once after opening.
//
// _busy_timeout is busyTimeout.
//
// _txlock=immediate makes every (non read-only) BeginTx a BEGIN IMMEDIATE,
// which takes the write lock, waiting for it under busy_timeout, before the
// first read. A deferred transaction that reads and then writes fails with
// SQLITE_BUSY at the write, without waiting, whenever another writer got in
// between: concurrent redemptions would see errors instead of taking turns.
// synchronous stays at its default (FULL): a commit lost to a power cut could
// turn a redeemed code or a rotated refresh token back into a usable one.
var dsnParams = "_busy_timeout=" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + "&_foreign_keys=1&_journal_mode=WAL&_txlock=immediate"

func makeDSN(path string) (dsn string, inMemory bool, err error) {
	switch {
	case path == "":
		// SQLite would open a private temporary file per connection.
		return "", false, errors.New("empty path")
	case path == ":memory:":
		return ":memory:?" + dsnParams, true, nil
	case strings.HasPrefix(path, "file:"):
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		return path + sep + dsnParams, strings.Contains(path, "mode=memory"), nil
	case strings.Contains(path, "?"):
		// The driver would take the rest for parameters.
		return "", false, errors.New(`a file name cannot contain "?"; use a file: URI`)
	default:
		return path + "?" + dsnParams, false, nil
	}
}
