package bridge

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
)

// paramHeaders mirrors tool arguments into Mcp-Param-* headers, as the
// 2026-07-28 transport asks (SEP-2243): a tool's input schema names, with
// x-mcp-header, the properties an intermediary may route on without
// reading the body. A stdio host cannot set headers, so the bridge reads
// the schemas off the tools/list answers it relays.
type paramHeaders struct {
	mu    sync.Mutex
	tools map[string]map[string]string // tool → property → header name
}

// learn records the x-mcp-header properties of a tools/list result. A
// tool whose annotations are invalid gets no headers.
func (p *paramHeaders) learn(result json.RawMessage) {
	var r struct {
		Tools []struct {
			Name        string `json:"name"`
			InputSchema struct {
				Properties map[string]struct {
					Type   any     `json:"type"`
					Header *string `json:"x-mcp-header"`
				} `json:"properties"`
			} `json:"inputSchema"`
		} `json:"tools"`
	}
	if json.Unmarshal(result, &r) != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tools == nil {
		p.tools = map[string]map[string]string{}
	}
	for _, t := range r.Tools {
		headers := map[string]string{}
		seen := map[string]bool{}
		valid := true
		for prop, schema := range t.InputSchema.Properties {
			if schema.Header == nil {
				continue
			}
			name := *schema.Header
			typ, _ := schema.Type.(string)
			if !validHeaderName(name) || seen[strings.ToLower(name)] || (typ != "string" && typ != "number" && typ != "integer" && typ != "boolean") {
				valid = false
				break
			}
			seen[strings.ToLower(name)] = true
			headers[prop] = name
		}
		if valid && len(headers) > 0 {
			p.tools[t.Name] = headers
		} else {
			delete(p.tools, t.Name)
		}
	}
}

// validHeaderName: a non-empty RFC 9110 token of visible ASCII.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// headers returns the Mcp-Param-* headers of a tools/call of tool with
// args: each designated argument present and not null, as text, Base64
// in =?base64?…?= where the text cannot stand in a header as it is.
func (p *paramHeaders) headers(tool string, args map[string]json.RawMessage) map[string]string {
	p.mu.Lock()
	designated := p.tools[tool]
	p.mu.Unlock()
	out := map[string]string{}
	for prop, name := range designated {
		raw, ok := args[prop]
		if !ok || string(raw) == "null" {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		var text string
		switch v := v.(type) {
		case string:
			text = v
		case bool:
			text = strconv.FormatBool(v)
		case float64:
			text = string(raw) // the number as the host wrote it
		default:
			continue // objects and arrays are never mirrored
		}
		if needsBase64(text) {
			text = "=?base64?" + base64.StdEncoding.EncodeToString([]byte(text)) + "?="
		}
		out["Mcp-Param-"+name] = text
	}
	return out
}

// needsBase64: control or non-ASCII characters, or surrounding
// whitespace, which a header would lose or refuse.
func needsBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return true
		}
	}
	return s != strings.TrimSpace(s)
}
