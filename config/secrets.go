package config

import (
	"fmt"
	"os"
	"strings"
	"unicode"
)

// readSecretFile returns the secret held in the file at path. Trailing
// whitespace is dropped because editors and `echo` add a newline that is
// never part of the secret.
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimRightFunc(string(b), unicode.IsSpace)
	if s == "" {
		// An empty secret is never intended: it would silently disable
		// authentication to the IdP or make mcpgate invent a session key.
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return s, nil
}
