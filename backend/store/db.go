package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DB is the storage core: the storage contract, implemented once on top of any engine's
// Driver. Methods are named Noun+Verb, take a params struct where more than an id is needed,
// and are safe for concurrent use; the reads are the driver's Reader, embedded. Each
// method is one use case in one transaction, shaped the same on every engine: the household
// row first (Executor.HouseholdLockBump), then what the use case reads and writes. The rules
// that are not SQL live here and only here: what a sync push writes (package sync/server),
// notice ids, check-in effects, the digest threshold, the lead of a care team.
type DB struct {
	Reader // the driver's reads outside a transaction
	d      Driver
}

// New returns the storage core over d. The DB owns d: Close closes it.
func New(d Driver) *DB { return &DB{Reader: d.Executor(), d: d} }

// Driver returns the engine under the core, for engine-specific tooling and tests.
func (db *DB) Driver() Driver { return db.d }

// Migrate applies every pending schema migration.
func (db *DB) Migrate(ctx context.Context) error {
	_, err := db.d.Migrate(ctx)
	return err
}

// MigrateUp applies every pending schema migration and returns those it applied, in order:
// none when the schema was up to date.
func (db *DB) MigrateUp(ctx context.Context) ([]Migration, error) { return db.d.Migrate(ctx) }

// MigrationStatus lists every migration this binary carries, in order, applied or pending.
func (db *DB) MigrationStatus(ctx context.Context) ([]Migration, error) {
	return db.d.MigrationStatus(ctx)
}

// MigrationsPending reports whether the schema lacks migrations this binary carries.
func (db *DB) MigrationsPending(ctx context.Context) (bool, error) {
	return db.d.MigrationsPending(ctx)
}

// Close releases the store's connections.
func (db *DB) Close() error { return db.d.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.d.Ping(ctx) }

// PoolStats reports the driver's connection pool; ok is false for a driver that keeps none.
func (db *DB) PoolStats() (stats PoolStats, ok bool) {
	if p, is := db.d.(PoolStatser); is {
		return p.PoolStats(), true
	}
	return PoolStats{}, false
}

// read is the executor for reads outside a transaction.
func (db *DB) read() Executor { return db.d.Executor() }

// write runs f in one write transaction (retried as a whole on serialization failures).
func (db *DB) write(ctx context.Context, f func(ctx context.Context, tx Executor) error) error {
	return db.d.Tx(ctx, f)
}

// lockHousehold locks and bumps one household, the first row every write to its data takes,
// and returns its new version; an unknown household is ErrNotFound.
func lockHousehold(ctx context.Context, tx Executor, householdID string, now time.Time) (int64, error) {
	vs, err := tx.HouseholdLockBump(ctx, HouseholdLockBumpParams{IDs: []string{householdID}, Now: now})
	if err != nil {
		return 0, err
	}
	if len(vs) == 0 {
		return 0, fmt.Errorf("household %s: %w", householdID, ErrNotFound)
	}
	return vs[0].Version, nil
}

// isNotFound reports ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// utcPtr is t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
