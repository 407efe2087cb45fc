// Package storepgx is the storage engine for PostgreSQL and CockroachDB, through a pgx/v5
// connection pool.
//
// # One SQL dialect for two databases
//
// CockroachDB cannot run on the machines where this code is developed and tested, so the SQL
// here is kept, by rule, to the subset both engines document and run, and the tests run it on
// a real PostgreSQL:
//
//   - Types: TEXT, BOOL, INT4, BIGINT, TIMESTAMPTZ, JSONB. No SERIAL or sequences (ids come
//     from the application), no enums, no arrays in tables.
//   - Statements: INSERT … ON CONFLICT (…) DO UPDATE/NOTHING with excluded.*, RETURNING,
//     UPDATE … RETURNING, EXISTS subqueries, multi-argument unnest() of typed array
//     parameters for set-based inserts, LIMIT. Partial indexes (CockroachDB ≥ 20.2).
//     UPDATE … FROM unnest(…), row-value IN (SELECT …), data-modifying CTEs that write each
//     table at most once (the version bump and its sync poke), and SELECT … FOR UPDATE SKIP
//     LOCKED for the scheduler's claims (CockroachDB ≥ 22.2; see reminders.go).
//   - Never: LISTEN/NOTIFY, advisory locks (pg_advisory_*), txid_*/pg_snapshot_* or xmin,
//     SKIP LOCKED outside the scheduler's claims, temporary tables,
//     triggers, stored functions, sequences' currval/setval, DDL outside migrations.
//   - Isolation: every transaction is SERIALIZABLE (CockroachDB's default and PostgreSQL's
//     strictest), so both engines may abort a transaction with SQLSTATE 40001.
//
// # Write transactions and retries
//
// Every write runs through the retry loop of cockroach-go/v2 (crdb.ExecuteInTx, the loop behind
// crdbpgxv5.ExecuteTx) with an adapter that restarts the whole transaction on a retryable
// error. crdbpgxv5.ExecuteTx itself is not used on its own because its savepoint protocol
// (SAVEPOINT cockroach_restart … RELEASE) is CockroachDB-specific in two ways that lose or
// stall writes on PostgreSQL: a rolled-back savepoint keeps PostgreSQL's transaction
// snapshot, so a 40001 repeats on every retry, and a serialization failure reported at COMMIT
// is ignored because RELEASE is assumed to have committed. The adapter commits at RELEASE
// (so a COMMIT-time 40001 is seen and retried) and begins a fresh transaction at ROLLBACK TO
// SAVEPOINT. On CockroachDB a full client-side restart is the documented alternative to the
// savepoint protocol, so one tested path serves both engines.
//
// Single-statement writes run through the same loop: under contention either engine may
// abort them with 40001 too.
package storepgx

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/cockroach-go/v2/crdb"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/veilig/veilig/backend/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL/CockroachDB engine of store.Store.
type Store struct {
	pool       *pgxpool.Pool
	onRetry    func(error)
	retries    atomic.Int64
	maxRetries int
}

var _ store.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithRetryHook calls f with the error of every transaction attempt that is retried
// (SQLSTATE 40001). Tests use it to see a conflict being resolved; servers to count them.
func WithRetryHook(f func(error)) Option { return func(s *Store) { s.onRetry = f } }

// WithMaxRetries bounds how often one write transaction is retried (default 50).
func WithMaxRetries(n int) Option { return func(s *Store) { s.maxRetries = n } }

// Open connects to the database at url (postgres://… or postgresql://…). It does not migrate.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error can quote the URL, password included.
		return nil, errors.New("parse PostgreSQL URL: malformed connection string")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	s := &Store{pool: pool, maxRetries: 50}
	for _, o := range opts {
		o(s)
	}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Retries reports how many transaction attempts were retried since Open.
func (s *Store) Retries() int64 { return s.retries.Load() }

// migrations returns a goose provider over pgx's database/sql adapter; close the *sql.DB
// after use.
func (s *Store) migrations() (*goose.Provider, *sql.DB, error) {
	db := stdlib.OpenDBFromPool(s.pool)
	sub, err := fs.Sub(migrations, "migrations")
	if err == nil {
		var p *goose.Provider
		if p, err = goose.NewProvider(goose.DialectPostgres, db, sub); err == nil {
			return p, db, nil
		}
	}
	db.Close()
	return nil, nil, fmt.Errorf("migrations: %w", err)
}

// Migrate implements store.Store.
func (s *Store) Migrate(ctx context.Context) error {
	p, db, err := s.migrations()
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// MigrationsPending implements store.Store.
func (s *Store) MigrationsPending(ctx context.Context) (bool, error) {
	p, db, err := s.migrations()
	if err != nil {
		return false, err
	}
	defer db.Close()
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check migrations: %w", err)
	}
	return pending, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping PostgreSQL: %w", err)
	}
	return nil
}

