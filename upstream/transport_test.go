package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestTransportRefusesMetadataAddresses: whatever URL an IdP's discovery
// document or a redirect names, mcpgate's requests to IdPs never connect
// to the cloud metadata service or elsewhere in link-local space; the
// private and loopback addresses IdPs really run at stay reachable.
func TestTransportRefusesMetadataAddresses(t *testing.T) {
	metadata := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/security-credentials/", http.StatusFound)
	}))
	defer metadata.Close()
	client := &http.Client{Transport: Transport(), Timeout: 5 * time.Second}
	tests := []struct {
		name    string
		url     string
		refused bool
	}{
		{name: "AWS, GCP and Azure metadata", url: "http://169.254.169.254/latest/meta-data/", refused: true},
		{name: "elsewhere in 169.254/16", url: "http://169.254.1.1/", refused: true},
		{name: "IPv4-mapped metadata", url: "http://[::ffff:169.254.169.254]/", refused: true},
		{name: "NAT64 metadata", url: "http://[64:ff9b::a9fe:a9fe]/", refused: true},
		{name: "AWS IPv6 metadata", url: "http://[fd00:ec2::254]/", refused: true},
		{name: "IPv6 link-local", url: "http://[fe80::1]/", refused: true},
		{name: "Alibaba metadata", url: "http://100.100.100.200/latest/meta-data/", refused: true},
		{name: "a redirect to the metadata service", url: metadata.URL, refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tt.url, nil)
			resp, err := client.Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			refused := err != nil && strings.Contains(err.Error(), "link-local (cloud metadata) address")
			if refused != tt.refused {
				t.Errorf("refused = %v (err %v), want %v", refused, err, tt.refused)
			}
		})
	}
	t.Run("loopback and private addresses stay reachable", func(t *testing.T) {
		ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		defer ok.Close()
		resp, err := client.Get(ok.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}
