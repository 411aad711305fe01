package cimd

import (
	"errors"
	"fmt"
)

// The two ways resolution fails. Both end as invalid_client for the OAuth
// client; they are told apart so that operators can log them differently:
// ErrInvalidClient is the client's fault (or an attack), ErrFetchFailed may
// be a network problem on either side.
var (
	// ErrInvalidClient: the client_id is not an acceptable CIMD URL, the
	// trust policy refuses its host, its host resolves to a forbidden
	// address, or the document it serves is not valid client metadata.
	ErrInvalidClient = errors.New("cimd: not a valid client")
	// ErrFetchFailed: no document could be obtained: DNS, connection or TLS
	// failure, timeout, a status other than 200 (redirects included), a
	// content type other than application/json, or a body over the size
	// limit.
	ErrFetchFailed = errors.New("cimd: metadata document could not be fetched")
)

// Error is a resolution failure. errors.Is(err, ErrInvalidClient) or
// errors.Is(err, ErrFetchFailed) tells its kind; Unwrap gives the cause when
// there is one (a net error, context.DeadlineExceeded...).
//
// Its text is safe to log: it holds the client_id (cut short), a reason
// written here and the cause's text, never the document body. Reasons taken
// from clientreg may quote one offending metadata value, cut to 80
// characters and escaped.
type Error struct {
	// ClientID is the client_id as given, which may be long or hostile when
	// it was refused as malformed; Error() quotes and truncates it.
	ClientID string
	Reason   string
	Err      error
	kind     error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%v: client_id %s: %s", e.kind, quoteTrunc(e.ClientID), e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports the kind, so callers need not know about *Error.
func (e *Error) Is(target error) bool { return target == e.kind }

func (e *Error) Unwrap() error { return e.Err }

func invalidClient(clientID, format string, args ...any) *Error {
	return &Error{ClientID: clientID, Reason: fmt.Sprintf(format, args...), kind: ErrInvalidClient}
}

func fetchFailed(clientID string, cause error, format string, args ...any) *Error {
	return &Error{ClientID: clientID, Reason: fmt.Sprintf(format, args...), Err: cause, kind: ErrFetchFailed}
}

// quoteTrunc quotes s for a log line, cut short so that a hostile 100 KB
// client_id does not flood the logs; %q escapes control characters.
func quoteTrunc(s string) string {
	const limit = 120
	if len(s) > limit {
		return fmt.Sprintf("%q...", s[:limit])
	}
	return fmt.Sprintf("%q", s)
}
