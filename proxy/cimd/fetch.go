package cimd

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"

	"github.com/mcpgate/mcpgate/proxy/clientreg"
)

// fetch retrieves clientID's document and validates it. It returns the
// validated metadata and the response headers, from which the caller
// derives the cache lifetime. ctx must carry the HTTPTimeout deadline (run
// sets it): it is the only bound on the fetch.
func (r *Resolver) fetch(ctx context.Context, clientID string) (clientreg.Metadata, json.RawMessage, http.Header, *Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, clientID, nil)
	if err != nil {
		// Unreachable for a client_id parseClientID accepted.
		return clientreg.Metadata{}, nil, nil, invalidClient(clientID, "cannot build a request for it")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "mcpgate-cimd/1")
	resp, err := r.client.Do(req)
	if err != nil {
		return clientreg.Metadata{}, nil, nil, r.requestError(ctx, clientID, err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return clientreg.Metadata{}, nil, nil, fetchFailed(clientID, nil, "the server answered HTTP %d; redirects are never followed, the document must be served at the client_id itself", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return clientreg.Metadata{}, nil, nil, fetchFailed(clientID, nil, "the server answered HTTP %d, want 200", resp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return clientreg.Metadata{}, nil, nil, fetchFailed(clientID, nil, "the content type is %s, want application/json", quoteTrunc(resp.Header.Get("Content-Type")))
	}
	if resp.ContentLength > r.maxBytes {
		return clientreg.Metadata{}, nil, nil, fetchFailed(clientID, nil, "the document is larger than %d bytes", r.maxBytes)
	}
	// One byte past the limit tells "exactly the limit" from "too large"
	// without reading more of a hostile stream.
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.maxBytes+1))
	if err == nil {
		// A read cut short by the deadline can end in a clean EOF: never
		// take such a body for the whole document.
		err = ctx.Err()
	}
	if err != nil {
		return clientreg.Metadata{}, nil, nil, r.requestError(ctx, clientID, err)
	}
	if int64(len(body)) > r.maxBytes {
		return clientreg.Metadata{}, nil, nil, fetchFailed(clientID, nil, "the document is larger than %d bytes", r.maxBytes)
	}
	m, jwks, e := parseDocument(clientID, body)
	if e != nil {
		return clientreg.Metadata{}, nil, nil, e
	}
	return m, jwks, resp.Header, nil
}

// requestError classifies a transport failure. A refused address is the
// client_id's fault (and worth a warning: it is what an SSRF attempt looks
// like); everything else is a failed fetch.
func (r *Resolver) requestError(ctx context.Context, clientID string, err error) *Error {
	var blocked *blockedAddrError
	if errors.As(err, &blocked) {
		r.log.WarnContext(ctx, "cimd: refused to fetch a client metadata document from a non-public address",
			"client_id", clientID, "host", blocked.host, "addr", blocked.addr.String())
		return invalidClient(clientID, "%s; only public addresses are fetched", blocked.Error())
	}
	// The *url.Error around the cause repeats the method and the URL,
	// which the *Error already names.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fetchFailed(clientID, err, "the fetch did not complete within %v", r.timeout)
	}
	return fetchFailed(clientID, err, "the fetch failed")
}
