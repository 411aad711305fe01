package benchmark

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// NewBareProxy is the baseline: an httputil.ReverseProxy configured as
// mcpgate's forwarder is (same flush policy, same transport, the same
// X-Forwarded-* headers) but with no authentication and no identity
// headers, so the difference between it and mcpgate is exactly what
// mcpgate adds.
func NewBareProxy(backend *url.URL) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(backend)
			pr.Out.URL.Path, pr.Out.URL.RawPath = backend.Path, backend.RawPath
			pr.SetXForwarded()
		},
		Transport:     newTransport(),
		FlushInterval: -1,
	}
}

// newTransport copies proxy/forward's newTransport (unexported there);
// keep the two in step, or the comparison is no longer like for like.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 5 * time.Minute,
		ExpectContinueTimeout: time.Second,
	}
}
