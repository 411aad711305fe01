package oidctest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

var (
	formAction = regexp.MustCompile(`(?i)<form[^>]*\saction="([^"]*)"`)
	inputTag   = regexp.MustCompile(`(?i)<input\s[^>]*>`)
	attr       = regexp.MustCompile(`(?i)\s(name|value|type)="([^"]*)"`)
	loginError = regexp.MustCompile(`(?i)<p style="color:red[^"]*">([^<]*)</p>`)
)

// Login plays the browser: it opens authURL, signs in as the IdP's user and
// returns the URL the IdP redirects to on one of the registered redirect
// URIs, without requesting it. The caller's client is copied, given a
// cookie jar if it has none, and never modified.
func (i *IdP) Login(ctx context.Context, client *http.Client, authURL string) (*url.URL, error) {
	c := &http.Client{}
	if client != nil {
		*c = *client
	}
	if c.Jar == nil {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return nil, err
		}
		c.Jar = jar
	}
	var callback *url.URL
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if i.isRedirectURI(req.URL) {
			u := *req.URL
			callback = &u
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, fmt.Errorf("oidctest: login: %w", err)
	}
	page, pageURL, err := fetch(c, req)
	if callback != nil || err != nil {
		// An error response to the redirect URI needs no login.
		return callback, err
	}

	form, action, err := loginForm(page, pageURL)
	if err != nil {
		return nil, err
	}
	form.Set("username", i.Username)
	form.Set("password", i.Password)
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, action, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("oidctest: login: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	page, _, err = fetch(c, req)
	if callback != nil || err != nil {
		return callback, err
	}
	msg := "no redirect to a redirect URI"
	if m := loginError.FindStringSubmatch(page); m != nil && strings.TrimSpace(m[1]) != "" {
		msg = html.UnescapeString(m[1])
	}
	return nil, fmt.Errorf("oidctest: login rejected: %s", msg)
}

// fetch does req, following redirects, and returns the final page and its
// URL; a stop at the redirect URI is not an error.
func fetch(c *http.Client, req *http.Request) (string, *url.URL, error) {
	resp, err := c.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("oidctest: login: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", nil, fmt.Errorf("oidctest: login: %w", err)
	}
	if resp.StatusCode/100 != 2 && resp.StatusCode/100 != 3 {
		return "", nil, fmt.Errorf("oidctest: login: %s %s: status %d: %.200s", req.Method, resp.Request.URL.Path, resp.StatusCode, body)
	}
	return string(body), resp.Request.URL, nil
}

// loginForm reads the example's login page (exampleop/templates/login.html):
// a POST form whose hidden inputs carry the auth request id.
func loginForm(page string, pageURL *url.URL) (url.Values, string, error) {
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		return nil, "", fmt.Errorf("oidctest: login: no form on %s", pageURL.Path)
	}
	action, err := pageURL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return nil, "", fmt.Errorf("oidctest: login: form action: %w", err)
	}
	form := url.Values{}
	for _, tag := range inputTag.FindAllString(page, -1) {
		a := map[string]string{}
		for _, kv := range attr.FindAllStringSubmatch(tag, -1) {
			a[strings.ToLower(kv[1])] = html.UnescapeString(kv[2])
		}
		if strings.EqualFold(a["type"], "hidden") && a["name"] != "" {
			form.Set(a["name"], a["value"])
		}
	}
	return form, action.String(), nil
}

func (i *IdP) isRedirectURI(u *url.URL) bool {
	for _, r := range i.redirects {
		if u.Scheme == r.Scheme && u.Host == r.Host && u.Path == r.Path {
			return true
		}
	}
	return false
}
