package cimd

import (
	"strings"
	"testing"
	"time"
)

func TestFetchBudget(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	b := fetchBudget{max: 3, perHost: 2, hostPerMinute: 4, perMinute: 6, inflight: map[string]int{}, recent: map[string][]time.Time{}}
	steps := []struct {
		name, host string
		at         time.Duration
		release    bool // release one fetch of host instead of taking one
		want       string
	}{
		{name: "first", host: "a", want: ""},
		{name: "second of a host", host: "a", want: ""},
		{name: "third of a host at once", host: "a", want: "being fetched already"},
		{name: "another host", host: "b", want: ""},
		{name: "global concurrency", host: "c", want: "too many documents are being fetched"},
		{name: "release a", host: "a", release: true},
		{name: "release a again", host: "a", release: true},
		{name: "a again", host: "a", want: ""},
		{name: "a once more", host: "a", want: ""},
		{name: "release", host: "a", release: true},
		{name: "release", host: "a", release: true},
		{name: "a over its minute", host: "a", want: "from this host in the last minute"},
		{name: "c", host: "c", want: ""},
		{name: "release c", host: "c", release: true},
		{name: "d over the global minute", host: "d", want: "fetched in the last minute"},
		{name: "a minute later", host: "a", at: 61 * time.Second, want: ""},
	}
	for _, st := range steps {
		if st.release {
			b.done(st.host)
			continue
		}
		got := b.take(st.host, now.Add(st.at))
		if (got == "") != (st.want == "") || (st.want != "" && !strings.Contains(got, st.want)) {
			t.Fatalf("%s: got %q, want %q", st.name, got, st.want)
		}
	}
}
