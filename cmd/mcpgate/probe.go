package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/app"
	"github.com/mcpgate/mcpgate/proxy/stdio"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/preset"
)

// probeTimeout bounds each thing check --probe contacts.
const probeTimeout = 10 * time.Second

// probe contacts what a valid configuration names, as serve would: the
// upstream IdP's discovery, each HTTP backend (any HTTP answer means it
// is reachable; nothing is sent that would start a session) and each
// stdio backend's program (started, initialized, stopped). It reports
// each on stdout and every failure on stderr, and returns the failures.
func probe(cfg *config.Config, stdout, stderr io.Writer) int {
	failures := 0
	report := func(what string, err error, ok string) {
		if err != nil {
			failures++
			fmt.Fprintf(stderr, "probe: %s: FAILED: %v\n", what, err)
			return
		}
		fmt.Fprintf(stdout, "probe: %s: %s\n", what, ok)
	}

	for _, idp := range cfg.IdPs() {
		what := "upstream " + idp.Settings.Issuer
		if idp.Name != "" {
			what = "upstream " + idp.Name + " " + idp.Settings.Issuer
		}
		if idp.Upstream.Type == upstream.TypeGitHub {
			fmt.Fprintf(stdout, "probe: %s: not contacted (GitHub has no discovery to check)\n", what)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		_, err := preset.New(ctx, idp.Settings)
		cancel()
		report(what, err, "discovery OK")
	}

	// The store, opened as serve opens it (a new SQLite file or database
	// schema is made, as serve would).
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	st, err := app.OpenStore(ctx, cfg)
	if err == nil {
		if _, gerr := st.GetClient(ctx, "probe"); gerr != nil && !errors.Is(gerr, store.ErrNotFound) {
			err = gerr
		}
		st.Close()
	}
	cancel()
	report("store "+redactStore(cfg.Store), err, "reachable")

	client := &http.Client{Timeout: probeTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, rt := range cfg.Routes() {
		name := rt.Name
		if name == "" {
			name = "(default)"
		}
		if rt.URL != "" {
			status, err := head(client, rt.URL)
			report("backend "+name+" "+rt.URL, err, fmt.Sprintf("reachable (HTTP %d to HEAD)", status))
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		server, err := stdio.Probe(ctx, stdio.Options{Name: rt.Name, Command: rt.Command, Env: rt.Env})
		cancel()
		report("backend "+name+" "+rt.Command[0], err, "started and initialized: "+server)
	}
	return failures
}

func head(client *http.Client, url string) (int, error) {
	req, err := http.NewRequest(http.MethodHead, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// redactStore names the store without a password its URL may carry.
func redactStore(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
