package storeopen_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storeopen"
)

func TestParse(t *testing.T) {
	tests := []struct {
		url  string
		kind storeopen.Kind
		path string
	}{
		{"postgres://u:p@db:5432/veilig", storeopen.KindPostgres, ""},
		{"postgresql://db/veilig?sslmode=require", storeopen.KindPostgres, ""},
		{"sqlite:///var/lib/veilig/veilig.db", storeopen.KindSQLite, "/var/lib/veilig/veilig.db"},
		{"sqlite://data/veilig.db", storeopen.KindSQLite, "data/veilig.db"},
		{"file:data/veilig.db", storeopen.KindUnknown, ""},
		{"veilig.db", storeopen.KindUnknown, ""},
		{"", storeopen.KindUnknown, ""},
		{"sqlite://", storeopen.KindUnknown, ""},
		{"mysql://u:p@db/veilig", storeopen.KindUnknown, ""},
	}
	for _, tt := range tests {
		kind, path := storeopen.Parse(tt.url)
		if kind != tt.kind || path != tt.path {
			t.Errorf("Parse(%q) = %v, %q; want %v, %q", tt.url, kind, path, tt.kind, tt.path)
		}
	}
}

func TestOpenErrorsDoNotRepeatTheURL(t *testing.T) {
	for _, url := range []string{"mysql://user:hunter2@db/veilig", "postgres://user:hunter2@db:notaport/veilig"} {
		_, err := storeopen.Open(context.Background(), url)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", url)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open error leaks the password: %v", err)
		}
	}
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		name, url string
		kind      storeopen.Kind
		path      string
	}{
		{"postgres", "postgres://veilig:pw@db.internal:5432/veilig?sslmode=verify-full", storeopen.KindPostgres, ""},
		{"postgresql", "postgresql://db/veilig", storeopen.KindPostgres, ""},
		{"CockroachDB through the postgres scheme", "postgresql://root@crdb:26257/veilig?sslmode=disable", storeopen.KindPostgres, ""},
		{"sqlite absolute", "sqlite:///srv/veilig/data.db", storeopen.KindSQLite, "/srv/veilig/data.db"},
		{"sqlite relative", "sqlite://data.db", storeopen.KindSQLite, "data.db"},
		{"file: is not a scheme we take", "file:/srv/veilig/data.db", storeopen.KindUnknown, ""},
		{"plain absolute path", "/srv/veilig/data.db", storeopen.KindUnknown, ""},
		{"plain relative path", "data/veilig.db", storeopen.KindUnknown, ""},
		{"host and port without a scheme", "localhost:5432/veilig", storeopen.KindUnknown, ""},
		{"Windows path", `C:\veilig\data.db`, storeopen.KindUnknown, ""},
		{"empty", "", storeopen.KindUnknown, ""},
		{"sqlite without path", "sqlite://", storeopen.KindUnknown, ""},
		{"file without path", "file:", storeopen.KindUnknown, ""},
		{"mysql", "mysql://x", storeopen.KindUnknown, ""},
		{"mysql with credentials", "mysql://user:hunter2@host/db", storeopen.KindUnknown, ""},
		{"https", "https://db.example/veilig", storeopen.KindUnknown, ""},
		{"postgres look-alike", "postgresx://db/veilig", storeopen.KindUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, path := storeopen.Parse(tt.url)
			if kind != tt.kind || path != tt.path {
				t.Fatalf("Parse(%q) = %v, %q; want %v, %q", tt.url, kind, path, tt.kind, tt.path)
			}
			if kind != storeopen.KindSQLite && path != "" {
				t.Fatalf("Parse(%q) gave a path for a non-SQLite engine", tt.url)
			}
		})
	}
}

