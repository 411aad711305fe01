package config

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// Pages are the look of mcpgate's pages (consent, sign-in chooser,
// account).
type Pages struct {
	// OrganizationName heads every page and its title.
	OrganizationName string `yaml:"organization_name"`
	// LogoFile is an image shown beside it (PNG, JPEG, GIF, WebP or SVG, at
	// most 256 KiB), read at start and served by mcpgate itself: the pages
	// load nothing from elsewhere.
	LogoFile string `yaml:"logo_file"`
}

// maxLogoBytes bounds the logo, which every page loads.
const maxLogoBytes = 256 << 10

// Logo reads the logo file: its bytes and content type, or nil when none
// is configured.
func (p Pages) Logo() ([]byte, string, error) {
	if p.LogoFile == "" {
		return nil, "", nil
	}
	b, err := os.ReadFile(p.LogoFile)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read it: %v", err)
	}
	if len(b) > maxLogoBytes {
		return nil, "", fmt.Errorf("%d bytes; at most %d", len(b), maxLogoBytes)
	}
	ct := http.DetectContentType(b)
	switch {
	case ct == "image/png", ct == "image/jpeg", ct == "image/gif", ct == "image/webp":
	case strings.HasSuffix(strings.ToLower(p.LogoFile), ".svg") && strings.Contains(string(b), "<svg"):
		ct = "image/svg+xml"
	default:
		return nil, "", fmt.Errorf("not a PNG, JPEG, GIF, WebP or SVG image (%s)", ct)
	}
	return b, ct, nil
}

func (p Pages) validate(probs *Problems) {
	if len(p.OrganizationName) > 100 || !printable(p.OrganizationName) {
		probs.add("pages.organization_name", "want at most 100 printable characters")
	}
	if _, _, err := p.Logo(); err != nil {
		probs.add("pages.logo_file", "%v", err)
	}
}

// Metrics configure the Prometheus listener.
type Metrics struct {
	// Listen is the metrics listener's address, apart from the public one
	// so that the metrics are not on the internet; "" turns it off.
	Listen string `yaml:"listen"`
}

// Tracing configures OpenTelemetry traces, exported over OTLP/HTTP. They
// are off unless an endpoint is set here or in the standard
// OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// variables; the other OTEL_* variables (headers, timeout, service name,
// resource attributes, sampler, OTEL_SDK_DISABLED) work as the SDK
// documents them.
type Tracing struct {
	// OTLPEndpoint is the collector's base URL, e.g.
	// http://otel-collector:4318; spans go to its /v1/traces.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// SampleRatio is the share of new traces recorded, 0 to 1; a trace
	// started upstream of a trusted proxy keeps that decision.
	// OTEL_TRACES_SAMPLER, when set, replaces it.
	SampleRatio float64 `yaml:"sample_ratio"`
}

func (t Tracing) validate(p *Problems) {
	if t.OTLPEndpoint != "" {
		checkURL(p, "tracing.otlp_endpoint", t.OTLPEndpoint, urlRules{noQuery: true, noFragment: true})
	}
	if !(t.SampleRatio >= 0 && t.SampleRatio <= 1) {
		p.add("tracing.sample_ratio", "want a number from 0 to 1, got %v", t.SampleRatio)
	}
}

// TLS makes mcpgate serve HTTPS itself, rather than behind a proxy that
// ends TLS.
type TLS struct {
	// CertFile and KeyFile are PEM files, read again when they change
	// (a renewal in place).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

func (t TLS) validate(p *Problems) {
	switch {
	case t.CertFile == "" && t.KeyFile == "":
	case t.CertFile == "" || t.KeyFile == "":
		p.add("tls", "set both cert_file and key_file, or neither")
	default:
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			p.add("tls", "cert_file and key_file do not load as a certificate and its key: %v", err)
		}
	}
}
