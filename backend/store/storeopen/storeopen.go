// Package storeopen opens the storage a database URL names: the engine's driver under the
// storage core (store.DB). Engines are wired here, explicitly, never by init() registration.
package storeopen

import (
	"context"
	"errors"
	"strings"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx"
	"github.com/veilig/veilig/backend/store/storesqlite"
)

// Open opens the engine for databaseURL:
//
//	postgres://… or postgresql://…   PostgreSQL or CockroachDB
//	sqlite://PATH, file:PATH or PATH the embedded SQLite database at PATH
//
// The URL may hold a password, so it never appears in an error.
func Open(ctx context.Context, databaseURL string) (*store.DB, error) {
	d, err := OpenDriver(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	return store.New(d), nil
}

// OpenDriver opens the engine's driver for databaseURL, as Open does.
func OpenDriver(ctx context.Context, databaseURL string) (store.Driver, error) {
	kind, path := Parse(databaseURL)
	switch kind {
	case KindPostgres:
		return storepgx.Open(ctx, databaseURL)
	case KindSQLite:
		return storesqlite.Open(ctx, path)
	default:
		return nil, errors.New("database URL: want postgres://…, postgresql://…, sqlite://PATH or a file path")
	}
}

// Kind is a storage engine.
type Kind int

// The engines.
const (
	KindUnknown Kind = iota
	KindSQLite
	KindPostgres
)

// Parse names the engine of a database URL and, for SQLite, the file path.
func Parse(databaseURL string) (Kind, string) {
	switch {
	case databaseURL == "":
		return KindUnknown, ""
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return KindPostgres, ""
	case strings.HasPrefix(databaseURL, "sqlite://"):
		return pathKind(strings.TrimPrefix(databaseURL, "sqlite://"))
	case strings.HasPrefix(databaseURL, "file:"):
		return pathKind(strings.TrimPrefix(databaseURL, "file:"))
	case strings.Contains(databaseURL, "://"):
		return KindUnknown, ""
	default:
		return pathKind(databaseURL)
	}
}

func pathKind(p string) (Kind, string) {
	if p == "" {
		return KindUnknown, ""
	}
	return KindSQLite, p
}
