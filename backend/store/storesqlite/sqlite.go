// Package storesqlite is the embedded storage engine: a store.Driver for SQLite through a
// pure-Go driver (modernc.org/sqlite, no cgo), so that one command starts the backend anywhere.
//
// The package holds SQL and the glue to run it, nothing else: every rule (lock order, what a
// push writes, notice ids, check-in effects, who may see what) lives in the storage core,
// store.DB. The SQL is in queries/*.sql, one file per concept, and sqlc turns it into the
// typed Go of internal/dbsqlc (scripts/generate.sh); the schema is the goose migrations in
// migrations/, embedded in the binary.
//
// SQLite allows one writer at a time. Write transactions go through a pool of one connection
// and begin IMMEDIATE (taking the write lock up front, so a transaction never fails half-way
// on a lock upgrade); that lock serialises writers, so the Executor's lock and claim methods
// are plain statements in the transaction, without FOR UPDATE. Reads outside a transaction
// use a separate pool and, in WAL mode, never wait for the writer. Times are stored as unix
// microseconds in UTC (INTEGER columns).
//
// Because SQLite runs in-process, a …Many method runs one statement per row inside the
// caller's transaction: there is no round trip to save, and each statement text is compiled
// once per transaction (preparedTx). Lists of ids travel as one JSON array read with
// json_each, so any length is one statement.
package storesqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/veilig/veilig/backend/store"
	goosemigrations "github.com/veilig/veilig/backend/store/internal/migrations"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Driver is the SQLite engine under the storage core: store.New(driver).
type Driver struct {
	write *sql.DB // one connection, transactions BEGIN IMMEDIATE
	read  *sql.DB
}

var _ store.Driver = (*Driver)(nil)

// Open opens (creating when absent, with its folder, mode 0700) the database file at path. It
// does not migrate: call Migrate.
func Open(ctx context.Context, path string) (*Driver, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database folder: %w", err)
	}
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	dsn := func(extra string) string {
		return "file:" + (&url.URL{Path: path}).EscapedPath() +
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)" + extra
	}
	write, err := sql.Open("sqlite", dsn("&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn(""))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	read.SetMaxOpenConns(4)
	d := &Driver{write: write, read: read}
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// ownerOnly makes the database file, and its WAL and shared-memory files when they exist,
// readable by the owner only (issue 13, point 6). The file is created here, mode 0600,
// before SQLite opens it: SQLite creates a new database with 0644 (less the umask), whatever
// the folder's mode, and gives its -wal and -shm files the database file's mode. Files left
// more open by an earlier version are narrowed.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check database file mode: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("make database file private: %w", err)
			}
		}
	}
	return nil
}

// Executor implements store.Driver: reads on the read pool.
func (d *Driver) Executor() store.Executor { return &executor{q: dbsqlc.New(d.read)} }

// Tx implements store.Driver. SQLite has no serialization failures to retry: f runs once.
func (d *Driver) Tx(ctx context.Context, f func(ctx context.Context, tx store.Executor) error) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", interpretError(err))
	}
	defer tx.Rollback() // after Commit, a no-op
	if err := f(ctx, &executor{q: dbsqlc.New(&preparedTx{tx: tx, stmts: map[string]*sql.Stmt{}})}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", interpretError(err))
	}
	return nil
}

// LockedTx implements store.Driver: SQLite's write transactions are serial already, so it is
// Tx.
func (d *Driver) LockedTx(ctx context.Context, f func(ctx context.Context, tx store.Executor) error) error {
	return d.Tx(ctx, f)
}

func (d *Driver) migrations() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, d.write, sub)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migrate implements store.Driver.
func (d *Driver) Migrate(ctx context.Context) ([]store.Migration, error) {
	p, err := d.migrations()
	if err != nil {
		return nil, err
	}
	applied, err := goosemigrations.Up(ctx, p)
	if err != nil {
		return applied, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// MigrationStatus implements store.Driver.
func (d *Driver) MigrationStatus(ctx context.Context) ([]store.Migration, error) {
	p, err := d.migrations()
	if err != nil {
		return nil, err
	}
	list, err := goosemigrations.Status(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	return list, nil
}

// MigrationsPending implements store.Driver.
func (d *Driver) MigrationsPending(ctx context.Context) (bool, error) {
	p, err := d.migrations()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check migrations: %w", err)
	}
	return pending, nil
}

// Ping implements store.Driver.
func (d *Driver) Ping(ctx context.Context) error {
	if err := d.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", interpretError(err))
	}
	return nil
}

// Close implements store.Driver.
func (d *Driver) Close() error { return errors.Join(d.read.Close(), d.write.Close()) }

// executor runs the store.Executor operations on the read pool or in a write transaction.
type executor struct{ q *dbsqlc.Queries }

var _ store.Executor = (*executor)(nil)

// interpretError turns SQLite's errors into the store's, by code: a missing row is
// store.ErrNotFound, a unique or primary-key violation store.ErrConflict, a database file that
// is busy past the busy timeout, locked, unreadable or cannot be opened (and a pool closed
// under a statement) store.ErrUnavailable. Everything else, context errors included (the
// driver returns ctx.Err() for an interrupted statement), is returned as it is.
func interpretError(err error) error {
	var se *sqlite.Error
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY):
		return fmt.Errorf("%w: %v", store.ErrConflict, se)
	case errors.As(err, &se):
		// Extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_READ, …) keep their primary code
		// in the low byte.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL:
			return store.Unavailable(sqlite.ErrorCodeString[se.Code()&0xff], err)
		}
	case errors.Is(err, sql.ErrConnDone):
		return store.Unavailable("connection closed", err)
	}
	return err
}

// res finishes every generated call with interpretError.
var res = store.Results{Interpret: interpretError}

// each runs one statement per row, in the caller's transaction.
func each[T any](what string, rows []T, exec func(T) error) error {
	for _, r := range rows {
		if err := exec(r); err != nil {
			return res.Err(what, err)
		}
	}
	return nil
}

// Times are INTEGER unix microseconds in UTC.

func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// microsPtr is t in microseconds, or NULL.
func microsPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	us := micros(*t)
	return &us
}

// timePtr turns a nullable microsecond column into a *time.Time.
func timePtr(us *int64) *time.Time {
	if us == nil {
		return nil
	}
	t := fromMicros(*us)
	return &t
}

// jsonRows encodes rows for `SELECT json_extract(j.value, '$[0]'), … FROM json_each(?) AS j`:
// one JSON array holding each row as an array of its column values, in the order the
// statement reads them (strings, integers, booleans as 1 or 0). One statement then writes any
// number of rows; SQLite reads JSON integers as 64-bit integers, so stamps keep every bit.
func jsonRows[T any](rows []T, columns func(T) []any) string {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = columns(r)
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(fmt.Sprintf("encode rows: %v", err)) // strings, integers and booleans always encode
	}
	return string(b)
}

// jsonList encodes a list for `IN (SELECT value FROM json_each(?))`.
func jsonList(ids []string) string {
	if ids == nil {
		ids = []string{}
	}
	b, _ := json.Marshal(ids) // a []string always encodes
	return string(b)
}
