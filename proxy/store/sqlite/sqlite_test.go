package sqlite_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/sqlite"
	"github.com/mcpgate/mcpgate/proxy/store/storetest"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "mcpgate.db"))
	})
	storetest.RunClock(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "clock.db"), store.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, ":memory:") })
}

// raw opens the file without the store, to look at what it wrote.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mcpgate.db")
	s := open(t, path)
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

	s = open(t, path)
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
	var n int
	if err := raw(t, path).QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != sqlite.Migrations {
		t.Errorf("schema_migrations has %d rows after two opens, want 1 per migration", n)
	}
}

func TestPragmas(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "mcpgate.db"))
	defer s.Close()
	for pragma, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "5000", "foreign_keys": "1"} {
		got, err := s.Pragma(t.Context(), pragma)
		if err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
}

func TestConcurrentMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mcpgate.db")
	const opens = 4
	stores := make([]*sqlite.Store, opens)
	errs := make([]error, opens)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range opens {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = sqlite.Open(t.Context(), path)
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
	var n int
	if err := raw(t, path).QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != sqlite.Migrations {
		t.Errorf("schema_migrations has %d rows, want 1 per migration", n)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mcpgate.db")
	open(t, path).Close()
	if _, err := raw(t, path).Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)"); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(t.Context(), path); err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer build: got no error")
	}
}

func TestOpenRejectsBadPaths(t *testing.T) {
	for _, path := range []string{"", "data.db?mode=ro"} {
		if s, err := sqlite.Open(t.Context(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q): got no error", path)
		}
	}
}

func testCode(hash string) store.AuthCode {
	return store.AuthCode{Hash: hash, ClientID: "c1", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
}

// Two pools on one file are as far apart as two processes as far as SQLite
// locking goes: only the file locks keep them from redeeming twice.
func TestTwoStoresRedeemOnce(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mcpgate.db")
	a, b := open(t, path), open(t, path)
	defer a.Close()
	defer b.Close()
	if err := a.CreateAuthCode(ctx, testCode("h1")); err != nil {
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

// TestProcesses runs the race between real processes: each child opens a
// fresh file (racing the migrations), creates the code unless another did,
// and races its redemptions against the other's.
func TestProcesses(t *testing.T) {
	if path := os.Getenv("MCPGATE_SQLITE_CHILD"); path != "" {
		child(t, path)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "mcpgate.db")
	release := filepath.Join(t.TempDir(), "go")
	const children = 2
	cmds := make([]*exec.Cmd, children)
	outs := make([]*bytes.Buffer, children)
	for i := range children {
		cmds[i] = exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestProcesses$", "-test.v")
		cmds[i].Env = append(os.Environ(), "MCPGATE_SQLITE_CHILD="+path, "MCPGATE_SQLITE_RELEASE="+release,
			"MCPGATE_SQLITE_ID="+strconv.Itoa(i))
		outs[i] = new(bytes.Buffer)
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	// Each child reports ready with a file and waits for release, so that
	// they race each other rather than one finishing before the other starts.
	for i := range children {
		waitFile(t, fmt.Sprintf("%s.ready%d", release, i))
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wins := 0
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, outs[i])
		}
		_, after, ok := strings.Cut(outs[i].String(), "WINS=")
		n, err := strconv.Atoi(strings.Fields(after + " x")[0])
		if !ok || err != nil {
			t.Fatalf("child %d printed no win count:\n%s", i, outs[i])
		}
		wins += n
	}
	if wins != 1 {
		t.Errorf("%d redemptions won across %d processes, want 1", wins, children)
	}
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear", path)
}

func child(t *testing.T, path string) {
	ctx := t.Context()
	release, id := os.Getenv("MCPGATE_SQLITE_RELEASE"), os.Getenv("MCPGATE_SQLITE_ID")
	if err := os.WriteFile(release+".ready"+id, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFile(t, release)
	s := open(t, path)
	defer s.Close()
	if err := s.CreateAuthCode(ctx, testCode("h1")); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatal(err)
	}
	start := make(chan struct{})
	close(start)
	winners, err := storetest.RedeemAll(ctx, s, "h1", "p"+id+"-", 10, start)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("WINS=%d\n", len(winners))
}

func BenchmarkRotate(b *testing.B) {
	storetest.BenchmarkRotate(b, 4, func(b *testing.B) store.Store {
		s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
