//go:build !linux

package stdio

// hideFromChildren has no portable equivalent of Linux's non-dumpable
// flag; elsewhere the child's empty environment is the protection.
func hideFromChildren() error { return nil }