// TestOpenSQLite opens one database file through every SQLite form: each names the same
// file, so what one form writes, the next reads.
func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "veilig.db")
	forms := []struct{ name, url string }{
		{"sqlite:// first", "sqlite://" + path},
		{"sqlite:// again", "sqlite://" + path},
	}
	for i, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			st, err := storeopen.Open(ctx, f.url)
			if err != nil {
				t.Fatalf("Open(%q): %v", f.url, err)
			}
			defer st.Close()
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if pending, err := st.MigrationsPending(ctx); err != nil || pending {
				t.Fatalf("MigrationsPending after Migrate = %v, %v", pending, err)
			}
			orgs, err := st.OrganizationList(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(orgs) != i {
				t.Fatalf("the database holds %d organizations, want the %d written through the earlier forms", len(orgs), i)
			}
			org := store.Organization{ID: fmt.Sprintf("org-%d", i), Name: "Gemeente " + f.name, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
			if err := st.OrganizationUpsert(ctx, org); err != nil {
				t.Fatal(err)
			}
			got, err := st.OrganizationGet(ctx, org.ID)
			if err != nil || got.Name != org.Name || !got.CreatedAt.Equal(org.CreatedAt) {
				t.Fatalf("OrganizationGet = %+v, %v", got, err)
			}
		})
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database file is not at the given path: %v", err)
	}
}

// TestCheckRefusesURLsWithoutAScheme: a value that names no engine is refused with an error
// that says what to write, quoting the value only when it cannot hold a password.
func TestCheckRefusesURLsWithoutAScheme(t *testing.T) {
	tests := []struct {
		url       string
		wantParts []string
	}{
		{"veilig.db", []string{`"veilig.db" has no scheme`, "sqlite://"}},
		{"localhost:5432/veilig", []string{`"localhost:5432/veilig" has no scheme`, "postgres://"}},
		{"./data/veilig.db", []string{`"./data/veilig.db" has no scheme`}},
		{"user:hunter2@localhost:5432/veilig", []string{"has no scheme", "may hold a password"}},
		{"file:veilig.db", []string{"file: URLs are not taken", "sqlite://PATH"}},
		{"sqlite://", []string{"without a path"}},
		{"mysql://user:hunter2@db/veilig", []string{`unknown scheme "mysql"`}},
		{"", []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := storeopen.Check(tt.url)
			if err == nil {
				t.Fatalf("Check(%q) accepted it", tt.url)
			}
			for _, want := range tt.wantParts {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Check(%q) = %q, want it to say %q", tt.url, err, want)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Check(%q) repeats the password: %v", tt.url, err)
			}
		})
	}
	for _, ok := range []string{"sqlite://veilig.db", "sqlite:///var/lib/veilig/veilig.db", "postgres://db/veilig",
		"postgresql://root@crdb:26257/veilig?sslmode=verify-full"} {
		if err := storeopen.Check(ok); err != nil {
			t.Errorf("Check(%q) = %v, want it accepted", ok, err)
		}
	}
}

// TestOpenErrorsKeepThePasswordOut tries URLs that fail at every stage, each with a password.
func TestOpenErrorsKeepThePasswordOut(t *testing.T) {
	// A loopback port nobody listens on: the PostgreSQL URL parses, the connection is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name, url string
		stage     string // what the error must say failed
	}{
		{"unknown scheme", "mysql://user:hunter2@host/db", "database URL"},
		{"unknown scheme, password in the query", "mongodb://host/db?password=hunter2", "database URL"},
		{"malformed PostgreSQL URL", "postgres://user:hunter2@db:notaport/veilig", "parse PostgreSQL URL"},
		{"malformed PostgreSQL option", "postgresql://user:hunter2@db/veilig?sslmode=hunter2mode", "parse PostgreSQL URL"},
		{"PostgreSQL refusing the connection", "postgres://user:hunter2@" + closed + "/veilig?sslmode=disable&connect_timeout=5", "ping PostgreSQL"},
		{"PostgreSQL refusing, password in the query", "postgres://user@" + closed + "/veilig?sslmode=disable&connect_timeout=5&password=hunter2", "ping PostgreSQL"},
		{"empty", "", "database URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			st, err := storeopen.Open(ctx, tt.url)
			if err == nil {
				st.Close()
				t.Fatalf("Open(%q) succeeded", tt.url)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("Open error leaks the password: %v", err)
			}
			if !strings.Contains(err.Error(), tt.stage) {
				t.Fatalf("Open error %q does not say %q failed", err, tt.stage)
			}
			if tt.url != "" && strings.Contains(err.Error(), tt.url) {
				t.Fatalf("Open error repeats the URL: %v", err)
			}
		})
	}
}
