// Package sqlstore is the store.Store logic shared by the SQL backends
// (sqlite, postgres): the schema, the statements, the record codecs, the
// read-modify-write transactions and garbage collection, written once.
//
// The SQL is the portable subset both engines accept: $N placeholders,
// INSERT ... ON CONFLICT upserts, times as BIGINT unix milliseconds (NULL for
// the zero time), lists and identities as JSON text, and expiry compared
// with a now parameter rather than a database clock, so that the replicas'
// clocks decide and not the server's. table.go generates the statements
// from column lists so that they cannot drift from one another.
//
// A backend opens its *sql.DB its own way and hands it to New with a
// Dialect: the few things that really differ (the byte column type, whether
// a read-modify-write must lock its row, how concurrent migrations are kept
// apart, and what the driver's errors mean).
package sqlstore
