package e2e_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// Shared services on the test machine (CI starts them before the run).
const (
	postgresAdminURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	redisURL         = "redis://127.0.0.1:6379/0"
)

// sharedStores are the stores several replicas can share, each fresh for
// one test.
func sharedStores() map[string]func(t testing.TB) string {
	return map[string]func(t testing.TB) string{
		"sqlite":   func(t testing.TB) string { return "sqlite://" + filepath.Join(t.TempDir(), "shared.db") },
		"postgres": freshPostgres,
		"redis": func(t testing.TB) string {
			return redisURL + "?prefix=e2e-" + oauth.NewID() + ":"
		},
	}
}

// freshPostgres creates a database for one test and drops it afterwards.
func freshPostgres(t testing.TB) string {
	t.Helper()
	db, err := sql.Open("pgx", postgresAdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("mcpgate_e2e_%d", os.Getpid()) + "_" + safeSuffix()
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("PostgreSQL at 127.0.0.1:5432 is required: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", postgresAdminURL)
		if err == nil {
			db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			db.Close()
		}
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:5432/%s?sslmode=disable", name)
}

func safeSuffix() string {
	b := []byte(oauth.NewID())
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = 'x'
		}
	}
	return string(b)
}
