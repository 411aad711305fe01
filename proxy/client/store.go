package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Credentials are what a sign-in at one MCP server left: the client
// registered at its authorization server and the tokens issued.
type Credentials struct {
	// Resource is the MCP server URL, the key of the record.
	Resource string `json:"resource"`
	// Issuer is the authorization server the client and tokens belong to:
	// a server that moves to another one needs a new registration.
	Issuer             string `json:"issuer"`
	TokenEndpoint      string `json:"token_endpoint"`
	RevocationEndpoint string `json:"revocation_endpoint,omitempty"`
	ClientID           string `json:"client_id"`
	ClientSecret       string `json:"client_secret,omitempty"`
	// Registered tells how the client came to be: "cimd", "preregistered"
	// or "dcr"; a DCR client is reused for the same issuer only.
	Registered string   `json:"registered"`
	Scopes     []string `json:"scopes,omitempty"`
	// TokenType is the access token's type: "Bearer", or "DPoP" for one
	// bound to DPoPKey, which each request must then prove (RFC 9449).
	TokenType    string    `json:"token_type,omitempty"`
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	// DPoPKey is this client's DPoP private key for the server (base64
	// PKCS #8), when the server binds tokens to one.
	DPoPKey string `json:"dpop_key,omitempty"`
}

// Store is the credentials file: every server's record in one JSON file
// that only its owner can read (0600, in a 0700 directory), written whole
// to a temporary file and renamed, so that a crash never leaves half a
// file. Update holds an exclusive lock on a sibling lock file across its
// read, change and write: two `mcpgate connect` refreshing at once would
// otherwise both spend the same rotating refresh token, and the second
// use looks like theft to the server, which revokes the grant.
type Store struct {
	Path string
}

// DefaultStorePath is credentials.json in the user's configuration
// directory ($XDG_CONFIG_HOME/mcpgate, ~/.config/mcpgate on Linux).
func DefaultStorePath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("client: find the configuration directory: %w", err)
	}
	return filepath.Join(dir, "mcpgate", "credentials.json"), nil
}

type storeFile struct {
	Servers map[string]Credentials `json:"servers"`
}

// Get returns the record of resource, or nil when there is none.
func (s *Store) Get(resource string) (*Credentials, error) {
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	c, ok := f.Servers[resource]
	if !ok {
		return nil, nil
	}
	return &c, nil
}

// Update reads the record of resource (nil when absent), lets change
// modify it under the lock, and writes the result: a nil result deletes
// the record. An error from change leaves the file as it was.
func (s *Store) Update(resource string, change func(*Credentials) (*Credentials, error)) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	f, err := s.read()
	if err != nil {
		return err
	}
	var cur *Credentials
	if c, ok := f.Servers[resource]; ok {
		cur = &c
	}
	next, err := change(cur)
	if err != nil {
		return err
	}
	if next == nil {
		delete(f.Servers, resource)
	} else {
		next.Resource = resource
		f.Servers[resource] = *next
	}
	return s.write(f)
}

func (s *Store) read() (*storeFile, error) {
	f := &storeFile{Servers: map[string]Credentials{}}
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("client: read credentials: %w", err)
	}
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("client: credentials file %s is corrupt: %w", s.Path, err)
	}
	if f.Servers == nil {
		f.Servers = map[string]Credentials{}
	}
	return f, nil
}

func (s *Store) write(f *storeFile) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("client: encode credentials: %w", err)
	}
	dir := filepath.Dir(s.Path)
	tmp, err := os.CreateTemp(dir, ".credentials-*")
	if err != nil {
		return fmt.Errorf("client: write credentials: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	// CreateTemp makes the file 0600 already; Chmod says so explicitly,
	// whatever the umask.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("client: write credentials: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("client: write credentials: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("client: write credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("client: write credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.Path); err != nil {
		return fmt.Errorf("client: write credentials: %w", err)
	}
	return nil
}

// lock takes the exclusive lock, making the directory (0700) if needed.
func (s *Store) lock() (func(), error) {
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("client: make %s: %w", dir, err)
	}
	// A directory made before (by another tool, or with a loose umask)
	// might let others list it; the file itself stays 0600 either way.
	lf, err := os.OpenFile(s.Path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("client: lock credentials: %w", err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		lf.Close()
		return nil, fmt.Errorf("client: lock credentials: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
		lf.Close()
	}, nil
}
