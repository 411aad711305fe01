package benchmark

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
)

// ProtocolVersion is the MCP revision the load speaks.
const ProtocolVersion = "2025-11-25"

// EchoText is what every tools/call asks the backend to echo back; the
// answer must contain it, so a target that answers quickly but wrongly
// (a 401 page, a proxy error) counts as a failure, not as speed.
const EchoText = "mcpgate benchmark payload"

// CallBody is one JSON-RPC tools/call request.
var CallBody = []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"` + EchoText + `"}}}`)

var wantInAnswer = []byte(`"text":"` + EchoText + `"`)

// SetCallHeaders sets the headers an MCP 2025-11-25 streamable HTTP client
// sends with a POST (no Mcp-Session-Id: the backend is stateless).
func SetCallHeaders(h http.Header, token string) {
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("MCP-Protocol-Version", ProtocolVersion)
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
}

// RawCall is the complete HTTP/1.1 request for host (and token, if any),
// built once: the load generator writes these bytes as they are, so that
// its own per-request CPU stays small and equal for every target.
func RawCall(host, path, token string) []byte {
	h := http.Header{}
	SetCallHeaders(h, token)
	return rawRequest(host, path, h)
}

// RawCallDPoP is RawCall with a DPoP proof, made for each request: the
// token, if any, goes with the DPoP scheme.
func RawCallDPoP(host, path, token, proof string) []byte {
	h := http.Header{}
	SetCallHeaders(h, "")
	if token != "" {
		h.Set("Authorization", "DPoP "+token)
	}
	h.Set("DPoP", proof)
	return rawRequest(host, path, h)
}

func rawRequest(host, path string, h http.Header) []byte {
	h.Set("Host", host)
	h.Set("User-Agent", "mcpgate-loadtest/1")
	h.Set("Content-Length", strconv.Itoa(len(CallBody)))
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\n", path)
	h.Write(&b)
	b.WriteString("\r\n")
	b.Write(CallBody)
	return b.Bytes()
}

// CheckAnswer reports whether a tools/call answer is the echo's success.
func CheckAnswer(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", status, body)
	}
	if !bytes.Contains(body, wantInAnswer) || bytes.Contains(body, []byte(`"isError":true`)) {
		return fmt.Errorf("not the echo result: %.200s", body)
	}
	return nil
}
