package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migrations are applied in order, each exactly once; migration i brings
// the schema to version i+1. Append only: never edit one that has shipped.
// Both engines run the same text, with {{bytes}} replaced by Dialect.Bytes;
// the rest is types they both know.
//
// Times are BIGINT unix milliseconds, NULL for the zero time. Lists and
// identities are JSON text. There are no foreign keys on purpose: codes,
// tokens and consents must outlive a client record that expires (a cached
// client metadata document) and be removed by their own expiry.
var migrations = []string{
	`CREATE TABLE clients (
	id TEXT NOT NULL PRIMARY KEY,
	secret_hash TEXT NOT NULL,
	name TEXT NOT NULL,
	redirect_uris TEXT NOT NULL,
	grant_types TEXT NOT NULL,
	response_types TEXT NOT NULL,
	token_endpoint_auth_method TEXT NOT NULL,
	application_type TEXT NOT NULL,
	scope TEXT NOT NULL,
	client_uri TEXT NOT NULL,
	logo_uri TEXT NOT NULL,
	source TEXT NOT NULL,
	created_at BIGINT,
	expires_at BIGINT
);
CREATE INDEX clients_expires_at ON clients (expires_at);

CREATE TABLE auth_requests (
	id TEXT NOT NULL PRIMARY KEY,
	client_id TEXT NOT NULL,
	redirect_uri TEXT NOT NULL,
	state TEXT NOT NULL,
	scopes TEXT NOT NULL,
	resource TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	code_challenge_method TEXT NOT NULL,
	browser_hash TEXT NOT NULL,
	consent_given BOOLEAN NOT NULL,
	upstream_state_hash TEXT NOT NULL,
	upstream_nonce TEXT NOT NULL,
	upstream_verifier TEXT NOT NULL,
	identity TEXT,
	created_at BIGINT,
	expires_at BIGINT
);
CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);

CREATE TABLE auth_codes (
	hash TEXT NOT NULL PRIMARY KEY,
	client_id TEXT NOT NULL,
	redirect_uri TEXT NOT NULL,
	scopes TEXT NOT NULL,
	resource TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	code_challenge_method TEXT NOT NULL,
	identity TEXT NOT NULL,
	auth_time BIGINT,
	redeemed BOOLEAN NOT NULL,
	family_id TEXT NOT NULL,
	created_at BIGINT,
	expires_at BIGINT
);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

CREATE TABLE refresh_tokens (
	hash TEXT NOT NULL PRIMARY KEY,
	family_id TEXT NOT NULL,
	client_id TEXT NOT NULL,
	scopes TEXT NOT NULL,
	resource TEXT NOT NULL,
	identity TEXT NOT NULL,
	auth_time BIGINT,
	family_expires_at BIGINT,
	rotated_at BIGINT,
	created_at BIGINT,
	expires_at BIGINT
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE consents (
	subject TEXT NOT NULL,
	client_id TEXT NOT NULL,
	scopes TEXT NOT NULL,
	created_at BIGINT,
	expires_at BIGINT,
	PRIMARY KEY (subject, client_id)
);
CREATE INDEX consents_expires_at ON consents (expires_at);

CREATE TABLE signing_keys (
	id TEXT NOT NULL PRIMARY KEY,
	algorithm TEXT NOT NULL,
	private_key {{bytes}},
	public_key {{bytes}},
	created_at BIGINT,
	active_at BIGINT,
	retired_at BIGINT,
	expires_at BIGINT
);

CREATE TABLE secrets (
	name TEXT NOT NULL PRIMARY KEY,
	value {{bytes}} NOT NULL,
	created_at BIGINT NOT NULL
);`,
	`CREATE TABLE claims (
	key TEXT NOT NULL PRIMARY KEY,
	expires_at BIGINT NOT NULL
);
CREATE INDEX claims_expires_at ON claims (expires_at);`,
	// Consents say which resources they cover; revocations reach every
	// replica's hot path; counters hold limits shared by replicas. Consents
	// from before have no resources, so their users are asked once more.
	`ALTER TABLE consents ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';

CREATE TABLE revocations (
	family_id TEXT NOT NULL PRIMARY KEY,
	revoked_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX revocations_revoked_at ON revocations (revoked_at);
CREATE INDEX revocations_expires_at ON revocations (expires_at);

CREATE TABLE counters (
	key TEXT NOT NULL PRIMARY KEY,
	n BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX counters_expires_at ON counters (expires_at);`,
	// The upstream IdP's grant behind each refresh family: its (sealed)
	// refresh token and when it was last checked.
	`CREATE TABLE upstream_grants (
	family_id TEXT NOT NULL PRIMARY KEY,
	subject TEXT NOT NULL,
	session_id TEXT NOT NULL,
	refresh_token {{bytes}},
	checked_at BIGINT,
	version BIGINT NOT NULL,
	created_at BIGINT,
	expires_at BIGINT
);
CREATE INDEX upstream_grants_expires_at ON upstream_grants (expires_at);
CREATE INDEX upstream_grants_subject ON upstream_grants (subject);`,
	// Which of several upstream IdPs a pending sign-in was sent to.
	`ALTER TABLE auth_requests ADD COLUMN upstream TEXT NOT NULL DEFAULT ''`,
	// Personal access tokens, under the hash of the token.
	`CREATE TABLE personal_tokens (
	hash TEXT NOT NULL PRIMARY KEY,
	id TEXT NOT NULL,
	subject TEXT NOT NULL,
	name TEXT NOT NULL,
	identity TEXT NOT NULL,
	scopes TEXT NOT NULL,
	resources TEXT NOT NULL,
	created_at BIGINT,
	last_used_at BIGINT,
	expires_at BIGINT
);
CREATE INDEX personal_tokens_expires_at ON personal_tokens (expires_at);
CREATE INDEX personal_tokens_subject ON personal_tokens (subject);`,
	// Each refresh family as its user's account page lists it.
	`CREATE TABLE grants (
	family_id TEXT NOT NULL PRIMARY KEY,
	subject TEXT NOT NULL,
	client_id TEXT NOT NULL,
	scopes TEXT NOT NULL,
	resource TEXT NOT NULL,
	created_at BIGINT,
	last_used_at BIGINT,
	expires_at BIGINT
);
CREATE INDEX grants_expires_at ON grants (expires_at);
CREATE INDEX grants_subject ON grants (subject);`,
	// The DPoP key a refresh family is bound to.
	`ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT ''`,
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER NOT NULL PRIMARY KEY,
	applied_at BIGINT NOT NULL
)`

// SchemaVersion is the schema version this build migrates to.
func SchemaVersion() int { return len(migrations) }

// migrate brings the schema up to date, one migration per transaction. Each
// transaction first excludes other migrating processes (LockMigrations, or
// the transaction itself on SQLite), then reads the version: two replicas
// starting on a fresh database serialise, and the second finds the work
// done. The lock comes before CREATE TABLE IF NOT EXISTS too, which
// PostgreSQL does not make safe against a concurrent create.
func migrate(ctx context.Context, db *sql.DB, d *Dialect) error {
	ddl := strings.NewReplacer("{{bytes}}", d.Bytes)
	for {
		done := false
		var version int
		err := inTx(ctx, db, func(tx *sql.Tx) error {
			if d.LockMigrations != nil {
				if err := d.LockMigrations(ctx, tx); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
				return err
			}
			var current int
			if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
				return err
			}
			if current > len(migrations) {
				// An older binary must not write into a schema it
				// does not know.
				return fmt.Errorf("database schema version %d is newer than this build's %d", current, len(migrations))
			}
			if done = current == len(migrations); done {
				return nil
			}
			version = current + 1
			if _, err := tx.ExecContext(ctx, ddl.Replace(migrations[current])); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
				version, time.Now().UnixMilli())
			return err
		})
		switch {
		case err != nil && version > 0:
			return fmt.Errorf("migrate to version %d: %w", version, err)
		case err != nil:
			return fmt.Errorf("migrate: %w", err)
		case done:
			return nil
		}
	}
}
