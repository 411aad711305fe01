package jsonrpc

import (
	"bytes"
	"encoding/json"
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

// Lists is a set of list kinds whose results are filtered.
type Lists uint8

// AllLists filters every kind of list (a stream that may replay any
// answer).
const AllLists = Lists(1<<Tools | 1<<Resources | 1<<ResourceTemplates | 1<<Prompts)

// Add puts l in the set.
func (ls *Lists) Add(l List) { *ls |= 1 << l }

func (ls Lists) has(l List) bool { return ls&(1<<l) != 0 }

// filterMessage rewrites a message (or a batch of them) from the backend:
// every result holding a list of a pending kind keeps only the items keep
// allows. It goes by the result's members, not by its id, so that a
// backend spelling the id its own way (1.0 as 1) cannot slip a list past
// it. ok is false for a message it cannot read at all.
func filterMessage(msg []byte, lists Lists, keep func(List, string) bool) (out []byte, ok bool) {
	trimmed := bytes.TrimSpace(msg)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var raw []json.RawMessage
		if json.Unmarshal(trimmed, &raw) != nil {
			return msg, false
		}
		changed := false
		parts := make([][]byte, len(raw))
		for i, m := range raw {
			f, ok := filterMessage(m, lists, keep)
			if !ok {
				return msg, false
			}
			changed = changed || !bytes.Equal(f, m)
			parts[i] = f
		}
		if !changed {
			return msg, true
		}
		return JoinArray(parts), true
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(trimmed, &top) != nil {
		return msg, false
	}
	var result map[string]json.RawMessage
	if r, has := top["result"]; !has || json.Unmarshal(r, &result) != nil || result == nil {
		return msg, true
	}
	changed := false
	for l := Tools; l <= Prompts; l++ {
		itemsKey, key := l.items()
		rawItems, has := result[itemsKey]
		if !lists.has(l) || !has {
			continue
		}
		var items []json.RawMessage
		if json.Unmarshal(rawItems, &items) != nil {
			return msg, false
		}
		kept := make([]json.RawMessage, 0, len(items))
		for _, it := range items {
			var fields map[string]json.RawMessage
			var name string
			if json.Unmarshal(it, &fields) == nil && json.Unmarshal(fields[key], &name) == nil && keep(l, name) {
				kept = append(kept, it)
			}
		}
		if len(kept) != len(items) {
			result[itemsKey], _ = json.Marshal(kept)
			changed = true
		}
	}
	if !changed {
		return msg, true
	}
	top["result"], _ = json.Marshal(result)
	out, err := json.Marshal(top)
	if err != nil {
		return msg, false
	}
	return out, true
}
