package config

import (
	"fmt"
	"net/netip"
	"strings"
)

func (r *Registration) validate(p *Problems) {
	for i, pat := range r.RedirectURIPatterns {
		if err := checkRedirectPattern(pat); err != nil {
			p.add(fmt.Sprintf("registration.redirect_uri_patterns[%d]", i), "%v", err)
		}
	}
	if r.RateLimit < 0 {
		p.add("registration.rate_limit", "must not be negative (0 means unlimited), got %d", r.RateLimit)
	}
	if r.UnusedClientTTL < 0 {
		p.add("registration.unused_client_ttl", "must not be negative (0 keeps unused clients), got %s", r.UnusedClientTTL)
	}
	r.CIMD.validate(p)
}

func (c *CIMD) validate(p *Problems) {
	const prefix = "registration.cimd."
	for _, l := range []struct {
		key     string
		domains []string
	}{{prefix + "allow_domains", c.AllowDomains}, {prefix + "deny_domains", c.DenyDomains}} {
		for i, d := range l.domains {
			if !validDomainPattern(d) {
				p.add(fmt.Sprintf("%s[%d]", l.key, i), "%q is neither a host name, an IP address nor *. followed by a host name", d)
			}
		}
	}
	if c.CAFile != "" {
		if _, err := readPEMCerts(c.CAFile); err != nil {
			p.add(prefix+"ca_file", "%v", err)
		}
	}
	for i, n := range c.AllowedNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			p.add(fmt.Sprintf("%sallowed_networks[%d]", prefix, i), "%q is not a CIDR prefix such as 10.0.0.0/8 or fd00::/8", n)
		}
	}
	positive(p, prefix+"cache_min", c.CacheMin)
	positive(p, prefix+"cache_max", c.CacheMax)
	if c.CacheMin > 0 && c.CacheMax > 0 && c.CacheMin > c.CacheMax {
		p.add(prefix+"cache_min", "must not be longer than %scache_max (%s), got %s", prefix, c.CacheMax, c.CacheMin)
	}
}

// validDomainPattern accepts what proxy/cimd accepts: an IP address, a
// host name (letters, digits, '-' and '_' in non-empty labels), or "*." and
// a host name.
func validDomainPattern(s string) bool {
	name, wildcard := strings.CutPrefix(s, "*.")
	if _, err := netip.ParseAddr(name); err == nil {
		// "*.10.0.0.1" would never match what it seems to mean.
		return !wildcard
	}
	if name == "" || len(name) > 253 {
		return false
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