var txOptions = pgx.TxOptions{IsoLevel: pgx.Serializable}

// tx runs f in a SERIALIZABLE transaction, retried as a whole on SQLSTATE 40001. f may run
// more than once and must have no effect outside the transaction. Errors from f must wrap
// the driver's error (%w) so that the retry loop can see the SQLSTATE.
func (s *Store) tx(ctx context.Context, f func(pgx.Tx) error) error {
	a := &restartTx{s: s}
	if err := a.begin(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	err := crdb.ExecuteInTx(crdb.WithMaxRetries(ctx, s.maxRetries), a, func() error {
		a.last = f(a.tx)
		return a.last
	})
	var maxErr *crdb.MaxRetriesExceededError
	if errors.As(err, &maxErr) {
		return fmt.Errorf("write abandoned after %d serialization conflicts: %w", s.maxRetries, err)
	}
	return err
}

// restartTx adapts a pgx transaction to crdb.Tx, turning cockroach-go's savepoint protocol
// into whole-transaction restarts (see the package doc).
type restartTx struct {
	s         *Store
	tx        pgx.Tx
	committed bool
	last      error // the error of the latest attempt, for the retry hook
	attempt   int
}

// backoff waits before retry n: exponential from 1 ms, capped at 64 ms, with full jitter. On
// PostgreSQL every transaction that waited for a household's row lock fails with 40001 when
// the holder commits; spreading the retries keeps a burst of writers to one household from
// failing in lockstep.
func backoff(ctx context.Context, n int) error {
	limit := time.Millisecond << min(n-1, 6)
	t := time.NewTimer(rand.N(limit) + time.Millisecond/10)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

const (
	savepoint         = "SAVEPOINT cockroach_restart"
	releaseSavepoint  = "RELEASE SAVEPOINT cockroach_restart"
	rollbackSavepoint = "ROLLBACK TO SAVEPOINT cockroach_restart"
)

func (a *restartTx) begin(ctx context.Context) error {
	tx, err := a.s.pool.BeginTx(ctx, txOptions)
	if err != nil {
		return err
	}
	a.tx, a.committed = tx, false
	return nil
}

// Exec implements crdb.Tx; the loop only sends the three savepoint statements.
func (a *restartTx) Exec(ctx context.Context, q string, _ ...any) error {
	switch q {
	case savepoint:
		return nil
	case releaseSavepoint:
		err := a.tx.Commit(ctx)
		if err == nil {
			a.committed = true
		}
		a.last = err
		return err
	case rollbackSavepoint:
		_ = a.tx.Rollback(ctx)
		a.s.retries.Add(1)
		if a.s.onRetry != nil {
			a.s.onRetry(a.last)
		}
		a.attempt++
		if err := backoff(ctx, a.attempt); err != nil {
			return err
		}
		if err := a.begin(ctx); err != nil {
			return fmt.Errorf("restart transaction: %w", err)
		}
		return nil
	default:
		return fmt.Errorf("unexpected statement from the retry loop: %q", q)
	}
}

// Commit implements crdb.Tx: the commit already happened at RELEASE.
func (a *restartTx) Commit(context.Context) error {
	if !a.committed {
		return errors.New("transaction not committed")
	}
	return nil
}

// Rollback implements crdb.Tx.
func (a *restartTx) Rollback(ctx context.Context) error {
	if a.committed {
		return nil
	}
	return a.tx.Rollback(ctx)
}

// exec runs one write statement as its own retried transaction.
func (s *Store) exec(ctx context.Context, what, q string, args ...any) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// bumpHousehold raises a household's version in tx and returns the new version; this is
// what makes the per-household version a gap-free sync cursor. The same statement records
// the household in sync_pokes, so its devices get a "please sync" push.
func bumpHousehold(ctx context.Context, tx pgx.Tx, householdID string, now time.Time) (int64, error) {
	var v int64
	err := tx.QueryRow(ctx,
		`WITH b AS (UPDATE households SET version = version + 1, updated_at = $1 WHERE id = $2 RETURNING id, version),
		      p AS (INSERT INTO sync_pokes (household_id, version) SELECT id, version FROM b
		            ON CONFLICT (household_id) DO UPDATE SET version = excluded.version)
		 SELECT version FROM b`,
		now.UTC(), householdID).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("household %s: %w", householdID, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("bump household %s: %w", householdID, err)
	}
	return v, nil
}

// notFound turns pgx.ErrNoRows into store.ErrNotFound.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isUniqueViolation reports SQLSTATE 23505 (both engines use it).
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// utc normalises a time read from the database.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr is t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
