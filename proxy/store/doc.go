// Package store defines the persistence seam of mcpgate: the records the
// authorization server keeps (clients, pending authorizations, codes,
// refresh-token families and the upstream grants behind them, consents,
// signing keys, server secrets) and the Store interface every backend
// implements.
//
// Implementations live in sub-packages (memory, sqlite, ...) and all run the
// same conformance suite in storetest. Secrets (authorization codes, refresh
// tokens, client secrets) are never stored in clear: callers pass hashes.
package store
