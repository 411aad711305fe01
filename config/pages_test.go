package config

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// onePixelPNG is a 1×1 PNG.
var onePixelPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

func TestValidatePages(t *testing.T) {
	png := writeFile(t, "logo.png", string(onePixelPNG))
	svg := writeFile(t, "logo.svg", `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>`)
	text := writeFile(t, "logo.png.txt", "not an image")
	big := writeFile(t, "big.png", string(onePixelPNG)+strings.Repeat("x", maxLogoBytes))
	runValidateCases(t, []validateCase{
		{name: "a name and a PNG logo", change: func(c *Config) { c.Pages = Pages{OrganizationName: "Example Corp", LogoFile: png} }},
		{name: "an SVG logo", change: func(c *Config) { c.Pages.LogoFile = svg }},
		{name: "a name with a newline", change: func(c *Config) { c.Pages.OrganizationName = "a\nb" },
			wantKeys: []string{"pages.organization_name"}, wantMsg: "printable"},
		{name: "a logo that is no image", change: func(c *Config) { c.Pages.LogoFile = text },
			wantKeys: []string{"pages.logo_file"}, wantMsg: "not a PNG"},
		{name: "a logo too big", change: func(c *Config) { c.Pages.LogoFile = big },
			wantKeys: []string{"pages.logo_file"}, wantMsg: "at most"},
		{name: "a logo that is not there", change: func(c *Config) { c.Pages.LogoFile = "/nonexistent/logo.png" },
			wantKeys: []string{"pages.logo_file"}, wantMsg: "cannot read"},
	})
}

func TestValidatePersonalTokens(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "30 days at most", change: func(c *Config) { c.Policy.PersonalTokens.MaxLifetime = 720 * time.Hour }},
		{name: "90 minutes", change: func(c *Config) { c.Policy.PersonalTokens.MaxLifetime = 90 * time.Minute },
			wantKeys: []string{"policy.personal_tokens.max_lifetime"}, wantMsg: "whole number of hours"},
		{name: "negative", change: func(c *Config) { c.Policy.PersonalTokens.MaxLifetime = -time.Hour },
			wantKeys: []string{"policy.personal_tokens.max_lifetime"}, wantMsg: "negative"},
		{name: "an empty admin group", change: func(c *Config) { c.Policy.AdminGroups = []string{""} },
			wantKeys: []string{"policy.admin_groups[0]"}, wantMsg: "empty"},
	})
}

func TestValidateTLS(t *testing.T) {
	junk := writeFile(t, "junk.pem", "not PEM")
	runValidateCases(t, []validateCase{
		{name: "no TLS (a proxy in front ends it)", change: func(c *Config) { c.TLS = TLS{} }},
		{name: "a certificate without its key", change: func(c *Config) { c.TLS = TLS{CertFile: junk} },
			wantKeys: []string{"tls"}, wantMsg: "set both cert_file and key_file"},
		{name: "files that are no certificate", change: func(c *Config) { c.TLS = TLS{CertFile: junk, KeyFile: junk} },
			wantKeys: []string{"tls"}, wantMsg: "do not load"},
	})
}
