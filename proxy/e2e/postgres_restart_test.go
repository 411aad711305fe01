package e2e_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// disruptive tests stop shared services, so they cannot run while other
// packages' tests use them: test.sh runs them in a step of their own.
func requireDisruptive(t *testing.T) {
	if os.Getenv("DISRUPTIVE_TESTS") != "1" {
		t.Skip("stops the shared PostgreSQL; test.sh runs it alone with DISRUPTIVE_TESTS=1")
	}
}

func clusterVersion(t *testing.T) string {
	versions, _ := filepath.Glob("/etc/postgresql/*")
	if len(versions) == 0 {
		t.Fatal("no PostgreSQL cluster under /etc/postgresql")
	}
	return filepath.Base(versions[0])
}

// pgCluster runs pg_ctlcluster on the machine's PostgreSQL cluster.
func pgCluster(t *testing.T, action string) {
	t.Helper()
	out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", clusterVersion(t), "main", action).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_ctlcluster %s: %v\n%s", action, err, out)
	}
}

// TestPostgresRestart: token requests keep coming while PostgreSQL stops
// and starts again. While it is down they get 503 with a clear OAuth error;
// within seconds of its return they succeed, without restarting mcpgate,
// and nothing committed before is lost.
func TestPostgresRestart(t *testing.T) {
	requireDisruptive(t)
	rs := startReplicas(t, freshPostgres(t), 1)
	g := rs.gateway()
	c := g.registerPublic(t)
	tokens := g.exchange(t, c, g.code(t, c))
	if tokens.Status != http.StatusOK {
		t.Fatalf("exchange: %d %s", tokens.Status, tokens.Error)
	}

	type result struct {
		at     time.Time
		status int
		body   string
	}
	var (
		mu      sync.Mutex
		results []result
		stop    = make(chan struct{})
		done    = make(chan struct{})
	)
	refreshToken := tokens.RefreshToken
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			res := g.refresh(t, c, refreshToken)
			if res.Status == http.StatusOK {
				refreshToken = res.RefreshToken
			}
			mu.Lock()
			results = append(results, result{time.Now(), res.Status, res.Error + ": " + res.Description})
			mu.Unlock()
		}
	}()

	time.Sleep(time.Second)
	pgCluster(t, "stop")
	// Whatever happens next, the suite must not leave PostgreSQL stopped.
	t.Cleanup(func() {
		if exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", clusterVersion(t), "main", "status").Run() != nil {
			pgCluster(t, "start")
		}
	})
	stopped := time.Now()
	time.Sleep(3 * time.Second)
	pgCluster(t, "start")
	started := time.Now()
	time.Sleep(8 * time.Second)
	close(stop)
	<-done

	var down, recovered int
	var firstOK time.Time
	for _, r := range results {
		switch {
		case r.status == http.StatusOK:
			if r.at.After(started) && firstOK.IsZero() {
				firstOK = r.at
			}
		case r.status == http.StatusServiceUnavailable && strings.HasPrefix(r.body, "temporarily_unavailable"):
			down++
			if r.at.After(started) {
				recovered++
			}
		default:
			t.Errorf("at %v after the stop: got %d %q, want 200 or 503 temporarily_unavailable", r.at.Sub(stopped).Round(time.Millisecond), r.status, r.body)
		}
	}
	t.Logf("%d requests, %d answered 503 while PostgreSQL was down or coming back; first success %v after it started",
		len(results), down, firstOK.Sub(started).Round(time.Millisecond))
	if down == 0 {
		t.Error("no request saw PostgreSQL down")
	}
	if firstOK.IsZero() || firstOK.Sub(started) > 5*time.Second {
		t.Fatalf("no success within 5 s of PostgreSQL's return (first at %v)", firstOK.Sub(started))
	}
	if res := g.refresh(t, c, refreshToken); res.Status != http.StatusOK {
		t.Errorf("the refresh chain after the restart: %d %q", res.Status, res.Error)
	}
}
