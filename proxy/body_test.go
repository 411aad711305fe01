package proxy

import "testing"

func TestIsMultipart(t *testing.T) {
	for ct, want := range map[string]bool{
		"multipart/form-data; boundary=x":   true,
		"Multipart/Mixed":                   true,
		"  multipart/form-data":             true,
		"application/json":                  false,
		"application/x-www-form-urlencoded": false,
		"multipart":                         false,
		"":                                  false,
	} {
		if got := isMultipart(ct); got != want {
			t.Errorf("isMultipart(%q) = %v, want %v", ct, got, want)
		}
	}
}
