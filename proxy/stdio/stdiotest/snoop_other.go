//go:build !linux

package stdiotest

func snoop() string { return "snoop: Linux only" }
