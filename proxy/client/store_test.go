package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestStoreFilesArePrivate(t *testing.T) {
	s := &Store{Path: filepath.Join(t.TempDir(), "cfg", "mcpgate", "credentials.json")}
	if err := s.Update("https://mcp.example.com/mcp", func(*Credentials) (*Credentials, error) {
		return &Credentials{Issuer: "https://mcp.example.com", AccessToken: "at"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{s.Path: 0o600, filepath.Dir(s.Path): 0o700 | os.ModeDir, s.Path + ".lock": 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), fi.Mode(), want)
		}
	}
	got, err := s.Get("https://mcp.example.com/mcp")
	if err != nil || got == nil || got.AccessToken != "at" || got.Resource != "https://mcp.example.com/mcp" {
		t.Fatalf("Get: %+v %v", got, err)
	}
	if err := s.Update("https://mcp.example.com/mcp", func(*Credentials) (*Credentials, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get("https://mcp.example.com/mcp"); got != nil {
		t.Errorf("after delete: %+v", got)
	}
}

func TestStoreRefusesACorruptFile(t *testing.T) {
	s := &Store{Path: filepath.Join(t.TempDir(), "credentials.json")}
	if err := os.WriteFile(s.Path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("x"); err == nil {
		t.Error("a corrupt file was read as empty (the next write would have erased it)")
	}
}

// TestConcurrentRefreshSpendsTheRefreshTokenOnce: many callers (threads,
// or several mcpgate connect) finding the token expired at once make one
// refresh between them; with rotating refresh tokens a second use of the
// old one would read as theft and revoke the grant.
func TestConcurrentRefreshSpendsTheRefreshTokenOnce(t *testing.T) {
	var refreshes atomic.Int32
	var mu sync.Mutex
	current := "rt-0"
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		defer mu.Unlock()
		if r.PostForm.Get("refresh_token") != current || r.PostForm.Get("resource") != "https://mcp.example.com/mcp" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		n := refreshes.Add(1)
		current = "rt-" + string(rune('0'+n))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + current, "refresh_token": current, "token_type": "Bearer", "expires_in": 3600})
	}))
	defer as.Close()
	store := &Store{Path: filepath.Join(t.TempDir(), "credentials.json")}
	resource := "https://mcp.example.com/mcp"
	if err := store.Update(resource, func(*Credentials) (*Credentials, error) {
		return &Credentials{Issuer: as.URL, TokenEndpoint: as.URL + "/token", ClientID: "c1", AccessToken: "at-old",
			RefreshToken: "rt-0", Expiry: time.Now().Add(-time.Minute)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	tokens := make([]string, 8)
	errs := make([]error, 8)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each its own Client, as separate processes would be.
			c := &Client{Store: &Store{Path: store.Path}}
			tokens[i], errs[i] = c.Token(context.Background(), resource, false)
		}()
	}
	wg.Wait()
	for i := range tokens {
		if errs[i] != nil || tokens[i] != "at-rt-1" {
			t.Errorf("caller %d: %q %v", i, tokens[i], errs[i])
		}
	}
	if n := refreshes.Load(); n != 1 {
		t.Errorf("refreshes: %d, want 1", n)
	}
	c := &Client{Store: store}
	if _, err := c.Token(context.Background(), resource, true); err != nil {
		t.Fatalf("forced refresh: %v", err)
	}
	mu.Lock()
	current = "rotated-elsewhere" // the grant ends at the server
	mu.Unlock()
	if _, err := c.Token(context.Background(), resource, true); err == nil {
		t.Fatal("a refused refresh token gave a token")
	}
	if got, _ := store.Get(resource); got.RefreshToken != "" || got.AccessToken != "" {
		t.Errorf("after invalid_grant the tokens are kept: %+v", got)
	}
	if got, _ := store.Get(resource); got.ClientID != "c1" {
		t.Error("after invalid_grant the client registration was lost")
	}
}
