package stdio

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// fakeProcess records what mcpgate writes to a shared process.
type fakeProcess struct {
	mu      sync.Mutex
	written []*jsonrpc.Request
}

func (f *fakeProcess) Read(ctx context.Context) (jsonrpc.Message, error) {
	<-ctx.Done()
	return nil, io.EOF
}

func (f *fakeProcess) Write(_ context.Context, msg jsonrpc.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req, ok := msg.(*jsonrpc.Request); ok {
		f.written = append(f.written, req)
	}
	return nil
}

func (f *fakeProcess) Close() error      { return nil }
func (f *fakeProcess) SessionID() string { return "" }

func (f *fakeProcess) last() *jsonrpc.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.written) == 0 {
		return nil
	}
	return f.written[len(f.written)-1]
}

// fakePeer records what reaches a client.
type fakePeer struct{ got []jsonrpc.Message }

func (p *fakePeer) deliver(msg jsonrpc.Message) { p.got = append(p.got, msg) }
func (p *fakePeer) processEnded()               {}

func newFakeRun(t *testing.T) (*run, *fakeProcess) {
	proc := &fakeProcess{}
	b := &Backend{opts: Options{Name: "fake", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	r := &run{b: b, conn: proc, cancel: func() {}, calls: map[jsonrpc.ID]*call{}, tokens: map[string]*call{},
		peers: map[peer]bool{}, subs: map[string]map[peer]bool{}}
	return r, proc
}

func request(t *testing.T, id any, method, params string) *jsonrpc.Request {
	t.Helper()
	rid, err := jsonrpc.MakeID(id)
	if err != nil {
		t.Fatal(err)
	}
	return &jsonrpc.Request{ID: rid, Method: method, Params: json.RawMessage(params)}
}

// TestSharedSubscriptions: sessions never undo each other's resource
// subscriptions: the process hears of the first subscriber to a URI and
// of the last to leave, and an update reaches only subscribers.
func TestSharedSubscriptions(t *testing.T) {
	r, proc := newFakeRun(t)
	a, c := &fakePeer{}, &fakePeer{}
	for _, p := range []peer{a, c} {
		if err := r.attach(p); err != nil {
			t.Fatal(err)
		}
	}
	const uri = `{"uri":"file:///notes"}`
	writes := func() int { proc.mu.Lock(); defer proc.mu.Unlock(); return len(proc.written) }

	if err := r.send(a, request(t, float64(1), "resources/subscribe", uri)); err != nil {
		t.Fatal(err)
	}
	sub := proc.last()
	if sub == nil || sub.Method != "resources/subscribe" {
		t.Fatalf("the first subscriber's subscribe did not reach the process: %v", sub)
	}
	r.answer(&jsonrpc.Response{ID: sub.ID, Result: json.RawMessage(`{}`)})
	if len(a.got) != 1 || a.got[0].(*jsonrpc.Response).ID.Raw() != int64(1) {
		t.Fatalf("ada's answer: %v", a.got)
	}

	n := writes()
	if err := r.send(c, request(t, float64(1), "resources/subscribe", uri)); err != nil {
		t.Fatal(err)
	}
	if writes() != n || len(c.got) != 1 {
		t.Fatalf("the second subscriber: %d writes to the process, %d answers; want 0 and 1", writes()-n, len(c.got))
	}

	updated := &jsonrpc.Request{Method: "notifications/resources/updated", Params: json.RawMessage(uri)}
	r.serverNotification(updated)
	if len(a.got) != 2 || len(c.got) != 2 {
		t.Fatalf("update: ada got %d, bob %d messages; want both told", len(a.got), len(c.got))
	}

	if err := r.send(a, request(t, float64(2), "resources/unsubscribe", uri)); err != nil {
		t.Fatal(err)
	}
	if writes() != n {
		t.Error("ada's unsubscribe reached the process while bob is subscribed")
	}
	r.serverNotification(updated)
	if len(a.got) != 3 || len(c.got) != 3 {
		t.Fatalf("after ada unsubscribed: ada got %d, bob %d; want ada's answer only, and bob's update", len(a.got), len(c.got))
	}
	if _, isAnswer := a.got[2].(*jsonrpc.Response); !isAnswer {
		t.Error("ada was told of an update after unsubscribing")
	}

	r.detach(c) // bob's session ends: nobody is left
	waitFor(t, func() bool {
		last := proc.last()
		return last.Method == "resources/unsubscribe" && uriOf(last.Params) == "file:///notes"
	})
}

// TestSharedIDs: ids and progress tokens are the process's own on the
// way in, and the client's on the way out; a cancellation names the
// process-side id; a stateless peer may not subscribe.
func TestSharedIDs(t *testing.T) {
	r, proc := newFakeRun(t)
	a, c := &fakePeer{}, &fakePeer{}
	r.attach(a)
	r.attach(c)
	if err := r.send(a, request(t, "x", "tools/call", `{"name":"progress","_meta":{"progressToken":7}}`)); err != nil {
		t.Fatal(err)
	}
	first := proc.last()
	if err := r.send(c, request(t, "x", "tools/call", `{"name":"progress","_meta":{"progressToken":7}}`)); err != nil {
		t.Fatal(err)
	}
	second := proc.last()
	if first.ID == second.ID || progressTokenOf(first.Params) == progressTokenOf(second.Params) || progressTokenOf(first.Params) == "" {
		t.Fatalf("two clients' id x and token 7 reached the process as %v/%s and %v/%s: want distinct",
			first.ID.Raw(), first.Params, second.ID.Raw(), second.Params)
	}
	progress, _ := json.Marshal(map[string]any{"progressToken": progressTokenOf(second.Params), "progress": 1})
	r.serverNotification(&jsonrpc.Request{Method: "notifications/progress", Params: progress})
	if len(a.got) != 0 || len(c.got) != 1 {
		t.Fatalf("progress for bob: ada got %d, bob %d", len(a.got), len(c.got))
	}
	var note struct {
		Token any `json:"progressToken"`
	}
	json.Unmarshal(c.got[0].(*jsonrpc.Request).Params, &note)
	if note.Token != float64(7) {
		t.Errorf("bob's progress token: got %v, want his 7", note.Token)
	}

	if err := r.send(a, &jsonrpc.Request{Method: "notifications/cancelled", Params: json.RawMessage(`{"requestId":"x"}`)}); err != nil {
		t.Fatal(err)
	}
	cancelled := proc.last()
	var params struct {
		RequestID any `json:"requestId"`
	}
	json.Unmarshal(cancelled.Params, &params)
	if cancelled.Method != "notifications/cancelled" || params.RequestID != float64(first.ID.Raw().(int64)) {
		t.Errorf("ada's cancellation: got %s %s, want requestId %v", cancelled.Method, cancelled.Params, first.ID.Raw())
	}
	r.answer(&jsonrpc.Response{ID: first.ID, Result: json.RawMessage(`{}`)})
	if len(a.got) != 0 {
		t.Error("ada got an answer to the call she cancelled")
	}
	r.answer(&jsonrpc.Response{ID: second.ID, Result: json.RawMessage(`{"ok":true}`)})
	if resp, ok := c.got[len(c.got)-1].(*jsonrpc.Response); !ok || resp.ID.Raw() != "x" {
		t.Errorf("bob's answer: %v", c.got)
	}

	stateless := newWaiter()
	if err := r.send(stateless, request(t, float64(3), "resources/subscribe", `{"uri":"file:///a"}`)); err != nil {
		t.Fatal(err)
	}
	if resp := (<-stateless.answer).(*jsonrpc.Response); resp.Error == nil {
		t.Error("a stateless request subscribed")
	}
}

// TestSharedProgressTokenCannotBeClaimed: a client that names another
// client's process-side progress token in its params (anywhere) does not
// get that client's progress.
func TestSharedProgressTokenCannotBeClaimed(t *testing.T) {
	r, proc := newFakeRun(t)
	victim, attacker := &fakePeer{}, &fakePeer{}
	r.attach(victim)
	r.attach(attacker)
	if err := r.send(victim, request(t, float64(1), "tools/call", `{"name":"slow","_meta":{"progressToken":"v"}}`)); err != nil {
		t.Fatal(err)
	}
	stolen := progressTokenOf(proc.last().Params)
	claim, _ := json.Marshal(map[string]any{"name": "x", "progressToken": stolen, "_meta": map[string]any{"progressToken": "a"}})
	if err := r.send(attacker, &jsonrpc.Request{ID: request(t, float64(1), "", "").ID, Method: "tools/call", Params: claim}); err != nil {
		t.Fatal(err)
	}
	progress, _ := json.Marshal(map[string]any{"progressToken": stolen, "progress": 1, "message": "secret"})
	r.serverNotification(&jsonrpc.Request{Method: "notifications/progress", Params: progress})
	if len(attacker.got) != 0 || len(victim.got) != 1 {
		t.Errorf("progress for the victim: victim got %d, attacker %d", len(victim.got), len(attacker.got))
	}
}

func TestSharedInitializeVersion(t *testing.T) {
	r, _ := newFakeRun(t)
	r.initResult = json.RawMessage(`{"protocolVersion":"2025-06-18","serverInfo":{"name":"s","version":"1"}}`)
	for asked, want := range map[string]string{
		"2025-03-26": "2025-03-26", // older: the process speaks it too
		"2025-06-18": "2025-06-18",
		"2025-11-25": "2025-06-18", // newer than the process: the process's
		"1999-01-01": "2025-06-18", // unknown
	} {
		var got struct {
			Version string `json:"protocolVersion"`
			Info    struct {
				Name string `json:"name"`
			} `json:"serverInfo"`
		}
		json.Unmarshal(r.initializeFor(json.RawMessage(`{"protocolVersion":"`+asked+`"}`)), &got)
		if got.Version != want || got.Info.Name != "s" {
			t.Errorf("asked %s: got %+v, want version %s", asked, got, want)
		}
	}
}
