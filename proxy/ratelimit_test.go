package proxy

import (
	"testing"
	"time"
)

func TestHourlyLimiter(t *testing.T) {
	l := newHourlyLimiter(2)
	now := time.Now()
	for i, want := range []bool{true, true, false} {
		if got := l.allow("a", now); got != want {
			t.Fatalf("attempt %d: got %v, want %v", i+1, got, want)
		}
	}
	if !l.allow("b", now) {
		t.Fatal("another address shares the limit")
	}
	if !l.allow("a", now.Add(61*time.Minute)) {
		t.Fatal("the window did not slide")
	}
	if !newHourlyLimiter(0).allow("a", now) {
		t.Fatal("0 must mean unlimited")
	}
}
