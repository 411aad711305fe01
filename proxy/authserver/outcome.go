package authserver

import (
	"net/http"
	"net/url"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// Outcome tells the HTTP layer what to do with the browser next. Exactly
// one of Redirect, Consent and ChooseIdP is set.
type Outcome struct {
	// Redirect is where to send the browser: upstream, or back to the
	// client with a code or an error.
	Redirect string
	// Consent asks the HTTP layer to render the consent page.
	Consent *ConsentPrompt
	// ChooseIdP asks it to render the page where the user picks the IdP
	// to sign in with.
	ChooseIdP *IdPChoice
	// SignedIn is the user the flow signed in; the HTTP layer renews the
	// browser session with it.
	SignedIn *store.Identity
	// SessionStarted says the upstream vouched for SignedIn just now (a
	// new session), rather than the browser's session.
	SessionStarted bool
	// KeepIdentity keeps SignedIn in the session even without
	// session.reuse_sign_in: the account page needs it.
	KeepIdentity bool
	// AuthTime is when SignedIn signed in at the IdP.
	AuthTime time.Time
	// Refused is a user the sign-in policy keeps out: the HTTP layer shows
	// the page, whose link takes the browser back to the client with
	// access_denied (Redirect).
	Refused *SignInRefusal
}

// SignInRefusal is what the refused user is told.
type SignInRefusal struct {
	// As is who the IdP signed the user in as: email, else name, else
	// subject.
	As     string
	Reason string
	// ClientName is the application the user came from.
	ClientName string
}

// ConsentPrompt is what the consent page shows.
type ConsentPrompt struct {
	RequestID string
	// Resource is the MCP server the client asks access to.
	Resource     string
	ClientID     string
	ClientName   string
	ClientURI    string
	RedirectHost string
	// LoopbackRedirect warns that the code goes to a program on the user's
	// own machine.
	LoopbackRedirect bool
	Scopes           []string
	// Provenance says who vouches for the client's name: the
	// administrators (configured), its own domain (metadata document), or
	// nobody (it registered itself).
	Provenance string
	// Email of the signed-in user when the prompt comes after the upstream
	// login.
	Email string
	// Previously is set when the user approved this client before, for
	// less; NewScopes and NewResource say what is new.
	Previously  bool
	NewScopes   []string
	NewResource bool
}

// PageError is shown to the user as a page and never redirected: the
// redirect URI could not be trusted, or there is no client to go back to.
type PageError struct {
	Status  int
	Title   string
	Message string
	// Code is the OAuth error code, for clients that ask for JSON rather
	// than a page (mcp-remote checks a cached registration that way and
	// registers again on invalid_client); empty means invalid_request.
	Code string
}

func (e *PageError) Error() string { return e.Title + ": " + e.Message }

func pageError(status int, title, message string) *PageError {
	return &PageError{Status: status, Title: title, Message: message}
}

var errFlowExpired = pageError(http.StatusBadRequest, "Sign-in expired",
	"This sign-in link has expired or was already used. Start again from your application.")

// redirectTo builds the authorization response of RFC 6749 §4.1.2 with the
// RFC 9207 iss, keeping any query the registered redirect URI has.
func redirectTo(redirectURI string, params url.Values) string {
	u, err := url.Parse(redirectURI)
	if err != nil {
		// Redirect URIs were validated at registration; an unparsable one
		// here is a bug, and sending nothing is the safe answer.
		return ""
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			if v != "" {
				q.Set(k, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (s *Server) errorRedirect(redirectURI, state, code, description string) Outcome {
	return Outcome{Redirect: redirectTo(redirectURI, url.Values{
		"error":             {code},
		"error_description": {description},
		"state":             {state},
		"iss":               {s.cfg.Issuer},
	})}
}
