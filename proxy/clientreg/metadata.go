package clientreg

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// Limits on a registration request. They bound what one anonymous request
// can make mcpgate store and show on the consent page.
const (
	// MaxBodyBytes is also the limit the handler should put on the reader.
	MaxBodyBytes      = 64 << 10
	MaxRedirectURIs   = 20
	maxClientNameLen  = 200 // characters, not bytes
	maxContacts       = 10
	maxContactLen     = 320 // the longest valid email address
	maxSoftwareLength = 200
)

var knownAuthMethods = []string{oauth.AuthNone, oauth.AuthSecretBasic, oauth.AuthSecretPost, oauth.AuthPrivateKeyJWT}

// defaultAuthMethods are what Options without SupportedAuthMethods allow.
var defaultAuthMethods = []string{oauth.AuthNone, oauth.AuthSecretBasic, oauth.AuthSecretPost}

// Metadata is the client metadata of an RFC 7591 registration request, with
// the OIDC Dynamic Registration application_type. Fields not listed here
// (jwks, software_statement, localized names...) are ignored, as RFC 7591
// §2 asks of servers that do not support them.
type Metadata struct {
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	Contacts                []string `json:"contacts,omitempty"`
	TOSURI                  string   `json:"tos_uri,omitempty"`
	PolicyURI               string   `json:"policy_uri,omitempty"`
	JWKSURI                 string   `json:"jwks_uri,omitempty"`
	SoftwareID              string   `json:"software_id,omitempty"`
	SoftwareVersion         string   `json:"software_version,omitempty"`
	ApplicationType         string   `json:"application_type,omitempty"`
}

// Options are the server's registration policy.
type Options struct {
	// AllowedScopes, when non-empty, is the set of scopes a client may
	// register; any other scope is dropped from the registration (RFC 7591
	// §2 lets the server register less than asked), or refused with
	// StrictScopes. Empty allows any well-formed scope.
	AllowedScopes []string
	StrictScopes  bool
	// SupportedAuthMethods is the subset of none, client_secret_basic,
	// client_secret_post and private_key_jwt the token endpoint accepts for
	// these clients. Empty means the first three.
	SupportedAuthMethods []string
}

// ParseRegistration decodes and validates an RFC 7591 registration request
// body and returns the metadata to register, defaults filled in and lists
// de-duplicated. The returned *Error carries the RFC 7591 error code; test
// it against nil before storing it in an error variable, or a nil *Error
// becomes a non-nil error.
//
// Defaults: token_endpoint_auth_method client_secret_basic (RFC 7591; MCP
// public clients send none explicitly), grant_types [authorization_code],
// response_types [code]. An absent application_type is native when every
// redirect URI is loopback http or a private-use scheme, web otherwise (see
// the package documentation).
func ParseRegistration(body []byte, opts Options) (Metadata, *Error) {
	m, e := decode(body)
	if e != nil {
		return Metadata{}, e
	}
	return ValidateMetadata(m, opts)
}

// ValidateMetadata applies ParseRegistration's checks and defaults to
// metadata the caller decoded itself. It exists for metadata that does not
// arrive as a registration request body, such as a Client ID Metadata
// Document, whose fetcher decodes members of its own (client_id,
// client_secret) and settles its own defaults before these shared rules
// run. The same nil-*Error caveat as ParseRegistration applies.
func ValidateMetadata(m Metadata, opts Options) (Metadata, *Error) {
	for _, check := range []func(*Metadata, Options) *Error{
		checkApplicationType,
		checkRedirectURIs,
		checkAuthMethod,
		checkGrantAndResponseTypes,
		checkClientName,
		checkInfoURIs,
		checkScope,
		checkContacts,
		checkSoftware,
	} {
		if e := check(&m, opts); e != nil {
			return Metadata{}, e
		}
	}
	return m, nil
}

func decode(body []byte) (Metadata, *Error) {
	if len(body) > MaxBodyBytes {
		return Metadata{}, metadataError("request body is larger than %d bytes", MaxBodyBytes)
	}
	// A JSON null would decode into the zero Metadata without error.
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return Metadata{}, metadataError("request body must be a JSON object")
	}
	var m Metadata
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Metadata{}, metadataError("%s: got a JSON %s where %s was expected", te.Field, te.Value, jsonTypeName(te.Type.String()))
		}
		return Metadata{}, metadataError("request body is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Metadata{}, metadataError("request body has data after the JSON object")
	}
	return m, nil
}

func jsonTypeName(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "[]string":
		return "an array of strings"
	}
	return goType
}

func checkApplicationType(m *Metadata, _ Options) *Error {
	switch t := m.ApplicationType; t {
	case "", ApplicationTypeWeb, ApplicationTypeNative:
		return nil
	default:
		return metadataError("application_type must be %q or %q, got %q", ApplicationTypeWeb, ApplicationTypeNative, t)
	}
}

