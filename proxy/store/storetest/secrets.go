package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var secretTests = []test{
	{"FirstValueWins", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		first := []byte("first\x00value\xff")
		got, err := s.EnsureSecret(ctx, "cookie", first)
		must(t, "EnsureSecret", err)
		if !bytes.Equal(got, first) {
			t.Errorf("EnsureSecret on a fresh name = %q, want %q", got, first)
		}
		got[0] = 'X'
		first[1] = 'X'

		got, err = s.EnsureSecret(ctx, "cookie", []byte("second"))
		must(t, "EnsureSecret again", err)
		if want := []byte("first\x00value\xff"); !bytes.Equal(got, want) {
			t.Errorf("EnsureSecret again = %q, want the first value %q", got, want)
		}

		got, err = s.EnsureSecret(ctx, "other", []byte("second"))
		must(t, "EnsureSecret other name", err)
		if !bytes.Equal(got, []byte("second")) {
			t.Errorf("EnsureSecret other name = %q, want %q", got, "second")
		}

		if _, err := s.EnsureSecret(ctx, "empty", nil); err == nil {
			t.Error("EnsureSecret with an empty value: got no error")
		}
	}},
	{"Concurrent", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		start := make(startLine)
		var wg sync.WaitGroup
		results := make([][]byte, concurrency)
		for i := range concurrency {
			wg.Go(func() {
				start.wait()
				got, err := s.EnsureSecret(ctx, "hmac", fmt.Appendf(nil, "value-%d", i))
				if err != nil {
					t.Errorf("EnsureSecret %d: %v", i, err)
				}
				results[i] = got
			})
		}
		start.release()
		wg.Wait()
		stored, err := s.EnsureSecret(ctx, "hmac", []byte("late"))
		must(t, "EnsureSecret", err)
		for i, got := range results {
			if !bytes.Equal(got, stored) {
				t.Errorf("EnsureSecret %d returned %q, but %q is stored", i, got, stored)
			}
		}
	}},
}
