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

// TestSerializationConflictIsRetried makes a write meet SQLSTATE 40001 deterministically: a
// concurrent transaction updates the household row first and commits while the store's write
// waits for the row lock. The retry helper must restart the write, which then lands once.
func TestSerializationConflictIsRetried(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url := pgtest.NewDatabase(t)
	if pgtest.IsCockroachDB(t, url) {
		t.Skip("the conflict is staged through PostgreSQL's lock waits (pg_stat_activity)")
	}
	var mu sync.Mutex
	var retried []error
	s, err := storepgx.Open(ctx, url, storepgx.WithRetryHook(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		retried = append(retried, err)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, err := range []error{
		s.OrganizationUpsert(ctx, store.Organization{ID: "org", Name: "Org", CreatedAt: t0}),
		s.TeamUpsert(ctx, store.Team{ID: "team", Name: "Team", CreatedAt: t0}),
		s.HouseholdCreate(ctx, store.Household{ID: "h1", Code: "HH-1", TeamID: "team", DisplayName: "x", CreatedAt: t0}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	other, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	blocker, err := other.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
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
		e, err := s.PlanEntryUpsert(ctx, store.PlanEntryUpsertParams{
			Entry:     store.PlanEntry{ID: "e1", HouseholdID: "h1", Section: change.SectionDanger, Fields: map[string]string{"description": "d"}},
			UpdatedBy: "p", Now: t0})
		done <- result{e, err}
	}()

	// Wait until the write is blocked on the blocker's row lock, so the conflict is certain.
	watcher, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close(ctx)
	for {
		var waiting int
		err := watcher.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the write finished before the conflicting transaction committed: %+v", r)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := blocker.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	r := <-done
	if r.err != nil {
		t.Fatalf("write after a serialization conflict: %v", r.err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(retried) == 0 {
		t.Fatal("the retry hook saw no conflict")
	}
	var pgErr *pgconn.PgError
	if !errors.As(retried[0], &pgErr) || pgErr.Code != "40001" {
		t.Fatalf("retried error = %v, want SQLSTATE 40001", retried[0])
	}
	if got := s.Retries(); got != int64(len(retried)) {
		t.Errorf("Retries() = %d, hook saw %d", got, len(retried))
	}
	h, err := s.HouseholdGet(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 2 || r.entry.Version != 2 || h.DisplayName != "y" {
		t.Errorf("after the retried write: household version %d, entry version %d, name %q; want 2, 2, y (both writes kept)",
			h.Version, r.entry.Version, h.DisplayName)
	}
	t.Logf("resolved after %d retry(ies): %v", len(retried), retried[0])
}