// checkRedirectURIs also settles an absent application_type, because the
// type is inferred from the URIs and then decides which of them are allowed.
func checkRedirectURIs(m *Metadata, _ Options) *Error {
	if len(m.RedirectURIs) == 0 {
		return redirectError("redirect_uris is required and must not be empty")
	}
	if len(m.RedirectURIs) > MaxRedirectURIs {
		return redirectError("redirect_uris has %d entries, at most %d are allowed", len(m.RedirectURIs), MaxRedirectURIs)
	}
	allNative, anyCustom := true, false
	for i, raw := range m.RedirectURIs {
		kind, err := parseRedirectURI(raw)
		if err != nil {
			return redirectError("redirect_uris[%d] %s %s", i, quoteTrunc(raw), reason(err))
		}
		allNative = allNative && kind != kindHTTPS
		anyCustom = anyCustom || kind == kindCustom
	}
	switch {
	case anyCustom && (m.ApplicationType == "" || m.ApplicationType == ApplicationTypeWeb):
		// A client with a private-use scheme is a native app, whatever
		// else it lists (Cursor registers one beside an https and a
		// loopback URI) or says; RFC 7591 §2 lets the server register
		// it as what it is.
		m.ApplicationType = ApplicationTypeNative
	case m.ApplicationType == "" && allNative:
		m.ApplicationType = ApplicationTypeNative
	case m.ApplicationType == "":
		m.ApplicationType = ApplicationTypeWeb
	}
	for i, raw := range m.RedirectURIs {
		if err := ValidateRedirectURI(raw, m.ApplicationType); err != nil {
			return redirectError("redirect_uris[%d] %s %s", i, quoteTrunc(raw), reason(err))
		}
	}
	m.RedirectURIs = dedupe(m.RedirectURIs)
	return nil
}

func checkAuthMethod(m *Metadata, opts Options) *Error {
	if m.TokenEndpointAuthMethod == "" {
		m.TokenEndpointAuthMethod = oauth.AuthSecretBasic
	}
	supported := opts.SupportedAuthMethods
	if len(supported) == 0 {
		supported = defaultAuthMethods
	}
	// A configured method mcpgate cannot perform (private_key_jwt) must not
	// be promised to a client.
	if !slices.Contains(knownAuthMethods, m.TokenEndpointAuthMethod) ||
		!slices.Contains(supported, m.TokenEndpointAuthMethod) {
		return metadataError("token_endpoint_auth_method %q is not supported; supported: %s",
			m.TokenEndpointAuthMethod, strings.Join(intersect(supported, knownAuthMethods), ", "))
	}
	return nil
}

func checkGrantAndResponseTypes(m *Metadata, _ Options) *Error {
	// An empty array is read as absent: clients that send [] mean "nothing
	// special", and registering a client that can use no grant is useless.
	if len(m.GrantTypes) == 0 {
		m.GrantTypes = []string{oauth.GrantAuthorizationCode}
	}
	// Grant and response types the server does not offer are left out of
	// the registration, which RFC 7591 §2 allows (VS Code lists the device
	// grant beside the code grant); only a client left with none is
	// refused.
	offered := func(v string) bool { return v == oauth.GrantAuthorizationCode || v == oauth.GrantRefreshToken }
	if kept := slices.DeleteFunc(slices.Clone(m.GrantTypes), func(g string) bool { return !offered(g) }); len(kept) > 0 {
		m.GrantTypes = kept
	} else {
		return metadataError("grant_types: none of %s is supported; supported: %s, %s", strings.Join(m.GrantTypes, ", "), oauth.GrantAuthorizationCode, oauth.GrantRefreshToken)
	}
	if len(m.ResponseTypes) == 0 {
		m.ResponseTypes = []string{oauth.ResponseTypeCode}
	}
	if slices.Contains(m.ResponseTypes, oauth.ResponseTypeCode) {
		m.ResponseTypes = []string{oauth.ResponseTypeCode}
	} else {
		return metadataError("response_types: none of %s is supported; supported: %s", strings.Join(m.ResponseTypes, ", "), oauth.ResponseTypeCode)
	}
	m.GrantTypes, m.ResponseTypes = dedupe(m.GrantTypes), dedupe(m.ResponseTypes)
	// RFC 7591 §2.1: the code response type and the authorization_code
	// grant go together.
	hasGrant := slices.Contains(m.GrantTypes, oauth.GrantAuthorizationCode)
	hasCode := slices.Contains(m.ResponseTypes, oauth.ResponseTypeCode)
	switch {
	case hasCode && !hasGrant:
		return metadataError("grant_types must include %q, which response type %q needs", oauth.GrantAuthorizationCode, oauth.ResponseTypeCode)
	case hasGrant && !hasCode:
		return metadataError("response_types must include %q, which grant type %q needs", oauth.ResponseTypeCode, oauth.GrantAuthorizationCode)
	}
	return nil
}

