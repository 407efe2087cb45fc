// Package storesqlite is the embedded storage engine: SQLite through a pure-Go driver
// (modernc.org/sqlite, no cgo), so that one command starts the backend anywhere.
//
// SQLite allows one writer at a time. Writes go through a pool of one connection whose
// transactions begin IMMEDIATE (taking the write lock up front, so a transaction never fails
// half-way on a lock upgrade); reads use a separate pool and, in WAL mode, never wait for the
// writer. Times are stored as unix microseconds in UTC.
package storesqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/veilig/veilig/backend/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite engine of store.Store.
type Store struct {
	write *sql.DB
	read  *sql.DB
}

var _ store.Store = (*Store)(nil)

// Open opens (creating when absent) the database file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database folder: %w", err)
	}
	dsn := func(extra string) string {
		return "file:" + (&url.URL{Path: path}).EscapedPath() +
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" + extra
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
	s := &Store{write: write, read: read}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrations() (*goose.Provider, error) {
	p, err := goose.NewProvider(goose.DialectSQLite3, s.write, mustSub(migrations, "migrations"))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migrate implements store.Store.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// MigrationsPending implements store.Store.
func (s *Store) MigrationsPending(ctx context.Context) (bool, error) {
	p, err := s.migrations()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check migrations: %w", err)
	}
	return pending, nil
}

// Close implements store.Store.
func (s *Store) Close() error { return errors.Join(s.read.Close(), s.write.Close()) }

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// tx runs f in a write transaction.
func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// bumpHousehold raises a household's version in tx and returns the new version; this is
// what makes the per-household version a gap-free sync cursor.
func bumpHousehold(ctx context.Context, tx *sql.Tx, householdID string, now time.Time) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx,
		`UPDATE households SET version = version + 1, updated_at = ? WHERE id = ? RETURNING version`,
		micros(now), householdID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("household %s: %w", householdID, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("bump household %s: %w", householdID, err)
	}
	// Its devices get a "please sync" push (see SyncPokeDrain).
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_pokes (household_id, version) VALUES (?, ?)
		ON CONFLICT (household_id) DO UPDATE SET version = excluded.version`, householdID, v); err != nil {
		return 0, fmt.Errorf("record sync poke of %s: %w", householdID, err)
	}
	return v, nil
}

func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// notFound turns sql.ErrNoRows into store.ErrNotFound.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// nullMicros is t in microseconds, or NULL when t is nil.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

// timePtr turns a nullable microsecond column into a *time.Time.
func timePtr(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}
