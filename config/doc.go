// Package config owns mcpgate's configuration: the Config schema, its
// defaults, loading it from one YAML file plus MCPGATE_* environment
// variables (with secrets optionally read from files), validating it with
// every problem reported at once, and the values derived from it (issuer,
// resource and callback URLs, upstream scopes, store location).
//
// Other packages take the derived values from here rather than recomputing
// them, so that the issuer advertised in metadata, the one put in tokens and
// the one checked on the way back can never disagree.
//
// The package does no I/O beyond reading the config and secret files (and,
// in Validate and the helpers that use them, the CA and JWKS files the
// configuration names): it neither opens the store nor contacts the
// identity provider.
package config
