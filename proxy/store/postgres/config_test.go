package postgres

import (
	"strings"
	"testing"
	"time"
)

// config_test runs without a server: it checks what Open makes of URLs.

func TestParseConfigDefaults(t *testing.T) {
	for _, url := range []string{
		"postgres://u:pw@db.example:5433/mcpgate?sslmode=disable",
		"postgresql://u:pw@db.example:5433/mcpgate?sslmode=disable",
		"host=db.example port=5433 dbname=mcpgate user=u password=pw sslmode=disable",
	} {
		cfg, pool, err := parseConfig(url)
		if err != nil {
			t.Fatalf("parseConfig(%q): %v", url, err)
		}
		if cfg.Host != "db.example" || cfg.Port != 5433 || cfg.Database != "mcpgate" || cfg.User != "u" {
			t.Errorf("parseConfig(%q) = %s@%s:%d/%s", url, cfg.User, cfg.Host, cfg.Port, cfg.Database)
		}
		if cfg.ConnectTimeout != defaultConnectTimeout {
			t.Errorf("ConnectTimeout = %v, want the default %v", cfg.ConnectTimeout, defaultConnectTimeout)
		}
		if got := cfg.RuntimeParams["application_name"]; got != "mcpgate" {
			t.Errorf("application_name = %q, want mcpgate", got)
		}
		if want := (poolConfig{defaultMaxConns, defaultMaxConnLifetime, defaultMaxConnIdleTime}); pool != want {
			t.Errorf("pool = %+v, want %+v", pool, want)
		}
	}
}

func TestParseConfigOverrides(t *testing.T) {
	cfg, pool, err := parseConfig("postgres://db/mcpgate?connect_timeout=2&application_name=replica-1" +
		"&pool_max_conns=25&pool_max_conn_lifetime=1h&pool_max_conn_idle_time=30s&search_path=mcpgate")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnectTimeout != 2*time.Second {
		t.Errorf("ConnectTimeout = %v, want 2s", cfg.ConnectTimeout)
	}
	if want := (poolConfig{25, time.Hour, 30 * time.Second}); pool != want {
		t.Errorf("pool = %+v, want %+v", pool, want)
	}
	want := map[string]string{"application_name": "replica-1", "search_path": "mcpgate"}
	if len(cfg.RuntimeParams) != len(want) {
		// pool_* sent to the server would fail every connect.
		t.Errorf("RuntimeParams = %v, want %v", cfg.RuntimeParams, want)
	}
	for k, v := range want {
		if cfg.RuntimeParams[k] != v {
			t.Errorf("RuntimeParams[%s] = %q, want %q", k, cfg.RuntimeParams[k], v)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, url := range []string{
		"",
		"postgres://%zz",
		"postgres://db/x?pool_max_conns=none",
		"postgres://db/x?pool_max_conns=-1",
		"postgres://db/x?pool_max_conn_idle_time=5",
		"postgres://db/x?connect_timeout=soon",
	} {
		if _, _, err := parseConfig(url); err == nil {
			t.Errorf("parseConfig(%q): got no error", url)
		}
	}
}

func TestParseConfigErrorHidesPassword(t *testing.T) {
	_, _, err := parseConfig("postgres://u:hunter2@db/x?pool_max_conns=none&connect_timeout=soon")
	if err == nil {
		t.Fatal("got no error")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password: %v", err)
	}
}
