package reminders_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
)

// TestRetentionErasesClosedHouseholds walks a controllable clock past a closed household's
// retention period: the scheduler keeps it a second before and erases it at the end, with its
// access record, leaving a household reopened in between and an open one untouched, and the
// access log verifiable.
func TestRetentionErasesClosedHouseholds(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			start := local(2027, 3, 27, 12, 0)
			fixture(t, s, start)
			for _, id := range []string{"h2", "h3"} {
				must(t, s.HouseholdCreate(bg, store.Household{ID: id, Code: "HH-" + id, TeamID: "team-1", DisplayName: "Gezin " + id, CreatedAt: start}))
			}
			dailySchedule(t, s, "s1", start)
			inTx := func(f func(ctx context.Context, tx *store.Tx) error) { t.Helper(); must(t, s.InTx(bg, f)) }
			closed := start.Add(time.Hour)
			for _, id := range []string{"h1", "h2"} {
				inTx(func(ctx context.Context, tx *store.Tx) error { return tx.HouseholdClose(ctx, id, "p-admin", closed) })
			}
			inTx(func(ctx context.Context, tx *store.Tx) error {
				return tx.HouseholdReopen(ctx, "h2", closed.Add(time.Minute))
			})

			const retention = 48 * time.Hour
			h := newHarness(t, s, start, reminders.Config{Retention: retention, DigestTimes: []schedule.Clock{}})
			equal(t, "erased a second before the retention ends", h.at(t, closed.Add(retention-time.Second)).Erased, 0)
			h1, err := s.HouseholdGet(bg, "h1")
			must(t, err)
			equal(t, "h1 kept", h1.ErasedAt == nil && h1.DisplayName != "", true)

			erasedAt := closed.Add(retention)
			equal(t, "erased when the retention ends", h.at(t, erasedAt).Erased, 1)
			equal(t, "erased on the next tick", h.at(t, erasedAt.Add(time.Minute)).Erased, 0)
			for id, want := range map[string]bool{"h1": true, "h2": false, "h3": false} {
				hh, err := s.HouseholdGet(bg, id)
				must(t, err)
				equal(t, id+" erased", hh.ErasedAt != nil, want)
				equal(t, id+" display name blank", hh.DisplayName == "", want)
			}
			scheds, err := s.ScheduleListByHousehold(bg, "h1")
			must(t, err)
			equal(t, "h1's schedules", len(scheds), 0)
			log, err := s.AuditListByHousehold(bg, "h1")
			must(t, err)
			if n := len(log); n == 0 || log[n-1].Action != store.ActionHouseholdErase || log[n-1].ActorKind != store.ActorSystem {
				t.Fatalf("h1's access log ends with %+v, want the erasure", log)
			}
			rep, err := s.AuditVerify(bg, store.AuditVerifyParams{})
			must(t, err)
			equal(t, "access log findings", fmt.Sprint(rep.Problems), "[]")
		})
	}
}
