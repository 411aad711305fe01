package client

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
)

// callbackPath is where the loopback listener takes the authorization
// response.
const callbackPath = "/callback"

// loopback is the listener on 127.0.0.1 that receives the authorization
// response (RFC 8252 §7.3): the only request it answers is one callback
// carrying the state of the flow under way.
type loopback struct {
	ln      net.Listener
	srv     *http.Server
	results chan callbackResult
	state   chan string // the state the flow under way expects
}

type callbackResult struct {
	res *auth.AuthorizationResult
	err error
}

// listenLoopback listens on 127.0.0.1:port (0 for a free port).
func listenLoopback(port int) (*loopback, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("client: listen for the sign-in's answer on 127.0.0.1:%d: %w", port, err)
	}
	l := &loopback{ln: ln, results: make(chan callbackResult, 1), state: make(chan string, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc(callbackPath, l.callback)
	l.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

// redirectURL is the redirect URI registered and sent.
func (l *loopback) redirectURL() string { return "http://" + l.ln.Addr().String() + callbackPath }

func (l *loopback) close() { _ = l.srv.Close() }

func (l *loopback) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var want string
	select {
	case want = <-l.state:
	default:
		renderResult(w, http.StatusBadRequest, "No sign-in is waiting", "mcpgate is not waiting for a sign-in here. You can close this window.")
		return
	}
	// A request without our state (another page, a stale tab) does not
	// end the flow: put the expectation back and refuse it.
	if q.Get("state") != want {
		l.state <- want
		renderResult(w, http.StatusBadRequest, "Sign-in not recognized", "This answer does not belong to the sign-in mcpgate started. You can close this window.")
		return
	}
	if e := q.Get("error"); e != "" {
		desc := q.Get("error_description")
		renderResult(w, http.StatusOK, "Sign-in failed", "The server refused the sign-in ("+e+"). You can close this window.")
		l.results <- callbackResult{err: &AuthorizationError{Code: e, Description: desc}}
		return
	}
	if q.Get("code") == "" {
		l.state <- want
		renderResult(w, http.StatusBadRequest, "Sign-in not recognized", "The answer carries no authorization code. You can close this window.")
		return
	}
	renderResult(w, http.StatusOK, "Signed in", "You are signed in. You can close this window and go back to your terminal.")
	l.results <- callbackResult{res: &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}}
}

// AuthorizationError is an authorization response carrying an error.
type AuthorizationError struct {
	Code, Description string
}

func (e *AuthorizationError) Error() string {
	if e.Description != "" {
		return "the server refused the sign-in: " + e.Code + ": " + e.Description
	}
	return "the server refused the sign-in: " + e.Code
}

// wait hands the listener the state of url's flow and waits for its
// answer.
func (l *loopback) wait(ctx context.Context, state string) (*auth.AuthorizationResult, error) {
	l.state <- state
	select {
	case r := <-l.results:
		return r.res, r.err
	case <-ctx.Done():
		return nil, errors.New("client: no answer from the sign-in in the browser: " + context.Cause(ctx).Error())
	}
}

var resultPage = template.Must(template.New("result").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · mcpgate</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>`))

func renderResult(w http.ResponseWriter, status int, title, message string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = resultPage.Execute(w, struct{ Title, Message string }{title, message})
}
