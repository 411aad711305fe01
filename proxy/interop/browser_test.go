//go:build linux

package interop_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// browser is the user's browser for flows driven from Go (the go-sdk
// client, the authorization suite, token helpers): a cookie jar, redirects
// followed one by one, "Allow" clicked on mcpgate's consent page, and
// oidc-provider's login completing by itself. node/browser.mjs is its twin
// for the JavaScript clients.
type browser struct {
	client *http.Client
	// refused is mcpgate's sign-in refusal page, when the sign-in met one.
	refused string
	// visited are the origins of every page loaded, for counting logins.
	mu      sync.Mutex
	visited []string
}

// visits counts the pages the browser loaded from origin.
func (b *browser) visits(origin string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, v := range b.visited {
		if v == origin {
			n++
		}
	}
	return n
}

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{client: &http.Client{
		Jar:           jar,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

const maxHops = 25

var returnLink = regexp.MustCompile(`<a href="([^"]+)">Return to`)

var (
	formTag   = regexp.MustCompile(`(?is)<form\b[^>]*>(.*?)</form>`)
	inputTag  = regexp.MustCompile(`(?i)<input\b[^>]*>`)
	buttonTag = regexp.MustCompile(`(?i)<button\b[^>]*>`)
	// attrPattern finds the attributes the consent form is read by.
	attrPattern = map[string]*regexp.Regexp{}
)

func init() {
	for _, name := range []string{"action", "name", "value", "type"} {
		attrPattern[name] = regexp.MustCompile(`(?i)\b` + name + `\s*=\s*"([^"]*)"`)
	}
}

func attr(tag, name string) string {
	if m := attrPattern[name].FindStringSubmatch(tag); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// consentSubmission reads mcpgate's consent page: the form's action, its
// hidden fields and the approve button. ok is false for any other page.
func consentSubmission(page string) (action string, form url.Values, ok bool) {
	m := formTag.FindStringSubmatch(page)
	if m == nil {
		return "", nil, false
	}
	approve := false
	for _, b := range buttonTag.FindAllString(m[1], -1) {
		if attr(b, "name") == "decision" && attr(b, "value") == "approve" {
			approve = true
		}
	}
	if !approve {
		return "", nil, false
	}
	form = url.Values{}
	for _, in := range inputTag.FindAllString(m[1], -1) {
		if strings.EqualFold(attr(in, "type"), "hidden") {
			form.Add(attr(in, "name"), attr(in, "value"))
		}
	}
	form.Set("decision", "approve")
	open := m[0][:strings.Index(m[0], ">")+1]
	return attr(open, "action"), form, true
}

// signIn walks from start through consent and the upstream login. With
// stopAt (a URL prefix: the client's redirect URI) it returns the first
// URL under it without requesting it; without, it requests the final
// redirect too (delivering it to a client's loopback listener) and returns
// the URL that answered with a page.
func (b *browser) signIn(ctx context.Context, start, stopAt string) (*url.URL, error) {
	next := start
	method, body := http.MethodGet, ""
	consented := false
	var hops []string
	for range maxHops {
		u, err := url.Parse(next)
		if err != nil {
			return nil, err
		}
		if stopAt != "" && strings.HasPrefix(next, stopAt) {
			return u, nil
		}
		req, err := http.NewRequestWithContext(ctx, method, next, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := b.client.Do(req)
		if err != nil {
			// The error's URL has the query: codes and state. Say where only.
			return nil, fmt.Errorf("%s %s: request failed after %v", method, where(u), hops)
		}
		page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		hops = append(hops, fmt.Sprintf("%s %s -> %d", method, where(u), resp.StatusCode))
		b.mu.Lock()
		b.visited = append(b.visited, u.Scheme+"://"+u.Host)
		b.mu.Unlock()
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := u.Parse(resp.Header.Get("Location"))
			if err != nil || resp.Header.Get("Location") == "" {
				return nil, fmt.Errorf("redirect without a usable Location after %v", hops)
			}
			next, method, body = loc.String(), http.MethodGet, ""
		case resp.StatusCode == http.StatusOK:
			if action, form, ok := consentSubmission(string(page)); ok && !consented {
				consented = true
				a, err := u.Parse(action)
				if err != nil {
					return nil, err
				}
				next, method, body = a.String(), http.MethodPost, form.Encode()
				continue
			}
			if stopAt != "" {
				return nil, fmt.Errorf("stopped on a page before reaching %s after %v:\n%s", stopAt, hops, snippet(page))
			}
			return u, nil
		case resp.StatusCode == http.StatusForbidden && bytes.Contains(page, []byte("Access not allowed")):
			// mcpgate's sign-in refusal: read it, then follow its link back
			// to the client as the user would.
			b.refused = string(page)
			m := returnLink.FindSubmatch(page)
			if m == nil {
				return nil, fmt.Errorf("refusal page without a way back after %v", hops)
			}
			next, method, body = html.UnescapeString(string(m[1])), http.MethodGet, ""
		default:
			return nil, fmt.Errorf("status %d after %v:\n%s", resp.StatusCode, hops, snippet(page))
		}
	}
	return nil, fmt.Errorf("more than %d hops: %v", maxHops, hops)
}

func where(u *url.URL) string { return u.Scheme + "://" + u.Host + u.Path }

func snippet(b []byte) string {
	const n = 400
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
