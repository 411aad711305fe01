package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Standard JSON-RPC 2.0 error codes.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
)

var (
	// ErrParse is a body that is not JSON.
	ErrParse = errors.New("jsonrpc: not valid JSON")
	// ErrInvalid is JSON that is not a message mcpgate can read one way
	// only.
	ErrInvalid = errors.New("jsonrpc: not a valid JSON-RPC message")
)

// Message is what the policy reads of one message a client sent.
type Message struct {
	// ID is the raw JSON of the id; nil when there is none (a
	// notification) or it is null.
	ID json.RawMessage
	// Method is empty for a response to a request the server sent.
	Method string
	// Name and URI are params.name and params.uri, when given as strings.
	Name, URI string
	// RefType, RefName and RefURI are params.ref of completion/complete.
	RefType, RefName, RefURI string
	// Raw is the message as the client sent it, for a batch rebuilt
	// without its refused members.
	Raw []byte
}

// IsRequest reports whether m expects an answer.
func (m *Message) IsRequest() bool { return m.Method != "" && m.ID != nil }

// Parse reads a request body: one message, or a batch (a JSON array, as
// the 2025-03-26 revision allows) of them.
func Parse(body []byte) (msgs []Message, batch bool, err error) {
	if !json.Valid(body) {
		return nil, false, ErrParse
	}
	s := scanner{data: body}
	s.space()
	if s.peek() == '[' {
		s.pos++
		s.space()
		if s.peek() == ']' {
			return nil, true, ErrInvalid // an empty batch is invalid (JSON-RPC 2.0 §6)
		}
		for {
			m, err := s.message()
			if err != nil {
				return nil, true, err
			}
			msgs = append(msgs, m)
			s.space()
			if s.next() == ']' {
				return msgs, true, nil
			}
			s.space() // after ','
		}
	}
	m, err := s.message()
	if err != nil {
		return nil, false, err
	}
	return []Message{m}, false, nil
}

// scanner walks JSON that json.Valid accepted, so it checks structure
// only where the policy depends on it.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *scanner) next() byte {
	c := s.peek()
	s.pos++
	return c
}

func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

var topKeys = []string{"id", "method", "params"}
var (
	paramKeys = []string{"name", "uri", "ref"}
	refKeys   = []string{"type", "name", "uri"}
)

// message reads one message object at the scanner's position.
func (s *scanner) message() (Message, error) {
	var m Message
	var idRaw, methodRaw, paramsRaw []byte
	s.space()
	start := s.pos
	err := s.object(topKeys, func(key string, val []byte) error {
		switch key {
		case "id":
			idRaw = val
		case "method":
			methodRaw = val
		case "params":
			paramsRaw = val
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	m.Raw = s.data[start:s.pos]
	if idRaw != nil && string(idRaw) != "null" {
		if c := idRaw[0]; c != '"' && c != '-' && (c < '0' || c > '9') {
			return m, ErrInvalid // an id is a string or a number
		}
		m.ID = idRaw
	}
	if methodRaw != nil {
		if m.Method, err = stringValue(methodRaw); err != nil || m.Method == "" {
			return m, ErrInvalid
		}
	}
	if paramsRaw != nil && paramsRaw[0] == '{' {
		ps := scanner{data: paramsRaw}
		err := ps.object(paramKeys, func(key string, val []byte) error {
			if key == "ref" {
				return readRef(val, &m)
			}
			var err error
			if val[0] != '"' {
				return ErrInvalid // a name or URI that is not a string names nothing
			}
			switch key {
			case "name":
				m.Name, err = stringValue(val)
			case "uri":
				m.URI, err = stringValue(val)
			}
			return err
		})
		if err != nil {
			return m, err
		}
	}
	return m, nil
}

// readRef reads params.ref of completion/complete: what the completion is
// for (ref/prompt with a name, ref/resource with a URI template).
func readRef(val []byte, m *Message) error {
	if val[0] != '{' {
		return ErrInvalid
	}
	rs := scanner{data: val}
	return rs.object(refKeys, func(key string, v []byte) error {
		if v[0] != '"' {
			return ErrInvalid
		}
		str, err := stringValue(v)
		switch key {
		case "type":
			m.RefType = str
		case "name":
			m.RefName = str
		case "uri":
			m.RefURI = str
		}
		return err
	})
}

// object reads an object at the scanner's position, calling f with the
// raw value of each key in keys. A key of keys given twice, or a key that
// equals one of keys only when case is ignored, is ErrInvalid.
func (s *scanner) object(keys []string, f func(key string, val []byte) error) error {
	s.space()
	if s.next() != '{' {
		return ErrInvalid
	}
	var seen uint8
	for {
		s.space()
		if s.peek() == '}' {
			s.pos++
			return nil
		}
		rawKey := s.str()
		key, err := keyValue(rawKey)
		if err != nil {
			return err
		}
		s.space()
		s.pos++ // ':'
		s.space()
		start := s.pos
		s.value()
		val := s.data[start:s.pos]
		for i, k := range keys {
			if !bytes.EqualFold(key, []byte(k)) {
				continue
			}
			if string(key) != k || seen&(1<<i) != 0 {
				return ErrInvalid
			}
			seen |= 1 << i
			if err := f(k, val); err != nil {
				return err
			}
		}
		s.space()
		if s.peek() == ',' {
			s.pos++
		}
	}
}

// str skips a string at the position and returns it with its quotes.
func (s *scanner) str() []byte {
	start := s.pos
	s.pos++ // opening quote
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '\\':
			s.pos += 2
			continue
		case '"':
			s.pos++
			return s.data[start:s.pos]
		}
		s.pos++
	}
	return s.data[start:s.pos]
}

// value skips any value at the position.
func (s *scanner) value() {
	switch s.peek() {
	case '"':
		s.str()
	case '{', '[':
		depth := 0
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case '"':
				s.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.pos++
					return
				}
			}
			s.pos++
		}
	default: // number, true, false, null
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return
			}
			s.pos++
		}
	}
}

// keyValue is a member name as bytes: the raw inner bytes when it has no
// escapes (no copy), else decoded.
func keyValue(raw []byte) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, ErrInvalid
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, nil
	}
	v, err := stringValue(raw)
	return []byte(v), err
}

// stringValue decodes a JSON string, escapes and all; the fast path
// copies a string without escapes.
func stringValue(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", ErrInvalid
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' || c >= 0x80 {
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return "", ErrInvalid
			}
			return v, nil
		}
	}
	return string(inner), nil
}
