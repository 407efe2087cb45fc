package storepgx

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/cockroach-go/v2/crdb"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/veilig/veilig/backend/store"
	goosemigrations "github.com/veilig/veilig/backend/store/internal/migrations"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Driver is the PostgreSQL/CockroachDB engine of the storage core: store.New(driver).
type Driver struct {
	pool       *pgxpool.Pool
	onRetry    func(error)
	maxRetries int
	retries    atomic.Int64
	// cockroach is set when the server is CockroachDB, which runs every transaction
	// SERIALIZABLE (LockedTx included).
	cockroach bool
	tracer    pgx.QueryTracer
}

var _ store.Driver = (*Driver)(nil)

// Option configures a Driver.
type Option func(*Driver)

// WithRetryHook calls f with the error of every transaction attempt that is retried
// (SQLSTATE 40001), before the retry. Tests use it to see a conflict being resolved; servers to
// count them.
func WithRetryHook(f func(error)) Option { return func(d *Driver) { d.onRetry = f } }

// WithMaxRetries bounds how often one write transaction is retried after a serialization
// failure (default 50; 0 runs each transaction once).
func WithMaxRetries(n int) Option { return func(d *Driver) { d.maxRetries = n } }

// WithTracer traces every statement the driver sends (pgx.QueryTracer): tests count the
// statements and commits of a use case with it.
func WithTracer(t pgx.QueryTracer) Option { return func(d *Driver) { d.tracer = t } }

// Open connects to the database at url (postgres://… or postgresql://…) and checks that it
// answers. It does not migrate. The URL may hold a password, so it never appears in an error.
func Open(ctx context.Context, url string, opts ...Option) (*Driver, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error can quote the URL, password included.
		return nil, errors.New("parse PostgreSQL URL: malformed connection string")
	}
	// Instants are read back in UTC, as the store promises, for every column at once.
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	d := &Driver{maxRetries: 50}
	for _, o := range opts {
		o(d)
	}
	cfg.ConnConfig.Tracer = d.tracer
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", interpretError(err))
	}
	d.pool = pool
	var version string
	if err := pool.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping PostgreSQL: %w", interpretError(err))
	}
	d.cockroach = strings.Contains(version, "CockroachDB")
	return d, nil
}

// Executor implements store.Driver: each operation runs as its own statement.
func (d *Driver) Executor() store.Executor { return executor{d.pool} }

// Retries reports how many transaction attempts were retried since Open.
func (d *Driver) Retries() int64 { return d.retries.Load() }

var (
	serializable  = pgx.TxOptions{IsoLevel: pgx.Serializable}
	readCommitted = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
)

// Tx implements store.Driver: f runs in a SERIALIZABLE transaction, retried as a whole on
// SQLSTATE 40001 at any statement or at commit (see the package doc). An error of f that is
// not a serialization failure rolls back and is returned as it is.
func (d *Driver) Tx(ctx context.Context, f func(ctx context.Context, tx store.Executor) error) error {
	return d.run(ctx, serializable, f)
}

// maxUniqueRetries bounds how often a LockedTx runs again after a unique violation: one run
// sees the row the other household's transaction committed; a violation that persists is a
// real one and is returned.
const maxUniqueRetries = 3

// LockedTx implements store.Driver: READ COMMITTED on PostgreSQL (the package doc says why
// that is safe for such a transaction), SERIALIZABLE on CockroachDB.
func (d *Driver) LockedTx(ctx context.Context, f func(ctx context.Context, tx store.Executor) error) error {
	if d.cockroach {
		return d.run(ctx, serializable, f)
	}
	unique := 0
	return d.run(ctx, readCommitted, func(ctx context.Context, tx store.Executor) error {
		err := f(ctx, tx)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && unique < maxUniqueRetries {
			unique++
			return retryUnique{err}
		}
		return err
	})
}

// retryUnique makes a unique violation in a LockedTx a retryable failure for crdb.ExecuteCtx,
// which recognises one by its SQLSTATE.
type retryUnique struct{ error }

func (retryUnique) SQLState() string { return "40001" }

func (r retryUnique) Unwrap() error { return r.error }

// run runs f in a transaction of the given isolation, retried as Tx says.
func (d *Driver) run(ctx context.Context, opts pgx.TxOptions, f func(ctx context.Context, tx store.Executor) error) error {
	attempt := 0
	var last error
	err := crdb.ExecuteCtx(crdb.WithMaxRetries(ctx, d.maxRetries), func(ctx context.Context, _ ...any) error {
		if attempt > 0 {
			d.retries.Add(1)
			if d.onRetry != nil {
				d.onRetry(last)
			}
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		attempt++
		last = d.attempt(ctx, opts, f)
		return last
	})
	if maxErr := (*crdb.MaxRetriesExceededError)(nil); errors.As(err, &maxErr) {
		return fmt.Errorf("write abandoned after %d attempts, each a serialization conflict: %w", attempt, err)
	}
	return err
}

// attempt runs f once in a new transaction and commits it.
func (d *Driver) attempt(ctx context.Context, opts pgx.TxOptions, f func(ctx context.Context, tx store.Executor) error) error {
	tx, err := d.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", interpretError(err))
	}
	defer func() { _ = tx.Rollback(ctx) }() // after a commit: nothing left to roll back
	if err := f(ctx, executor{tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", interpretError(err))
	}
	return nil
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

// migrationProvider returns a goose provider over pgx's database/sql adapter; close the
// *sql.DB after use.
func (d *Driver) migrationProvider() (*goose.Provider, *sql.DB, error) {
	db := stdlib.OpenDBFromPool(d.pool)
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

// Migrate implements store.Driver.
func (d *Driver) Migrate(ctx context.Context) ([]store.Migration, error) {
	p, db, err := d.migrationProvider()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	applied, err := goosemigrations.Up(ctx, p)
	if err != nil {
		return applied, fmt.Errorf("migrate: %w", interpretError(err))
	}
	return applied, nil
}

// MigrationStatus implements store.Driver.
func (d *Driver) MigrationStatus(ctx context.Context) ([]store.Migration, error) {
	p, db, err := d.migrationProvider()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	list, err := goosemigrations.Status(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", interpretError(err))
	}
	return list, nil
}

// MigrationsPending implements store.Driver.
func (d *Driver) MigrationsPending(ctx context.Context) (bool, error) {
	p, db, err := d.migrationProvider()
	if err != nil {
		return false, err
	}
	defer db.Close()
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check migrations: %w", interpretError(err))
	}
	return pending, nil
}

// Ping implements store.Driver.
func (d *Driver) Ping(ctx context.Context) error {
	if err := d.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping PostgreSQL: %w", interpretError(err))
	}
	return nil
}

// Close implements store.Driver.
func (d *Driver) Close() error {
	d.pool.Close()
	return nil
}
