// Package storeopen opens the storage a database URL names: the engine's driver under the
// storage core (store.DB). Engines are wired here, explicitly, never by init() registration.
package storeopen

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx"
	"github.com/veilig/veilig/backend/store/storesqlite"
)

// Open opens the engine for databaseURL:
//
//	postgres://… or postgresql://…   PostgreSQL or CockroachDB (CockroachDB's own URLs are postgresql://)
//	sqlite://PATH                    the embedded SQLite database at PATH
//
// A URL without one of these schemes is refused (Check), never taken for a file path: a
// PostgreSQL address with its scheme left off would otherwise become a new SQLite file. The
// URL may hold a password, so it never appears in an error.
func Open(ctx context.Context, databaseURL string) (*store.DB, error) {
	d, err := OpenDriver(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	return store.New(d), nil
}

// OpenDriver opens the engine's driver for databaseURL, as Open does.
func OpenDriver(ctx context.Context, databaseURL string) (store.Driver, error) {
	if err := Check(databaseURL); err != nil {
		return nil, err
	}
	kind, path := Parse(databaseURL)
	switch kind {
	case KindPostgres:
		return storepgx.Open(ctx, databaseURL)
	default:
		return storesqlite.Open(ctx, path)
	}
}

// Check reports whether databaseURL names an engine, with an error that says what to write
// instead. The error quotes the URL only when it cannot hold a password (no "@", no query).
func Check(databaseURL string) error {
	if kind, _ := Parse(databaseURL); kind != KindUnknown {
		return nil
	}
	const want = "want postgres://… or postgresql://… (PostgreSQL or CockroachDB) or sqlite://PATH"
	scheme, _, hasScheme := strings.Cut(databaseURL, "://")
	switch {
	case databaseURL == "":
		return errors.New("database URL: empty: " + want)
	case strings.HasPrefix(databaseURL, "file:"):
		return errors.New("database URL: file: URLs are not taken: " + want)
	case databaseURL == "sqlite://":
		return errors.New("database URL: sqlite:// without a path: " + want)
	case hasScheme && !strings.ContainsAny(scheme, "/@?"):
		return fmt.Errorf("database URL: unknown scheme %q: %s", scheme, want)
	default:
		return fmt.Errorf("database URL %s has no scheme: %s, e.g. sqlite://veilig.db or postgres://localhost:5432/veilig", quoteSafe(databaseURL), want)
	}
}

// quoteSafe quotes a URL for an error when it cannot carry a password.
func quoteSafe(u string) string {
	if strings.ContainsAny(u, "@?") {
		return "(not repeated: it may hold a password)"
	}
	return strconv.Quote(u)
}

// Kind is a storage engine.
type Kind int

// The engines.
const (
	KindUnknown Kind = iota
	KindSQLite
	KindPostgres
)

// Parse names the engine of a database URL and, for SQLite, the file path; a URL of no known
// scheme, a bare path included, is KindUnknown.
func Parse(databaseURL string) (Kind, string) {
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return KindPostgres, ""
	case strings.HasPrefix(databaseURL, "sqlite://") && len(databaseURL) > len("sqlite://"):
		return KindSQLite, strings.TrimPrefix(databaseURL, "sqlite://")
	default:
		return KindUnknown, ""
	}
}
