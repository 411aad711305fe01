package e2e_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
)

// serveApp serves g's app the way `mcpgate serve` does (app.Serve: its
// TLS, timeouts and shutdown) on a new listener, until the test ends.
func serveApp(t *testing.T, g *gateway) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.App.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln
}

// TestServeTLS: with tls.cert_file and tls.key_file, serve answers HTTPS
// (HTTP/2 offered) with that certificate.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kder, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)

	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.TLS = config.TLS{CertFile: certFile, KeyFile: keyFile}
		c.Metrics.Listen = ""
	}})
	ln := serveApp(t, g)

	cert, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	req, _ := http.NewRequest(http.MethodGet, "https://"+ln.Addr().String()+"/healthz", nil)
	var resp *http.Response
	var err error
	for range 50 {
		if resp, err = client.Do(req); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusOK || resp.TLS == nil || resp.TLS.PeerCertificates[0].SerialNumber.Int64() != 7 || resp.Proto != "HTTP/2.0" {
		t.Errorf("got %d over %s with %v, want 200 over HTTP/2 with the configured certificate", resp.StatusCode, resp.Proto, resp.TLS != nil)
	}
}

// TestReadHeaderTimeout: a client that trickles its request's headers
// (slowloris) is cut off after limits.read_header_timeout.
func TestReadHeaderTimeout(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Limits.ReadHeaderTimeout = 300 * time.Millisecond
		c.Metrics.Listen = ""
	}})
	ln := serveApp(t, g)

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")) // and never the blank line
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	_, err = conn.Read(buf)
	if elapsed := time.Since(start); err == nil || elapsed > 3*time.Second {
		t.Errorf("a request whose headers never end: read %v after %v, want the connection closed after about 300 ms", err, elapsed)
	}
}
