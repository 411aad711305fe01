package proxy

import (
	"strconv"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// displayName is how a page names the signed-in user.
func displayName(id *store.Identity) string {
	switch {
	case id.Email != "":
		return id.Email
	case id.Name != "":
		return id.Name
	}
	return id.Subject
}

func day(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02")
}

// expiryLabel: tokens that live until revoked are stored with an expiry
// far in the future.
func expiryLabel(t time.Time) string {
	if authserver.NeverExpires(t) {
		return "never"
	}
	return day(t)
}

func lifetimeLabel(d time.Duration) string {
	switch {
	case d == 0:
		return "No expiry"
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	}
	return d.String()
}

func joinComma(list []string) string { return strings.Join(list, ", ") }

// serverLabels names the backends of resources as the page lists them.
func (s *Server) serverLabels(resources []string) string {
	var out []string
	for _, r := range resources {
		label := r
		for _, rt := range s.routes {
			if rt.Resource == r {
				label = rt.Path
			}
		}
		out = append(out, label)
	}
	return joinComma(out)
}
