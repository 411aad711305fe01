package proxy

import (
	"fmt"
	"testing"
)

// TestTokenCacheDropsExpired: expired entries go within a minute of new
// tokens arriving, not when the cache is full; live ones stay; a full
// cache makes room.
func TestTokenCacheDropsExpired(t *testing.T) {
	tests := []struct {
		name      string
		max       int
		puts      int
		expiresIn int64
		at        int64 // when the last put happens, after the others
		wantLen   int   // 0: at most max
	}{
		{name: "expired dropped on a put a minute later", max: 1000, puts: 100, expiresIn: 30, at: 61, wantLen: 1},
		{name: "live entries stay", max: 1000, puts: 100, expiresIn: 3600, at: 61, wantLen: 101},
		{name: "not swept again within the minute", max: 1000, puts: 100, expiresIn: 30, at: 45, wantLen: 101},
		{name: "a full cache makes room", max: 50, puts: 100, expiresIn: 3600, at: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newTokenCache(tt.max)
			for i := range tt.puts {
				tc.put(fmt.Sprint("token-", i), &verified{expiry: tt.expiresIn}, 0)
			}
			tc.put("last", &verified{expiry: tt.at + 3600}, tt.at)
			if got := len(tc.m); (tt.wantLen > 0 && got != tt.wantLen) || got > tt.max {
				t.Errorf("entries: got %d, want %d (at most %d)", got, tt.wantLen, tt.max)
			}
			if tc.get("last", tt.at) == nil {
				t.Error("the last token is not served")
			}
		})
	}
}
