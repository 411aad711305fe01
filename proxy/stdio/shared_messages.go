package stdio

import (
	"encoding/json"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// swapProgressToken replaces params._meta.progressToken with token and
// returns the client's, or nil params untouched if there is none.
func swapProgressToken(params json.RawMessage, token string) (client, out json.RawMessage, err error) {
	if len(params) == 0 {
		return nil, params, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(params, &fields); err != nil {
		return nil, nil, err
	}
	var meta map[string]json.RawMessage
	if raw, ok := fields["_meta"]; !ok || json.Unmarshal(raw, &meta) != nil || meta["progressToken"] == nil {
		return nil, params, nil
	}
	client = meta["progressToken"]
	meta["progressToken"], _ = json.Marshal(token)
	if fields["_meta"], err = json.Marshal(meta); err != nil {
		return nil, nil, err
	}
	out, err = json.Marshal(fields)
	return client, out, err
}

// progressTokenOf is the string progress token of a request's params
// (params._meta.progressToken) or of a progress notification's
// (params.progressToken); "" if there is none.
func progressTokenOf(params json.RawMessage) string {
	var p struct {
		Token any `json:"progressToken"`
		Meta  struct {
			Token any `json:"progressToken"`
		} `json:"_meta"`
	}
	if json.Unmarshal(params, &p) != nil {
		return ""
	}
	for _, t := range []any{p.Token, p.Meta.Token} {
		if s, ok := t.(string); ok {
			return s
		}
	}
	return ""
}

// setField returns params with one member replaced.
func setField(params json.RawMessage, name string, value json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(params, &fields); err != nil {
		return nil, err
	}
	fields[name] = value
	return json.Marshal(fields)
}

// uriOf is params.uri, or "".
func uriOf(params json.RawMessage) string {
	var p struct {
		URI string `json:"uri"`
	}
	_ = json.Unmarshal(params, &p)
	return p.URI
}

// subscription handles a session's resources/subscribe and unsubscribe
// so that sessions never undo each other's: the process hears of the
// first subscriber to a URI and of the last to leave. It reports whether
// it answered the request itself.
func (r *run) subscription(p peer, req *jsonrpc.Request) (answered bool) {
	uri := uriOf(req.Params)
	r.mu.Lock()
	if !r.peers[p] {
		r.mu.Unlock()
		p.deliver(&jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound,
			Message: req.Method + " needs a session: start with initialize"}})
		return true
	}
	subs := r.subs[uri]
	others := 0
	for q := range subs {
		if q != p {
			others++
		}
	}
	if req.Method == "resources/subscribe" {
		if others == 0 {
			r.mu.Unlock()
			return false // recorded when the process accepts it
		}
		r.subscribed(uri, p)
	} else {
		delete(subs, p)
		if others == 0 {
			delete(r.subs, uri)
			r.mu.Unlock()
			return false
		}
	}
	r.mu.Unlock()
	p.deliver(&jsonrpc.Response{ID: req.ID, Result: json.RawMessage(`{}`)})
	return true
}

// subscribed records p as a subscriber to uri; r.mu is held.
func (r *run) subscribed(uri string, p peer) {
	if r.subs[uri] == nil {
		r.subs[uri] = map[peer]bool{}
	}
	r.subs[uri][p] = true
}
