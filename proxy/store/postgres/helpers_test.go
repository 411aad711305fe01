package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mcpgate/mcpgate/proxy/store/postgres"
)

// defaultURL is the server the tests expect; MCPGATE_TEST_POSTGRES_URL
// points them elsewhere. It must be a URL (not keyword/value): the tests
// add parameters to it.
const defaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func baseURL() string {
	if u := os.Getenv("MCPGATE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return defaultURL
}

// admin is one pool shared by the tests, for creating and dropping schemas
// and looking at what the stores wrote; connectErr is why there is none.
var admin = sync.OnceValues(func() (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(baseURL())
	if err != nil {
		return nil, err
	}
	cfg.ConnectTimeout = 3 * time.Second
	db := stdlib.OpenDB(*cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if db, err := admin(); err == nil {
		db.Close()
	}
	os.Exit(code)
}

// adminDB returns the shared pool, or ends the test when PostgreSQL cannot
// be reached: skipped on a developer machine without it, failed in CI,
// where a skip would pass the build without testing anything.
func adminDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := admin()
	if err == nil {
		return db
	}
	if ci, set := os.LookupEnv("CI"); set && ci != "" {
		t.Fatalf("PostgreSQL unreachable at %s (CI=%s, so this fails instead of skipping; "+
			"start the server or set MCPGATE_TEST_POSTGRES_URL): %v", redacted(), ci, err)
	}
	t.Skipf("PostgreSQL unreachable at %s, skipping (CI is unset): %v", redacted(), err)
	return nil
}

func redacted() string {
	u, err := url.Parse(baseURL())
	if err != nil {
		return "(unparsable MCPGATE_TEST_POSTGRES_URL)"
	}
	return u.Redacted()
}

// freshSchema creates an empty schema, dropped when the test ends, and
// returns its name and a URL whose connections use it: every store of the
// suite gets its own tables, so parallel subtests cannot see each other.
func freshSchema(t testing.TB) (name, schemaURL string) {
	t.Helper()
	db := adminDB(t)
	// rand.Text is base32 upper case; unquoted names fold to lower case,
	// and quoting them everywhere is noise.
	name = "mcpgate_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := db.ExecContext(t.Context(), "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name, withParams(t, baseURL(), map[string]string{"search_path": name, "application_name": name})
}

// withParams returns raw with query parameters set.
func withParams(t testing.TB, raw string, params map[string]string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("MCPGATE_TEST_POSTGRES_URL must be a URL: %v", err)
	}
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// open opens a store on url, ending the test on failure.
func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// count runs a COUNT query through the admin pool.
func count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := adminDB(t).QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
