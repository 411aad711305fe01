package devidp

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

// These match the markup in login.go, not HTML in general.
var (
	formTag     = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
	errorPara   = regexp.MustCompile(`<p class="error" role="alert">([^<]*)</p>`)
)

// SubmitLogin plays the browser for scripts and tests: it opens
// authorizeURL (a complete authorization request to this provider), fills
// in the login form with name, email and groups, submits it and returns the
// URL the provider redirects to, without requesting it. That is the
// client's redirect_uri carrying code, state and iss, or carrying an error
// response if the provider refused the request after identifying the
// client; refusals shown as a page are returned as errors.
//
// client may be nil. It is copied, never modified: the copy gets a cookie
// jar if it has none (the form is bound to a cookie) and does not follow
// redirects.
func SubmitLogin(ctx context.Context, client *http.Client, authorizeURL, name, email string, groups []string) (*url.URL, error) {
	for _, g := range groups {
		if strings.Contains(g, ",") {
			return nil, fmt.Errorf("devidp: group %q contains a comma, which the form uses as separator", g)
		}
	}
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
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, fmt.Errorf("devidp: login: %w", err)
	}
	loc, page, pageURL, err := do(c, req)
	if loc != nil || err != nil {
		return loc, err
	}
	m := formTag.FindStringSubmatch(page)
	if m == nil {
		return nil, errors.New("devidp: login: no login form on the authorization page")
	}
	action, err := pageURL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return nil, fmt.Errorf("devidp: login: form action: %w", err)
	}
	form := url.Values{}
	for _, in := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(in[1], html.UnescapeString(in[2]))
	}
	form.Set("name", name)
	form.Set("email", email)
	form.Set("groups", strings.Join(groups, ", "))
	form.Set("action", "signin")

	req, err = http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("devidp: login: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	loc, _, _, err = do(c, req)
	if loc == nil && err == nil {
		err = errors.New("devidp: login: the form was accepted without a redirect")
	}
	return loc, err
}

// do sends req and returns either the redirect's target or the 200 page;
// any other answer becomes an error carrying the page's message.
func do(c *http.Client, req *http.Request) (*url.URL, string, *url.URL, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", nil, fmt.Errorf("devidp: login: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, "", nil, fmt.Errorf("devidp: login: %w", err)
	}
	switch {
	case resp.StatusCode/100 == 3:
		loc, err := resp.Location()
		if err != nil {
			return nil, "", nil, fmt.Errorf("devidp: login: redirect: %w", err)
		}
		return loc, "", nil, nil
	case resp.StatusCode == http.StatusOK:
		return nil, string(body), resp.Request.URL, nil
	}
	msg := fmt.Sprintf("%.200q", body)
	if m := errorPara.FindSubmatch(body); m != nil {
		msg = html.UnescapeString(string(m[1]))
	}
	return nil, "", nil, fmt.Errorf("devidp: login: %s %s: status %d: %s", req.Method, req.URL.Path, resp.StatusCode, msg)
}
