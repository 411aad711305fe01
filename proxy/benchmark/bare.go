package benchmark

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/mcpgate/mcpgate/proxy/forward"
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
		Transport:  forward.NewTransport(5 * time.Minute),
		BufferPool: forward.BufferPool{},
	}
}
