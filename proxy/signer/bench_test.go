package signer_test

import (
	"context"
	"testing"
)

func BenchmarkSign(b *testing.B) {
	clk := newClock()
	m := mustNew(b, newFakeStore(clk.Now), testOptions(clk))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Sign(ctx, "at+jwt", testClaims); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	clk := newClock()
	m := mustNew(b, newFakeStore(clk.Now), testOptions(clk))
	tok := mustSign(b, m)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Verify(tok, "at+jwt"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyReject measures the cost of turning away a forged alg, the
// cheapest path an attacker can hit.
func BenchmarkVerifyReject(b *testing.B) {
	clk := newClock()
	m := mustNew(b, newFakeStore(clk.Now), testOptions(clk))
	tok := rawJWS(`{"alg":"none","typ":"at+jwt"}`, []byte(`{"sub":"x"}`), func([]byte) []byte { return nil })
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Verify(tok, "at+jwt"); err == nil {
			b.Fatal("accepted alg none")
		}
	}
}
