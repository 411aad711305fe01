package jsonrpc

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// List is a list method whose results are filtered.
type List uint8

const (
	Tools List = iota + 1
	Resources
	ResourceTemplates
	Prompts
)

// ListOf returns the list a method asks for, or 0.
func ListOf(method string) List {
	switch method {
	case "tools/list":
		return Tools
	case "resources/list":
		return Resources
	case "resources/templates/list":
		return ResourceTemplates
	case "prompts/list":
		return Prompts
	}
	return 0
}

// items is the result member holding the list, and key the member of an
// item the filter is given.
func (l List) items() (items, key string) {
	switch l {
	case Tools:
		return "tools", "name"
	case Resources:
		return "resources", "uri"
	case ResourceTemplates:
		return "resourceTemplates", "uriTemplate"
	}
	return "prompts", "name"
}

// IDKey is a message id in a form that compares equal for equal ids
// however the JSON spelled them.
func IDKey(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	if raw[0] == '"' {
		if s, err := stringValue(raw); err == nil {
			return "s" + s
		}
		return ""
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return ""
	}
	return "n" + strconv.FormatFloat(f, 'g', -1, 64)
}

// ErrorResponse is a JSON-RPC error answering the request with raw id id
// (null when nil).
func ErrorResponse(id json.RawMessage, code int, message string, data any) []byte {
	e := struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    any    `json:"data,omitempty"`
	}{code, message, data}
	if id == nil {
		id = json.RawMessage("null")
	}
	out, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   any             `json:"error"`
	}{"2.0", id, e})
	return out
}

// filterMessage rewrites one message from the backend: a result answering
// a pending list request keeps only the items keep allows. Anything else,
// or anything it cannot read, is returned as it came.
func filterMessage(msg []byte, lists map[string]List, keep func(List, string) bool) []byte {
	var head struct {
		ID     json.RawMessage            `json:"id"`
		Result map[string]json.RawMessage `json:"result"`
	}
	if len(lists) == 0 || bytes.IndexByte(msg, '{') < 0 || json.Unmarshal(msg, &head) != nil || head.Result == nil {
		return msg
	}
	l, ok := lists[IDKey(head.ID)]
	if !ok {
		return msg
	}
	itemsKey, key := l.items()
	var items []json.RawMessage
	if json.Unmarshal(head.Result[itemsKey], &items) != nil {
		return msg
	}
	kept := items[:0]
	for _, it := range items {
		var fields map[string]json.RawMessage
		var name string
		if json.Unmarshal(it, &fields) == nil && json.Unmarshal(fields[key], &name) == nil && keep(l, name) {
			kept = append(kept, it)
		}
	}
	if len(kept) == len(items) {
		return msg
	}
	head.Result[itemsKey], _ = json.Marshal(kept)
	out, err := json.Marshal(struct {
		JSONRPC string                     `json:"jsonrpc"`
		ID      json.RawMessage            `json:"id"`
		Result  map[string]json.RawMessage `json:"result"`
	}{"2.0", head.ID, head.Result})
	if err != nil {
		return msg
	}
	return out
}
