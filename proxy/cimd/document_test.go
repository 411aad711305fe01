package cimd

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestResolveDocument covers documents that are served correctly but are
// not acceptable client metadata.
func TestResolveDocument(t *testing.T) {
	runFetchCases(t, []fetchCase{
		{
			name: "client_id mismatch: another path",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, `{"client_id":"https://app.example.com/other.json","redirect_uris":["https://app.example.com/cb"]}`)
			},
			wantKind: "ErrInvalidClient", wantText: "is not the URL it was fetched from",
		},
		{
			name: "client_id mismatch: trailing slash",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, `{"client_id":"{{self}}/","redirect_uris":["https://app.example.com/cb"]}`)
			},
			wantKind: "ErrInvalidClient", wantText: "is not the URL it was fetched from",
		},
		{
			name: "client_id absent",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, `{"redirect_uris":["https://app.example.com/cb"]}`)
			},
			wantKind: "ErrInvalidClient", wantText: "client_id",
		},
		{
			name: "client_id not a string",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, `{"client_id":42,"redirect_uris":["https://app.example.com/cb"]}`)
			},
			wantKind: "ErrInvalidClient", wantText: "client_id is a JSON number",
		},
		{
			name: "auth method client_secret_basic",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"client_secret_basic"`))
			},
			wantKind: "ErrInvalidClient", wantText: `"client_secret_basic" is not supported`,
		},
		{
			name: "auth method client_secret_post",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"client_secret_post"`))
			},
			wantKind: "ErrInvalidClient", wantText: "not supported",
		},
		{
			name: "private_key_jwt without keys",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"private_key_jwt"`))
			},
			wantKind: "ErrInvalidClient", wantText: "needs jwks or jwks_uri",
		},
		{
			name: "client_secret present",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"],"client_secret":"s3cret"`))
			},
			wantKind: "ErrInvalidClient", wantText: "must not contain client_secret",
		},
		{
			name: "client_secret null still present",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"],"client_secret":null`))
			},
			wantKind: "ErrInvalidClient", wantText: "must not contain client_secret",
		},
		{
			name: "client_secret_expires_at present",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"],"client_secret_expires_at":0`))
			},
			wantKind: "ErrInvalidClient", wantText: "must not contain client_secret",
		},
		{
			name:     "redirect_uris absent",
			handler:  func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, docWith(`"client_name":"x"`)) },
			wantKind: "ErrInvalidClient", wantText: "redirect_uris is required",
		},
		{
			name: "redirect_uris with a fragment",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb#x"]`))
			},
			wantKind: "ErrInvalidClient", wantText: "invalid_redirect_uri",
		},
		{
			name: "redirect_uris plain http to a public host",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["http://app.example.com/cb"]`))
			},
			wantKind: "ErrInvalidClient", wantText: "invalid_redirect_uri",
		},
		{
			name: "redirect_uris javascript",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["javascript:alert(1)"]`))
			},
			wantKind: "ErrInvalidClient", wantText: "invalid_redirect_uri",
		},
		{
			name: "unknown application_type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["cursor://cb/x"],"application_type":"desktop"`))
			},
			wantKind: "ErrInvalidClient", wantText: "application_type",
		},
		{
			name: "grant type implicit",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"],"grant_types":["implicit"]`))
			},
			wantKind: "ErrInvalidClient", wantText: "grant_types",
		},
		{
			name: "client_name with a bidi override",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"],"client_name":"moc.elgoog\u202e"`))
			},
			wantKind: "ErrInvalidClient", wantText: "client_name",
		},
		{
			name: "logo_uri over plain http",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"],"logo_uri":"http://cdn.example.com/l.png"`))
			},
			wantKind: "ErrInvalidClient", wantText: "logo_uri",
		},
		{
			name:     "not JSON",
			handler:  func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, `{"client_id": nope}`) },
			wantKind: "ErrInvalidClient", wantText: "not valid JSON",
		},
		{
			name:     "JSON array",
			handler:  func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, `[{"client_id":"{{self}}"}]`) },
			wantKind: "ErrInvalidClient", wantText: "not a JSON object",
		},
		{
			name:     "JSON null",
			handler:  func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, `null`) },
			wantKind: "ErrInvalidClient", wantText: "not a JSON object",
		},
		{
			name: "data after the object",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"]`)+`{}`)
			},
			wantKind: "ErrInvalidClient", wantText: "data after the JSON object",
		},
	})
}

// TestErrorsDoNotQuoteTheBody checks that a refused document's text, beyond
// the one offending value, stays out of the error.
func TestErrorsDoNotQuoteTheBody(t *testing.T) {
	const marker = "BODY-MARKER-7f3a"
	bodies := map[string]string{
		"mismatch":    `{"client_id":"https://x.example.com/y","client_name":"` + marker + `","redirect_uris":["https://a.example.com/cb"]}`,
		"bad JSON":    `{"client_name":"` + marker + `", oops}`,
		"secret":      `{"client_id":"{{self}}","client_name":"` + marker + `","client_secret":"` + marker + `","redirect_uris":["https://a.example.com/cb"]}`,
		"bad type":    `{"client_id":"{{self}}","client_name":"` + marker + `","redirect_uris":"` + marker + `"}`,
		"auth method": `{"client_id":"{{self}}","client_name":"` + marker + `","token_endpoint_auth_method":"client_secret_basic","redirect_uris":["https://a.example.com/cb"]}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, body) })
			r := mustNew(t, testOptions(ts, newFakeClock()))
			_, err := r.Resolve(context.Background(), ts.url("app.example.com", "/c.json"))
			checkErr(t, err, "ErrInvalidClient", "")
			if strings.Contains(err.Error(), marker) {
				t.Errorf("error = %q, want no text from the document body", err)
			}
		})
	}
}
