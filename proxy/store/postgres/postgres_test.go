package postgres_test

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/postgres"
	"github.com/mcpgate/mcpgate/proxy/store/sqlstore"
	"github.com/mcpgate/mcpgate/proxy/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		_, url := freshSchema(t)
		return open(t, url)
	})
	storetest.RunClock(t, func(t *testing.T, now func() time.Time) store.Store {
		_, url := freshSchema(t)
		s, err := postgres.Open(t.Context(), url, store.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	schema, url := freshSchema(t)
	s := open(t, url)
	c := store.Client{ID: "c1", Name: "kept", RedirectURIs: []string{"https://a.example/cb"}, CreatedAt: time.UnixMilli(1_700_000_000_123).UTC()}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	secret, err := s.EnsureSecret(ctx, "hmac", []byte("first"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, url)
	defer s.Close()
	got, err := s.GetClient(ctx, "c1")
	if err != nil {
		t.Fatalf("GetClient after reopen: %v", err)
	}
	if got.Name != c.Name || !got.CreatedAt.Equal(c.CreatedAt) || len(got.RedirectURIs) != 1 {
		t.Errorf("GetClient after reopen = %+v, want %+v", got, c)
	}
	again, err := s.EnsureSecret(ctx, "hmac", []byte("second"))
	if err != nil || !bytes.Equal(again, secret) {
		t.Errorf("EnsureSecret after reopen = %q, %v; want %q", again, err, secret)
	}
	if n := count(t, "SELECT COUNT(*) FROM "+schema+".schema_migrations"); n != sqlstore.SchemaVersion() {
		t.Errorf("schema_migrations has %d rows after two opens, want 1 per migration", n)
	}
}

// TestConcurrentMigrations starts replicas together on an empty schema:
// the advisory lock must make all of them succeed and apply each migration
// once. Separate pools are separate sessions, which is all the server sees
// of separate processes.
func TestConcurrentMigrations(t *testing.T) {
	schema, url := freshSchema(t)
	const opens = 4
	stores := make([]*postgres.Store, opens)
	errs := make([]error, opens)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range opens {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(t.Context(), url)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		if err := stores[i].CreateClient(t.Context(), store.Client{ID: strconv.Itoa(i)}); err != nil {
			t.Errorf("CreateClient through store %d: %v", i, err)
		}
		stores[i].Close()
	}
	if n := count(t, "SELECT COUNT(*) FROM "+schema+".schema_migrations"); n != sqlstore.SchemaVersion() {
		t.Errorf("schema_migrations has %d rows, want 1 per migration", n)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	schema, url := freshSchema(t)
	open(t, url).Close()
	if _, err := adminDB(t).ExecContext(t.Context(), "INSERT INTO "+schema+".schema_migrations (version, applied_at) VALUES (999, 0)"); err != nil {
		t.Fatal(err)
	}
	if s, err := postgres.Open(t.Context(), url); err == nil {
		s.Close()
		t.Fatal("Open of a schema from a newer build: got no error")
	}
}

func TestMissingSchema(t *testing.T) {
	url := withParams(t, baseURL(), map[string]string{"search_path": "mcpgate_test_does_not_exist"})
	adminDB(t)
	s, err := postgres.Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatal("Open with a search_path naming no schema: got no error")
	}
	if errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open with a missing schema: %v; a configuration error is not ErrUnavailable", err)
	}
}

// TestSessionSettings checks what Open sets on every connection and that
// the URL can override it.
func TestSessionSettings(t *testing.T) {
	_, url := freshSchema(t)
	s := open(t, url)
	defer s.Close()
	show := func(s *postgres.Store, name string) string {
		var v string
		if err := s.DB().QueryRowContext(t.Context(), "SHOW "+name).Scan(&v); err != nil {
			t.Fatalf("SHOW %s: %v", name, err)
		}
		return v
	}
	if got := show(s, "idle_in_transaction_session_timeout"); got != "30s" {
		t.Errorf("idle_in_transaction_session_timeout = %q, want 30s", got)
	}
	if got := s.DB().Stats().MaxOpenConnections; got != 10 {
		t.Errorf("MaxOpenConnections = %d, want 10", got)
	}

	custom := open(t, withParams(t, url, map[string]string{"pool_max_conns": "3", "idle_in_transaction_session_timeout": "1min"}))
	defer custom.Close()
	if got := show(custom, "idle_in_transaction_session_timeout"); got != "1min" {
		t.Errorf("idle_in_transaction_session_timeout from the URL = %q, want 1min", got)
	}
	if got := custom.DB().Stats().MaxOpenConnections; got != 3 {
		t.Errorf("MaxOpenConnections with pool_max_conns=3 = %d, want 3", got)
	}
}

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, url := range []string{"", "postgres://%zz", "postgres://h/db?pool_max_conns=0", "postgres://h/db?pool_max_conn_lifetime=soon"} {
		if s, err := postgres.Open(t.Context(), url); err == nil {
			s.Close()
			t.Errorf("Open(%q): got no error", url)
		} else if errors.Is(err, store.ErrUnavailable) {
			t.Errorf("Open(%q): %v; a bad URL is not ErrUnavailable", url, err)
		}
	}
}

// TestTwoStoresRedeemOnce races redemptions through two pools, as two
// replicas would: only the row lock keeps them from redeeming twice.
func TestTwoStoresRedeemOnce(t *testing.T) {
	ctx := t.Context()
	_, url := freshSchema(t)
	a, b := open(t, url), open(t, url)
	defer a.Close()
	defer b.Close()
	code := store.AuthCode{Hash: "h1", ClientID: "c1", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := a.CreateAuthCode(ctx, code); err != nil {
		t.Fatal(err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	var winners [2][]string
	var errs [2]error
	for i, s := range []store.Store{a, b} {
		wg.Go(func() { winners[i], errs[i] = storetest.RedeemAll(ctx, s, "h1", fmt.Sprintf("s%d-", i), 10, start) })
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	all := append(winners[0], winners[1]...)
	if len(all) != 1 {
		t.Fatalf("%d redemptions won across two stores (%q), want 1", len(all), all)
	}
	got, err := storetest.PeekCode(ctx, b, "h1")
	if err != nil || got.FamilyID != all[0] {
		t.Errorf("stored FamilyID = %q, %v; want the winner's %q", got.FamilyID, err, all[0])
	}
}

func BenchmarkRotate(b *testing.B) {
	storetest.BenchmarkRotate(b, 4, func(b *testing.B) store.Store {
		_, url := freshSchema(b)
		return open(b, url)
	})
}