func checkClientName(m *Metadata, _ Options) *Error {
	if n := utf8.RuneCountInString(m.ClientName); n > maxClientNameLen {
		return metadataError("client_name has %d characters, at most %d are allowed", n, maxClientNameLen)
	}
	if !displaySafe(m.ClientName) {
		return metadataError("client_name must not contain control or bidirectional formatting characters")
	}
	return nil
}

// displaySafe refuses what could make text shown on the consent page lie
// about itself: control characters (line breaks, terminal escapes in logs)
// and bidirectional overrides, which can reorder "moc.elgoog" into a
// trusted-looking name.
func displaySafe(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

func checkInfoURIs(m *Metadata, _ Options) *Error {
	for _, f := range []struct{ name, value string }{
		{"client_uri", m.ClientURI},
		{"logo_uri", m.LogoURI},
		{"tos_uri", m.TOSURI},
		{"policy_uri", m.PolicyURI},
		{"jwks_uri", m.JWKSURI},
	} {
		if f.value == "" {
			continue
		}
		if err := validateInfoURI(f.value); err != nil {
			return metadataError("%s %s %s", f.name, quoteTrunc(f.value), reason(err))
		}
	}
	return nil
}

// validateInfoURI accepts the URIs a consent page may link to or load:
// https, or loopback http for local development. A fragment is harmless
// here, so unlike redirect URIs one is allowed.
func validateInfoURI(raw string) error {
	u, err := parseURI(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return uriErrorf("must be an https URL")
	}
	_, err = classify(raw, u)
	return err
}

func checkScope(m *Metadata, opts Options) *Error {
	var scopes []string
	// Split on single spaces (RFC 6749 §3.3) but tolerate repeated ones;
	// any other whitespace fails the scope-token check below.
	for _, s := range strings.Split(m.Scope, " ") {
		if s == "" || slices.Contains(scopes, s) {
			continue
		}
		if !oauth.ValidScopeToken(s) {
			return metadataError("scope %s contains characters RFC 6749 §3.3 does not allow", quoteTrunc(s))
		}
		if len(opts.AllowedScopes) > 0 && !slices.Contains(opts.AllowedScopes, s) {
			if opts.StrictScopes {
				return metadataError("scope %s is not supported; supported: %s", quoteTrunc(s), strings.Join(opts.AllowedScopes, " "))
			}
			continue // e.g. Claude.ai's "claudeai"
		}
		scopes = append(scopes, s)
	}
	m.Scope = strings.Join(scopes, " ")
	return nil
}

func checkContacts(m *Metadata, _ Options) *Error {
	if len(m.Contacts) > maxContacts {
		return metadataError("contacts has %d entries, at most %d are allowed", len(m.Contacts), maxContacts)
	}
	for i, c := range m.Contacts {
		if c == "" || len(c) > maxContactLen || !displaySafe(c) {
			return metadataError("contacts[%d] must be a non-empty string of at most %d bytes without control characters", i, maxContactLen)
		}
	}
	return nil
}

func checkSoftware(m *Metadata, _ Options) *Error {
	for _, f := range []struct{ name, value string }{
		{"software_id", m.SoftwareID},
		{"software_version", m.SoftwareVersion},
	} {
		if len(f.value) > maxSoftwareLength || !displaySafe(f.value) {
			return metadataError("%s must be at most %d bytes without control characters", f.name, maxSoftwareLength)
		}
	}
	return nil
}

// IsPublic reports whether the client authenticates with no secret, so the
// handler issues none.
func (m Metadata) IsPublic() bool {
	return m.TokenEndpointAuthMethod == oauth.AuthNone
}

// Client builds the record to store for metadata returned by
// ParseRegistration. secretHash is empty for public clients. Contacts,
// tos_uri, policy_uri, jwks_uri and software_* are validated but not kept:
// store.Client has no place for them and mcpgate has no use for them.
func (m Metadata) Client(id, secretHash string, now time.Time) store.Client {
	return store.Client{
		ID:                      id,
		SecretHash:              secretHash,
		Name:                    m.ClientName,
		RedirectURIs:            slices.Clone(m.RedirectURIs),
		GrantTypes:              slices.Clone(m.GrantTypes),
		ResponseTypes:           slices.Clone(m.ResponseTypes),
		TokenEndpointAuthMethod: m.TokenEndpointAuthMethod,
		ApplicationType:         m.ApplicationType,
		Scope:                   m.Scope,
		ClientURI:               m.ClientURI,
		LogoURI:                 m.LogoURI,
		Source:                  oauth.SourceDCR,
		CreatedAt:               now,
	}
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
