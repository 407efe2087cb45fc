package storepgx_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/backend/store/storepgx"
	"github.com/veilig/veilig/sync/change"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// retryBundle is what a retry test needs: the driver under test (with a retry hook), the core
// over it, and the database URL for the conflicting sessions the test stages.
type retryBundle struct {
	url string
	drv *storepgx.Driver
	db  *store.DB

	mu      sync.Mutex
	retried []error // what the retry hook saw
}

// setupRetry opens a migrated database holding households h1 and h2.
func setupRetry(t *testing.T, opts ...storepgx.Option) *retryBundle {
	t.Helper()
	ctx := context.Background()
	b := &retryBundle{url: pgtest.NewDatabase(t)}
	if pgtest.IsCockroachDB(t, b.url) {
		t.Skip("the conflicts are staged through PostgreSQL's lock waits and SSI (pg_stat_activity)")
	}
	hook := storepgx.WithRetryHook(func(err error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.retried = append(b.retried, err)
	})
	var err error
	if b.drv, err = storepgx.Open(ctx, b.url, append([]storepgx.Option{hook}, opts...)...); err != nil {
		t.Fatal(err)
	}
	b.db = store.New(b.drv)
	t.Cleanup(func() { b.db.Close() })
	for _, err := range []error{
		b.db.Migrate(ctx),
		b.db.OrganizationUpsert(ctx, store.Organization{ID: "org", Name: "Org", CreatedAt: t0}),
		b.db.TeamUpsert(ctx, store.Team{ID: "team", Name: "Team", CreatedAt: t0}),
		b.db.HouseholdCreate(ctx, store.Household{ID: "h1", Code: "HH-1", TeamID: "team", DisplayName: "x", CreatedAt: t0}),
		b.db.HouseholdCreate(ctx, store.Household{ID: "h2", Code: "HH-2", TeamID: "team", DisplayName: "x", CreatedAt: t0}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// seen returns the errors the retry hook saw, checking that Retries counted each of them.
func (b *retryBundle) seen(t *testing.T) []error {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if got := b.drv.Retries(); got != int64(len(b.retried)) {
		t.Errorf("Retries() = %d, the hook saw %d", got, len(b.retried))
	}
	return append([]error(nil), b.retried...)
}

// connect opens a session of its own, outside the driver.
func (b *retryBundle) connect(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), b.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func isSerializationFailure(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "40001"
}

// TestSerializationConflictIsRetried makes a write meet SQLSTATE 40001 at a statement,
// deterministically: a concurrent transaction updates the household row first and commits
// while the core's write waits for the row lock (HouseholdLockBump). Tx must restart the
// write, which then lands once, on top of the other transaction's change.
func TestSerializationConflictIsRetried(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := setupRetry(t)

	blocker, err := b.connect(t).BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blocker.Exec(ctx, `UPDATE households SET display_name = 'y' WHERE id = 'h1'`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		entry *store.PlanEntry
		err   error
	}
	done := make(chan result, 1)
	go func() {
		e, err := b.db.PlanEntryUpsert(ctx, store.PlanEntryUpsertParams{
			Entry:     store.PlanEntry{ID: "e1", HouseholdID: "h1", Section: change.SectionDanger, Fields: map[string]string{"description": "d"}},
			UpdatedBy: "p", Now: t0})
		done <- result{e, err}
	}()
	// Wait until the write is blocked on the blocker's row lock, so the conflict is certain.
	waitForLockWait(ctx, t, b.url)
	if err := blocker.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	r := <-done
	if r.err != nil {
		t.Fatalf("write after a serialization conflict: %v", r.err)
	}
	retried := b.seen(t)
	if len(retried) == 0 {
		t.Fatal("the retry hook saw no conflict")
	}
	if !isSerializationFailure(retried[0]) {
		t.Fatalf("retried error = %v, want SQLSTATE 40001", retried[0])
	}
	h, err := b.db.HouseholdGet(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 2 || r.entry.Version != 2 || h.DisplayName != "y" {
		t.Errorf("after the retried write: household version %d, entry version %d, name %q; want 2, 2, y (both writes kept)",
			h.Version, r.entry.Version, h.DisplayName)
	}
	t.Logf("resolved after %d retry(ies): %v", len(retried), retried[0])
}

// stageCommitConflict runs, through Tx, a transaction that reads h1 and bumps h2, while a
// concurrent serializable transaction reads h2 and writes h1 and commits first, between the
// first attempt's last statement and its COMMIT. That is write skew: PostgreSQL's SSI lets
// every statement of the first attempt succeed and fails its COMMIT with SQLSTATE 40001.
// It returns the result of f on each attempt and Tx's error.
func stageCommitConflict(t *testing.T, b *retryBundle) ([]error, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ready, proceed := make(chan struct{}), make(chan struct{})
	var attempts []error
	done := make(chan error, 1)
	go func() {
		done <- b.drv.Tx(ctx, func(ctx context.Context, tx store.Executor) error {
			_, err := tx.HouseholdGet(ctx, "h1")
			if err == nil {
				_, err = tx.HouseholdLockBump(ctx, store.HouseholdLockBumpParams{IDs: []string{"h2"}, Now: t0})
			}
			attempts = append(attempts, err)
			if len(attempts) == 1 {
				close(ready)
				<-proceed
			}
			return err
		})
	}()
	<-ready
	other, err := b.connect(t).BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, `SELECT version FROM households WHERE id = 'h2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, `UPDATE households SET display_name = 'y' WHERE id = 'h1'`); err != nil {
		t.Fatal(err)
	}
	if err := other.Commit(ctx); err != nil {
		t.Fatalf("the concurrent transaction, committing first: %v", err)
	}
	close(proceed)
	err = <-done
	return attempts, err
}

// TestCommitTimeSerializationFailureIsRetried proves that a 40001 raised by COMMIT, after
// every statement of the attempt succeeded, restarts the whole transaction instead of being
// lost or ignored.
func TestCommitTimeSerializationFailureIsRetried(t *testing.T) {
	b := setupRetry(t)
	attempts, err := stageCommitConflict(t, b)
	if err != nil {
		t.Fatalf("Tx after a commit-time conflict: %v", err)
	}
	if len(attempts) < 2 || attempts[0] != nil {
		t.Fatalf("attempts of f = %v, want a first attempt whose statements all succeeded, then a retry", attempts)
	}
	retried := b.seen(t)
	if len(retried) != len(attempts)-1 {
		t.Fatalf("the hook saw %d retries for %d attempts", len(retried), len(attempts))
	}
	if !isSerializationFailure(retried[0]) {
		t.Fatalf("retried error = %v, want SQLSTATE 40001 from COMMIT", retried[0])
	}
	h2, err := b.db.HouseholdGet(context.Background(), "h2")
	if err != nil {
		t.Fatal(err)
	}
	if h2.Version != 2 {
		t.Errorf("h2 version = %d after one retried bump, want 2 (written once)", h2.Version)
	}
	t.Logf("resolved after %d retry(ies): %v", len(retried), retried[0])
}

// TestRetriesAreBounded: with WithMaxRetries(0) the same conflict is not retried, and the
// error still carries the serialization failure.
func TestRetriesAreBounded(t *testing.T) {
	b := setupRetry(t, storepgx.WithMaxRetries(0))
	attempts, err := stageCommitConflict(t, b)
	if !isSerializationFailure(err) {
		t.Fatalf("Tx error = %v, want one wrapping SQLSTATE 40001", err)
	}
	if len(attempts) != 1 || len(b.seen(t)) != 0 {
		t.Fatalf("%d attempts, %d retries; want 1 attempt, no retry", len(attempts), len(b.seen(t)))
	}
}

// TestTxReturnsOtherErrorsAndRollsBack: an error of f that is not a serialization failure is
// returned as it is, f is not run again, and its writes are gone.
func TestTxReturnsOtherErrorsAndRollsBack(t *testing.T) {
	ctx := context.Background()
	b := setupRetry(t)
	errStop := errors.New("stop")
	runs := 0
	err := b.drv.Tx(ctx, func(ctx context.Context, tx store.Executor) error {
		runs++
		if _, err := tx.HouseholdLockBump(ctx, store.HouseholdLockBumpParams{IDs: []string{"h1"}, Now: t0}); err != nil {
			return err
		}
		return errStop
	})
	if err != errStop || runs != 1 {
		t.Fatalf("Tx = %v after %d runs, want errStop after 1", err, runs)
	}
	h, err := b.db.HouseholdGet(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 1 {
		t.Errorf("household version %d after a rolled-back bump, want 1", h.Version)
	}
}
