package config

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path"
	"strings"
	"time"
)

// CIMD configures Client ID Metadata Documents: a client whose client_id
// is an https URL is described by the JSON document mcpgate fetches from
// that URL, instead of registering.
type CIMD struct {
	// Enabled accepts URL client ids.
	Enabled bool `yaml:"enabled"`
	// AllowDomains, when set, are the only hosts documents are fetched
	// from; DenyDomains are never fetched from and win over AllowDomains.
	// An entry is an exact host (app.example.com, or an IP address) or
	// "*." and a host name (*.example.com), which matches the names under
	// it but not the name itself. Matching ignores case; proxy/cimd does
	// it.
	AllowDomains []string `yaml:"allow_domains"`
	DenyDomains  []string `yaml:"deny_domains"`
	// CAFile names a PEM file of extra root certificates trusted, besides
	// the system's, when fetching documents (internal CAs, tests). It is
	// read by Validate and by CertPool.
	CAFile string `yaml:"ca_file"`
	// AllowedNetworks are CIDR prefixes (10.1.0.0/16, fd00::/8) exempt from
	// the ban on fetching documents from private, loopback and link-local
	// addresses.
	AllowedNetworks []string `yaml:"allowed_networks"`
	// CacheMin and CacheMax bound how long a fetched document is cached,
	// whatever its HTTP caching headers say.
	CacheMin time.Duration `yaml:"cache_min"`
	CacheMax time.Duration `yaml:"cache_max"`
}

// Restricted reports whether the operator restricted who may register:
// dynamic registration off, or behind an initial access token.
func (r Registration) Restricted() bool {
	return !r.DynamicEnabled || r.InitialAccessToken != ""
}

// MetadataDocumentsAccepted reports whether Client ID Metadata Documents
// are used. They are clients nobody registered, so restricting
// registration restricts them too: with registration restricted, only
// documents from the hosts in cimd.allow_domains are accepted, and none
// when the list is empty.
func (r Registration) MetadataDocumentsAccepted() bool {
	return r.CIMD.Enabled && (!r.Restricted() || len(r.CIMD.AllowDomains) > 0)
}

// RedirectURIAllowed reports whether dynamic registration may accept the
// redirect URI uri: always when RedirectURIPatterns is empty, otherwise
// when uri matches one of the patterns.
//
// A pattern is matched against the whole URI as path.Match does: '*'
// matches any run of characters other than '/', '?' any one such
// character, [a-z] and [^0-9] a character class, and '\' escapes the
// character after it. Everything else must match exactly (case included).
// A wildcard in the authority (between "://" and the next '/') matches
// only within the URI's authority, so "https://*.example.com/*" matches
// https://app.example.com/cb but not https://evil.test?.example.com/cb.
// Examples:
//
//	http://127.0.0.1:*/callback   any port, path /callback, no query
//	https://*.example.com/*       any subdomain, one path segment
//	cursor://anysphere.cursor-mcp/oauth/callback
//
// uri must also pass the redirect URI rules of dynamic registration; the
// patterns only narrow them.
func (r Registration) RedirectURIAllowed(uri string) bool {
	if len(r.RedirectURIPatterns) == 0 {
		return true
	}
	for _, p := range r.RedirectURIPatterns {
		if matchRedirectPattern(p, uri) {
			return true
		}
	}
	return false
}

func matchRedirectPattern(pattern, uri string) bool {
	// In a pattern '?' is a wildcard, so only '/' ends the authority; in a
	// URI the query and fragment delimiters end it too.
	ph, pr := splitAuthority(pattern, "/")
	uh, ur := splitAuthority(uri, "/?#")
	ok1, err1 := path.Match(ph, uh)
	ok2, err2 := path.Match(pr, ur)
	return err1 == nil && err2 == nil && ok1 && ok2
}

// splitAuthority splits s after the authority that follows "scheme://",
// the authority ending at the first of stops. Without an authority, head
// is "" and rest is s.
func splitAuthority(s, stops string) (head, rest string) {
	i := strings.IndexByte(s, ':')
	if i < 0 || !strings.HasPrefix(s[i+1:], "//") {
		return "", s
	}
	after := s[i+3:]
	end := strings.IndexAny(after, stops)
	if end < 0 {
		return s, ""
	}
	return s[:i+3+end], after[end:]
}

// checkRedirectPattern reports why p cannot be used as a redirect URI
// pattern.
func checkRedirectPattern(p string) error {
	if i := strings.IndexByte(p, ':'); i <= 0 {
		return errors.New("want a URI pattern with a scheme, such as https://*.example.com/*")
	}
	head, rest := splitAuthority(p, "/")
	for _, s := range []string{p, head, rest} {
		if _, err := path.Match(s, ""); err != nil {
			return errors.New("malformed pattern (unclosed [ or trailing \\?)")
		}
	}
	return nil
}

// AllowedPrefixes returns AllowedNetworks parsed, skipping entries that do
// not parse (Validate reports them).
func (c CIMD) AllowedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range c.AllowedNetworks {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}

// CertPool returns the roots to verify document servers with: nil (the
// system roots) when CAFile is empty, otherwise the system roots plus the
// certificates of CAFile.
func (c CIMD) CertPool() (*x509.CertPool, error) {
	if c.CAFile == "" {
		return nil, nil
	}
	certs, err := readPEMCerts(c.CAFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	for _, cert := range certs {
		pool.AddCert(cert)
	}
	return pool, nil
}

// readPEMCerts reads every certificate of a PEM file. Unlike
// CertPool.AppendCertsFromPEM it fails on a certificate it cannot parse
// instead of skipping it, and on a file holding none.
func readPEMCerts(file string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: PEM block %d: %v", file, n, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return certs, nil
}
