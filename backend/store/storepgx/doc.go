// Package storepgx is the PostgreSQL and CockroachDB driver of the storage core (store.DB),
// through a pgx/v5 connection pool. It holds SQL and the glue to run it, nothing else: every
// rule (lock order, what a sync push writes, notice ids, check-in effects, who may see what)
// lives once, in package store, and is the same on every engine.
//
// The SQL is in queries/*.sql, one file per concept; sqlc turns it into typed Go in
// internal/dbsqlc against the schema the migrations build (sqlc.yaml; regenerate with
// scripts/generate.sh, never edit the generated files). The hand-written Go converts those
// rows to and from the store's types, one function per record type, and interprets the
// database's errors once (interpretError). It must never decide anything a rule decides.
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
//     UPDATE … RETURNING, EXISTS subqueries, LIMIT, partial indexes (CockroachDB ≥ 20.2).
//     Set-based writes pass one typed array parameter per column and zip them with unnest()
//     in a select list (SELECT unnest($1::TEXT[]), unnest($2::BIGINT[]) …: PostgreSQL ≥ 10
//     and CockroachDB zip set-returning functions of a select list row by row; sqlc does not
//     type the multi-argument unnest of a FROM clause). UPDATE … FROM such a subquery,
//     = ANY($1::TEXT[]), row-value IN (SELECT …), data-modifying CTEs that write each table
//     at most once (the version bump and its sync poke), one view (household_viewers), and
//     SELECT … FOR UPDATE SKIP LOCKED for the scheduler's claims (CockroachDB ≥ 22.2; see
//     queries/schedules.sql).
//   - Never: LISTEN/NOTIFY, advisory locks (pg_advisory_*), txid_*/pg_snapshot_* or xmin,
//     SKIP LOCKED outside the scheduler's claims, temporary tables, triggers, stored
//     functions, sequences' currval/setval, DDL outside migrations.
//   - Isolation: every transaction is SERIALIZABLE (CockroachDB's default and PostgreSQL's
//     strictest), so both engines may abort a transaction with SQLSTATE 40001; except that a
//     LockedTx (a sync push) runs at READ COMMITTED on PostgreSQL, behind the household row
//     locks it takes first (docs/storage.md says why that is equivalent).
//
// # Write transactions and retries
//
// Driver.Tx runs its function through cockroach-go/v2's whole-function retry helper,
// crdb.ExecuteCtx: each attempt begins a fresh SERIALIZABLE transaction, runs the function and
// commits, all inside the retried function, so a serialization failure (SQLSTATE 40001) at
// any statement or at COMMIT restarts the whole transaction. The helper recognises the
// failure by its SQLSTATE (pgconn.PgError.SQLState), which is why every error here wraps the
// driver's error (%w). Between attempts the driver waits a jittered, exponentially growing
// pause, so a burst of writers to one household does not fail in lockstep.
//
// cockroach-go's savepoint protocol (crdbpgxv5.ExecuteTx: SAVEPOINT cockroach_restart …
// RELEASE) is not used: it is CockroachDB-specific in two ways that lose or stall writes on
// PostgreSQL. A rolled-back savepoint keeps PostgreSQL's transaction snapshot, so a 40001
// repeats on every retry, and a serialization failure reported at COMMIT is ignored because
// RELEASE is assumed to have committed. On CockroachDB a full client-side restart is the
// documented alternative to the savepoint protocol, so one tested path serves both engines.
//
// The executor of Driver.Executor runs each statement on its own (autocommit): the core uses
// it for reads only.
package storepgx
