package cimd

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
)

func TestAddrAllowed(t *testing.T) {
	loopbackAllowed := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	tests := []struct {
		name    string
		addr    string
		allowed []netip.Prefix
		want    bool
	}{
		// Public.
		{"public IPv4", "8.8.8.8", nil, true},
		{"public IPv4 below CGNAT", "100.63.255.255", nil, true},
		{"public IPv4 above CGNAT", "100.128.0.0", nil, true},
		{"public IPv4 above 172.16/12", "172.32.0.1", nil, true},
		{"public IPv4 above benchmarking", "198.20.0.1", nil, true},
		{"public IPv6", "2606:4700:4700::1111", nil, true},
		{"IPv4-mapped public", "::ffff:8.8.8.8", nil, true},
		{"NAT64 of a public IPv4", "64:ff9b::808:808", nil, true},
		// IPv4 special purpose.
		{"loopback", "127.0.0.1", nil, false},
		{"loopback elsewhere in 127/8", "127.1.2.3", nil, false},
		{"private 10/8", "10.0.0.1", nil, false},
		{"private 172.16/12", "172.31.255.255", nil, false},
		{"private 192.168/16", "192.168.1.1", nil, false},
		{"cloud metadata", "169.254.169.254", nil, false},
		{"link-local", "169.254.1.1", nil, false},
		{"CGNAT", "100.64.0.1", nil, false},
		{"unspecified", "0.0.0.0", nil, false},
		{"this network 0/8", "0.1.2.3", nil, false},
		{"IETF protocol assignments", "192.0.0.8", nil, false},
		{"benchmarking low", "198.18.0.1", nil, false},
		{"benchmarking high", "198.19.255.255", nil, false},
		{"documentation", "192.0.2.1", nil, false},
		{"multicast", "224.0.0.1", nil, false},
		{"reserved class E", "240.0.0.1", nil, false},
		{"broadcast", "255.255.255.255", nil, false},
		// IPv6.
		{"IPv6 loopback", "::1", nil, false},
		{"IPv6 unspecified", "::", nil, false},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", nil, false},
		{"IPv4-mapped private", "::ffff:10.0.0.1", nil, false},
		{"IPv4-mapped metadata", "::ffff:169.254.169.254", nil, false},
		{"IPv4-compatible loopback", "::7f00:1", nil, false},
		{"ULA", "fc00::1", nil, false},
		{"AWS IPv6 metadata", "fd00:ec2::254", nil, false},
		{"IPv6 link-local", "fe80::1", nil, false},
		{"IPv6 link-local with zone", "fe80::1%eth0", nil, false},
		{"site-local", "fec0::1", nil, false},
		{"IPv6 multicast", "ff02::1", nil, false},
		{"NAT64 of a private IPv4", "64:ff9b::a00:1", nil, false},
		{"NAT64 of loopback", "64:ff9b::7f00:1", nil, false},
		{"6to4 of a private IPv4", "2002:a00:1::1", nil, false},
		{"Teredo", "2001::1", nil, false},
		{"IPv6 documentation", "2001:db8::1", nil, false},
		{"IPv6 documentation 3fff::/20", "3fff::1", nil, false},
		// Exceptions.
		{"loopback allowed by AllowedNetworks", "127.0.0.1", loopbackAllowed, true},
		{"IPv4-mapped loopback allowed by an IPv4 prefix", "::ffff:127.0.0.1", loopbackAllowed, true},
		{"IPv4 loopback allowed by a mapped prefix", "127.0.0.1", []netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.0/104")}, true},
		{"other private range not covered", "10.0.0.1", loopbackAllowed, false},
		{"zone never allowed", "fe80::1%eth0", []netip.Prefix{netip.MustParsePrefix("fe80::/10")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustNew(t, Options{AllowedNetworks: tt.allowed})
			if got := r.addrAllowed(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("addrAllowed(%s) with AllowedNetworks %v: got %v, want %v", tt.addr, tt.allowed, got, tt.want)
			}
		})
	}
}

// TestResolveRefusesNonPublicAddresses resolves test host names to
// internal addresses without AllowedNetworks: the fetch must be refused
// before any connection is attempted.
func TestResolveRefusesNonPublicAddresses(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, validDoc) })
	tests := []struct {
		name    string
		addrs   []string
		allowed []netip.Prefix
	}{
		{name: "private 10.0.0.1", addrs: []string{"10.0.0.1"}},
		{name: "cloud metadata 169.254.169.254", addrs: []string{"169.254.169.254"}},
		{name: "IPv6 loopback ::1", addrs: []string{"::1"}},
		{name: "IPv4-mapped loopback ::ffff:127.0.0.1", addrs: []string{"::ffff:127.0.0.1"}},
		{name: "loopback 127.0.0.1", addrs: []string{"127.0.0.1"}},
		{name: "AWS IPv6 metadata fd00:ec2::254", addrs: []string{"fd00:ec2::254"}},
		{name: "unspecified 0.0.0.0 reaches the local host", addrs: []string{"0.0.0.0"}},
		{
			// One bad address refuses the name, even when the other one
			// is allowed and listed first.
			name:    "allowed address mixed with a private one",
			addrs:   []string{"127.0.0.1", "10.0.0.1"},
			allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(ts, newFakeClock())
			opts.AllowedNetworks = tt.allowed
			opts.Resolver = (&fixedLookup{addrs: addrs(tt.addrs...)}).lookup
			r := mustNew(t, opts)
			dials := countDials(r)
			before := ts.conns.Load()

			_, err := r.Resolve(context.Background(), ts.url("app.example.com", "/client.json"))
			checkErr(t, err, "ErrInvalidClient", "not a public address")
			if got := dials.Load(); got != 0 {
				t.Errorf("dial attempts: got %d, want 0", got)
			}
			if got := ts.conns.Load() - before; got != 0 {
				t.Errorf("connections reaching the server: got %d, want 0", got)
			}
		})
	}
}

