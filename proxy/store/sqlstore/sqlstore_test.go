package sqlstore

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// These tests need no database: the backends' conformance runs cover
// behaviour; here the generated SQL and the schema are checked against the
// column lists, which is where a new field would be forgotten.

type tableInfo struct {
	name                               string
	cols                               []string
	nkey                               int
	insert, get, lock, update, del, gc string
}

func info[R any](t *table[R]) tableInfo {
	return tableInfo{t.name, t.cols, t.nkey, t.insertSQL, t.getSQL, t.lockSQL, t.updateSQL, t.deleteSQL, t.gcSQL}
}

var tables = []tableInfo{info(clients), info(authRequests), info(authCodes), info(refreshTokens), info(consents), info(signingKeys), info(upstreamGrants), info(personalTokens), info(grants)}

var placeholder = regexp.MustCompile(`\$(\d+)`)

var addColumn = regexp.MustCompile(`ALTER TABLE (\w+) ADD COLUMN (\w+)`)

// maxParam is the highest $N in query: the number of arguments it takes.
func maxParam(query string) int {
	n := 0
	for _, m := range placeholder.FindAllStringSubmatch(query, -1) {
		i, _ := strconv.Atoi(m[1])
		n = max(n, i)
	}
	return n
}

func TestStatementArity(t *testing.T) {
	for _, tb := range tables {
		n := len(tb.cols)
		for _, tc := range []struct {
			what  string
			query string
			want  int
		}{
			{"insert", tb.insert, n + 1}, // the columns, then now
			{"get", tb.get, tb.nkey + 1}, // the key, then now
			{"lock", tb.lock, tb.nkey + 1},
			{"update", tb.update, n},
			{"delete", tb.del, tb.nkey + 1},
			{"gc", tb.gc, 1},
		} {
			if got := maxParam(tc.query); got != tc.want {
				t.Errorf("%s %s takes %d parameters, want %d: %s", tb.name, tc.what, got, tc.want, tc.query)
			}
		}
		if cols := strings.Count(tb.insert[:strings.Index(tb.insert, "VALUES")], ",") + 1; cols != n {
			t.Errorf("%s insert names %d columns, want %d", tb.name, cols, n)
		}
		if tb.cols[n-1] != "expires_at" {
			t.Errorf("%s: last column is %s, want expires_at", tb.name, tb.cols[n-1])
		}
	}
}

// TestStatementsComposite pins the SQL of the one table with a two-column
// key, which is where a generator bug would show.
func TestStatementsComposite(t *testing.T) {
	for got, want := range map[string]string{
		consents.insertSQL: "INSERT INTO consents (subject, client_id, scopes, resources, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) " +
			"ON CONFLICT (subject, client_id) DO UPDATE SET scopes = excluded.scopes, resources = excluded.resources, created_at = excluded.created_at, expires_at = excluded.expires_at " +
			"WHERE consents.expires_at < $7",
		consents.getSQL: "SELECT subject, client_id, scopes, resources, created_at, expires_at FROM consents " +
			"WHERE subject = $1 AND client_id = $2 AND (consents.expires_at IS NULL OR consents.expires_at >= $3)",
		consents.updateSQL: "UPDATE consents SET scopes = $3, resources = $4, created_at = $5, expires_at = $6 WHERE subject = $1 AND client_id = $2",
		consents.deleteSQL: "DELETE FROM consents WHERE subject = $1 AND client_id = $2 AND (consents.expires_at IS NULL OR consents.expires_at >= $3)",
		consents.gcSQL:     "DELETE FROM consents WHERE consents.expires_at < $1",
		authCodes.gcSQL:    "DELETE FROM auth_codes WHERE (auth_codes.expires_at IS NULL OR auth_codes.expires_at < $1)",
	} {
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

// TestSchemaMatchesTables checks that every table's CREATE TABLE, with the
// columns later migrations add, has exactly its column list (in any order:
// the statements name their columns), once both dialects' types are
// filled in.
func TestSchemaMatchesTables(t *testing.T) {
	for _, bytes := range []string{"BLOB", "BYTEA"} {
		ddl := strings.NewReplacer("{{bytes}}", bytes).Replace(strings.Join(migrations, "\n"))
		if strings.Contains(ddl, "{{") {
			t.Errorf("unreplaced placeholder in the schema for %s", bytes)
		}
		for _, tb := range append(tables, tableInfo{name: "claims", cols: []string{"key", "expires_at"}}) {
			got := columns(ddl, tb.name)
			want := slices.Clone(tb.cols)
			slices.Sort(got)
			slices.Sort(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("CREATE TABLE %s has columns %v, the statements use %v", tb.name, got, tb.cols)
			}
		}
	}
}

// columns lists the column names in the CREATE TABLE of name in ddl.
func columns(ddl, name string) []string {
	_, body, ok := strings.Cut(ddl, "CREATE TABLE "+name+" (\n")
	if !ok {
		return nil
	}
	body, _, _ = strings.Cut(body, "\n);")
	var cols []string
	for line := range strings.SplitSeq(body, "\n") {
		field := strings.Fields(line)
		if len(field) > 0 && field[0] != "PRIMARY" {
			cols = append(cols, field[0])
		}
	}
	for _, m := range addColumn.FindAllStringSubmatch(ddl, -1) {
		if m[1] == name {
			cols = append(cols, m[2])
		}
	}
	return cols
}
