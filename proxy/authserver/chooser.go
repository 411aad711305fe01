package authserver

import (
	"context"
	"net/http"
	"strings"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// IdPChoice is what the sign-in chooser page shows: the IdPs, and whether
// an email typed there finds the user's.
type IdPChoice struct {
	RequestID string
	IdPs      []IdPOption
	// ByEmail is set when some IdP has email domains.
	ByEmail bool
	// Problem tells the user why they see the page again.
	Problem string
	// Email is what they typed, to show it back.
	Email string
}

// IdPOption is one button of the chooser.
type IdPOption struct {
	Name, DisplayName string
}

// maxEmailLen bounds an email typed on the chooser (RFC 5321 §4.5.3.1.3).
const maxEmailLen = 254

// askIdP keeps the request and asks the user which IdP to sign in with.
func (s *Server) askIdP(ctx context.Context, req store.AuthRequest, create bool) (Outcome, error) {
	if err := s.savePendingRequest(ctx, req, create); err != nil {
		return Outcome{}, err
	}
	return Outcome{ChooseIdP: s.idpChoice(req.ID, "", "")}, nil
}

func (s *Server) idpChoice(requestID, problem, email string) *IdPChoice {
	c := &IdPChoice{RequestID: requestID, Problem: problem, Email: email}
	for _, idp := range s.idps {
		c.IdPs = append(c.IdPs, IdPOption{Name: idp.Name, DisplayName: idp.DisplayName})
		c.ByEmail = c.ByEmail || len(idp.EmailDomains) > 0
	}
	return c
}

// ChooseIdP applies the user's answer on the chooser page: the IdP named
// idpName, or the one the domain of email routes to (the email then goes
// to the IdP as login_hint). The HTTP layer has checked the CSRF token;
// the request must also belong to this browser.
func (s *Server) ChooseIdP(ctx context.Context, requestID, idpName, email string, b Browser) (Outcome, error) {
	req, err := s.browserRequest(ctx, requestID, b)
	if err != nil {
		return Outcome{}, err
	}
	if len(s.idps) < 2 {
		return Outcome{}, errFlowExpired
	}
	email = strings.TrimSpace(email)
	var idp *IdP
	hint := ""
	switch {
	case idpName != "":
		if idp = s.idp(idpName); idp == nil {
			return Outcome{}, pageError(http.StatusBadRequest, "Invalid request", "There is no such way to sign in. Start again from your application.")
		}
	case email != "":
		if len(email) > maxEmailLen || !printableText(email) || strings.Count(email, "@") != 1 {
			return Outcome{ChooseIdP: s.idpChoice(req.ID, "That is not an email address.", "")}, nil
		}
		if idp = s.idpForEmail(email); idp == nil {
			return Outcome{ChooseIdP: s.idpChoice(req.ID, "No sign-in is set up for that email address. Choose your organisation below.", email)}, nil
		}
		hint = email
	default:
		return Outcome{ChooseIdP: s.idpChoice(req.ID, "Choose how to sign in.", "")}, nil
	}
	req.Upstream = idp.Name
	return s.sendUpstream(ctx, req, false, hint)
}

// printableText reports whether s has no control characters.
func printableText(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
