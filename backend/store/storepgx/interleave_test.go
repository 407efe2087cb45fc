package storepgx_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/backend/store/storepgx"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

// TestPullMissesNoOutOfOrderCommit interleaves two writing transactions of the storage core
// on this driver so that the one started later commits first — the case where a global sequence read with `seq > cursor`
// skips a change — and pulls between and after them: every change arrives.
func TestPullMissesNoOutOfOrderCommit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url := pgtest.NewDatabase(t)
	if pgtest.IsCockroachDB(t, url) {
		t.Skip("the interleaving is staged through PostgreSQL's lock waits (pg_stat_activity)")
	}
	d, err := storepgx.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(d)
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.OrganizationUpsert(ctx, store.Organization{ID: "org", Name: "Org", CreatedAt: t0}))
	must(s.ProfessionalUpsert(ctx, store.Professional{ID: "p", OrganizationID: "org", DisplayName: "P", Role: store.RoleProfessional, CreatedAt: t0}))
	must(s.TeamUpsert(ctx, store.Team{ID: "team", Name: "Team", CreatedAt: t0}))
	for _, h := range []string{"h1", "h2"} {
		must(s.HouseholdCreate(ctx, store.Household{ID: h, Code: "HH-" + h, TeamID: "team", DisplayName: h, CreatedAt: t0}))
		must(s.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: h, ProfessionalID: "p"}, Now: t0}))
	}
	received := map[string]bool{} // record ids pulled so far
	pull := func(cursors map[string]int64) map[string]int64 {
		t.Helper()
		page, err := s.SyncPull(ctx, store.SyncPullParams{ProfessionalID: "p", Cursors: cursors})
		must(err)
		next := map[string]int64{}
		for k, v := range cursors {
			next[k] = v
		}
		for _, hc := range page.Households {
			next[hc.Household.ID] = hc.Household.Version
			for _, r := range hc.Records {
				received[r.ID] = true
			}
		}
		return next
	}
	cursors := pull(map[string]int64{})
	edit := func(id, household string) change.Mutation {
		return change.Mutation{ID: id, HouseholdID: household, DeviceID: "d", ProfessionalID: "p", Kind: change.KindEdit,
			RecordID: "entry-" + household, Section: change.SectionDanger,
			Writes: []change.FieldWrite{{Field: "description", Value: id, Stamp: hlc.New(t0, 1)}}}
	}

	// A third session holds h1's row lock, so the first write (to h1) starts and then waits.
	blocker, err := pgx.Connect(ctx, url)
	must(err)
	defer blocker.Close(ctx)
	btx, err := blocker.Begin(ctx)
	must(err)
	_, err = btx.Exec(ctx, `SELECT id FROM households WHERE id = 'h1' FOR UPDATE`)
	must(err)
	first := make(chan error, 1)
	go func() {
		_, err := s.SyncPush(ctx, store.SyncPushParams{Mutations: []change.Mutation{edit("m-first", "h1")}, Now: t0})
		first <- err
	}()
	waitForLockWait(ctx, t, url)

	// The second write starts later and commits first.
	_, err = s.SyncPush(ctx, store.SyncPushParams{Mutations: []change.Mutation{edit("m-second", "h2")}, Now: t0})
	must(err)
	cursors = pull(cursors)
	if !received["entry-h2"] || received["entry-h1"] {
		t.Fatalf("between the commits the pull received %v, want only entry-h2", received)
	}

	must(btx.Rollback(ctx))
	must(<-first)
	pull(cursors)
	if !received["entry-h1"] {
		t.Fatal("the write that started first and committed last was missed")
	}
}

func waitForLockWait(ctx context.Context, t *testing.T, url string) {
	t.Helper()
	watcher, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close(ctx)
	for {
		var waiting int
		if err := watcher.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the first write never waited for the lock")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