// TestDialFallsBackToNextAddress: when the first checked address does not
// answer, the next checked one is tried, as net.Dialer would.
func TestDialFallsBackToNextAddress(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, validDoc) })
	opts := testOptions(ts, newFakeClock())
	// Nothing listens on 127.0.0.2 at the server's port.
	opts.Resolver = (&fixedLookup{addrs: addrs("127.0.0.2", "127.0.0.1")}).lookup
	r := mustNew(t, opts)
	dials := countDials(r)
	resolveOK(t, r, ts.url("app.example.com", "/c.json"))
	if got := dials.Load(); got != 2 {
		t.Errorf("dial attempts: got %d, want 2", got)
	}
}

// TestDNSRebinding simulates a host whose DNS answer changes from a public
// address (at check time) to the internal server (at connect time).
//
// The resolver is asked once and the connection goes to the address that
// was checked: a second lookup would have returned 127.0.0.1. The test
// then makes the network deliver the pinned connection to 127.0.0.1
// anyway, as a rebinding resolver or a rewriting layer below the check
// would, and shows that the dialer's own check of the socket address
// refuses it: what is checked last is the address actually connected to.
func TestDNSRebinding(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, validDoc) })
	var (
		mu      sync.Mutex
		lookups int
	)
	rebinding := func(context.Context, string) ([]netip.Addr, error) {
		mu.Lock()
		defer mu.Unlock()
		lookups++
		if lookups == 1 {
			return addrs("8.8.8.8"), nil
		}
		return addrs("127.0.0.1"), nil
	}
	opts := testOptions(ts, newFakeClock())
	opts.AllowedNetworks = nil
	opts.Resolver = rebinding
	r := mustNew(t, opts)

	var dialed []string
	serverAddr := ts.Listener.Addr().String()
	r.dialAddr = func(ctx context.Context, network, address string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, address)
		mu.Unlock()
		// The network sends the connection to the internal server.
		return r.dialer.DialContext(ctx, network, serverAddr)
	}

	_, err := r.Resolve(context.Background(), ts.url("rebind.example.com", "/client.json"))
	checkErr(t, err, "ErrInvalidClient", "127.0.0.1")
	mu.Lock()
	defer mu.Unlock()
	if lookups != 1 {
		t.Errorf("DNS lookups: got %d, want 1 (the checked answer is the one used)", lookups)
	}
	if want := "8.8.8.8:" + ts.port(); len(dialed) != 1 || dialed[0] != want {
		t.Errorf("addresses dialed: got %v, want [%s] (the checked address, pinned)", dialed, want)
	}
	if got := ts.conns.Load(); got != 0 {
		t.Errorf("connections reaching the server: got %d, want 0", got)
	}
}

func TestCheckSocket(t *testing.T) {
	r := mustNew(t, Options{})
	tests := []struct {
		address string
		wantErr bool
	}{
		{"8.8.8.8:443", false},
		{"[2606:4700:4700::1111]:443", false},
		{"127.0.0.1:443", true},
		{"[::ffff:127.0.0.1]:443", true},
		{"[fe80::1%eth0]:443", true},
		{"not-an-address", true},
	}
	for _, tt := range tests {
		err := r.checkSocket("tcp", tt.address, nil)
		if (err != nil) != tt.wantErr {
			t.Errorf("checkSocket(%q): got error %v, want error %v", tt.address, err, tt.wantErr)
		}
	}
}
