package stdio

import (
	"context"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// openShared connects the session to the backend's shared process,
// starting it if none runs.
func (s *session) openShared() error {
	r, err := s.backend.shared("", nil)
	if err != nil {
		return err
	}
	if !r.live() {
		// Stopped (idle, or crashed) just as it was handed out: the next
		// one is fresh.
		if r, err = s.backend.shared("", nil); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.transport = &mcp.StreamableServerTransport{SessionID: s.id}
	client, err := s.transport.Connect(ctx)
	if err != nil {
		cancel()
		return fmt.Errorf("stdio: session transport: %w", err)
	}
	s.client = client
	if err := r.attach(s); err != nil {
		client.Close()
		cancel()
		return err
	}
	s.run = r
	s.touch()
	go s.toShared(ctx, r)
	return nil
}

// toShared relays the client's messages to the shared process.
func (s *session) toShared(ctx context.Context, r *run) {
	for {
		msg, err := s.client.Read(ctx)
		if err != nil {
			s.backend.end(s, "client connection closed")
			return
		}
		err = r.send(s, msg)
		if err == nil || errors.Is(err, errNoAnswer) {
			continue
		}
		if req, ok := msg.(*jsonrpc.Request); ok && req.IsCall() {
			s.deliver(&jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{Code: -32603, Message: "the MCP server process ended"}})
		}
	}
}

// deliver is how the shared process's messages for this session reach it.
func (s *session) deliver(msg jsonrpc.Message) {
	if err := s.client.Write(context.Background(), msg); err != nil {
		s.backend.opts.Logger.Debug("stdio: write to client", "backend", s.backend.opts.Name, "err", err)
	}
}

// processEnded ends the session with its process: the process's state
// of it is gone, so the client must start anew.
func (s *session) processEnded() { s.backend.end(s, "the shared process ended") }
