package clientreg

import "fmt"

// Error codes of RFC 7591 §3.2.2 this package returns.
const (
	CodeInvalidRedirectURI    = "invalid_redirect_uri"
	CodeInvalidClientMetadata = "invalid_client_metadata"
)

// Error is a registration refusal in the shape RFC 7591 §3.2.2 sends to the
// client. Description is written for the client's developer and never holds
// server internals, so the handler can send it as error_description as is.
type Error struct {
	Code        string
	Description string
}

func (e *Error) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

func metadataError(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidClientMetadata, Description: fmt.Sprintf(format, args...)}
}

func redirectError(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidRedirectURI, Description: fmt.Sprintf(format, args...)}
}

// uriError is why a URI was refused. It is kept apart from the URI itself so
// that registration can name the offending field and entry once.
type uriError struct{ reason string }

func (e *uriError) Error() string { return "invalid URI: " + e.reason }

func uriErrorf(format string, args ...any) error {
	return &uriError{reason: fmt.Sprintf(format, args...)}
}

// reason returns the bare reason of err for use in a longer message.
func reason(err error) string {
	if ue, ok := err.(*uriError); ok {
		return ue.reason
	}
	return err.Error()
}

// quoteTrunc quotes s for an error description, cut short so that a 2000
// character URI does not flood the response or the logs.
func quoteTrunc(s string) string {
	const limit = 80
	if len(s) > limit {
		return fmt.Sprintf("%q...", s[:limit])
	}
	return fmt.Sprintf("%q", s)
}
