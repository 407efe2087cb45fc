package household

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/rs/zerolog"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/server"
)

// Push applies a phone's batch in one transaction: each household of the batch is
// authorized once, a mutation for a household the actor may not see (or naming a schedule of
// another household) is rejected alone with a reason, the access to every other household is
// audited, and the rest is pushed (store.Tx.SyncPush). The results are in the order of muts.
// The mutations must be validated and their stamps clamped by the caller.
//
// The transaction is an InHouseholdTx: it locks the batch's households first, so the care
// team it authorizes against is the one its writes commit under, and it takes a fixed number
// of statements whatever the size of the batch (one per kind of row).
//
// A push that fails after its households were authorized (a database error, a canceled
// context) rolls back with its access records; Push then appends them again in a small
// transaction of its own, each allowed record marked failed with the class of the error as
// its reason and each denial as it was (issue 12). A successful push runs no extra statement.
func (s *Service) Push(ctx context.Context, a Actor, muts []change.Mutation) ([]change.Result, error) {
	now := s.Now()
	households := server.Households(muts)
	var results []change.Result
	var audit []store.AuditEvent // the attempt's access records, once it authorized the batch
	err := s.db.InHouseholdTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		audit = nil // a retried transaction starts over
		if err := tx.HouseholdLock(ctx, households); err != nil {
			return err
		}
		rels, err := relationsMany(ctx, tx, a, households)
		if err != nil {
			return err
		}
		allowed := make(map[string]bool, len(households))
		for _, h := range households {
			ev := s.event(a, h, opPush.action, now)
			var d *denial
			if errors.As(decide(ctx, a, opPush, h, rels[h]), &d) {
				ev = d.event // the push commits: its denials commit with it
				ev.At = now
			}
			allowed[h] = ev.Outcome == store.AuditAllowed
			audit = append(audit, ev)
		}
		owners, err := scheduleOwners(ctx, tx, muts, allowed)
		if err != nil {
			return err
		}
		results = make([]change.Result, len(muts))
		var accepted []change.Mutation
		var positions []int
		for i, m := range muts {
			switch {
			case !allowed[m.HouseholdID]:
				results[i] = reject(m, change.ReasonForbidden, "the household is not visible to you")
			case m.Kind == change.KindCheckIn && m.CheckIn.ScheduleID != "" && owners[m.CheckIn.ScheduleID] != m.HouseholdID:
				results[i] = reject(m, change.ReasonNotFound, "no such schedule in this household")
			default:
				accepted, positions = append(accepted, m), append(positions, i)
			}
		}
		if err := tx.AuditAppend(ctx, audit); err != nil {
			return err
		}
		if pushHook != nil {
			pushHook(ctx)
		}
		if len(accepted) == 0 {
			return nil
		}
		stored, err := tx.SyncPush(ctx, store.SyncPushParams{Mutations: accepted, Now: now, Locked: true})
		if err != nil {
			return fmt.Errorf("push %d mutations: %w", len(accepted), err)
		}
		for j, r := range stored {
			results[positions[j]] = r
		}
		return nil
	})
	if err == nil {
		logReusedIDs(ctx, a, results)
		return results, nil
	}
	if len(audit) > 0 {
		outcomes := make([]store.AuditEvent, len(audit))
		for i, ev := range audit {
			if ev.Outcome == store.AuditAllowed {
				ev.Outcome, ev.Reason = store.AuditFailed, reasonOf(err)
			}
			outcomes[i] = ev
		}
		s.appendOutcomes(ctx, outcomes)
	}
	return results, err
}

// pushHook, when set (by tests only), runs inside Push's transaction after its access
// records were appended and before the mutations are written.
var pushHook func(ctx context.Context)

// scheduleOwners reads, in one statement, the household of every schedule a check-in of an
// allowed household names.
func scheduleOwners(ctx context.Context, tx *store.Tx, muts []change.Mutation, allowed map[string]bool) (map[string]string, error) {
	var ids []string
	for _, m := range muts {
		if m.Kind == change.KindCheckIn && m.CheckIn.ScheduleID != "" && allowed[m.HouseholdID] {
			ids = append(ids, m.CheckIn.ScheduleID)
		}
	}
	scs, err := tx.ScheduleListMany(ctx, slices.Compact(slices.Sorted(slices.Values(ids))))
	if err != nil {
		return nil, fmt.Errorf("schedules of %d check-ins: %w", len(ids), err)
	}
	owners := make(map[string]string, len(scs))
	for _, sc := range scs {
		owners[sc.ID] = sc.HouseholdID
	}
	return owners, nil
}

// logReusedIDs records a push that re-used mutation ids it does not own (another
// professional's, or its own for another household): refused alone, with ids only. It runs
// after the transaction commits, so a serialization retry does not log twice.
func logReusedIDs(ctx context.Context, a Actor, results []change.Result) {
	n := 0
	for _, r := range results {
		if r.Outcome == change.OutcomeRejected && r.Reason == change.ReasonIDInUse {
			n++
		}
	}
	if n > 0 {
		zerolog.Ctx(ctx).Warn().Str("professional_id", a.Professional.ID).Str("device_id", a.DeviceID).Int("mutations", n).
			Msg("push refused: mutation ids already used by another professional or for another household")
	}
}

func reject(m change.Mutation, reason change.Reason, detail string) change.Result {
	return change.Result{MutationID: m.ID, Outcome: change.OutcomeRejected, Reason: reason, Detail: detail}
}

// Pull returns a page of the changes of every household the actor may see after the
// cursors, and records a read of each household in the page before it is returned.
func (s *Service) Pull(ctx context.Context, a Actor, cursors map[string]int64, maxBytes int) (*store.SyncPage, error) {
	page, err := s.db.SyncPull(ctx, store.SyncPullParams{ProfessionalID: a.Professional.ID, Cursors: cursors, MaxBytes: maxBytes})
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	now := s.Now()
	audit := make([]store.AuditEvent, 0, len(page.Households))
	for _, hc := range page.Households {
		audit = append(audit, s.event(a, hc.Household.ID, ActionSyncPull, now))
	}
	if err := s.db.AuditAppend(ctx, audit); err != nil {
		return nil, fmt.Errorf("audit pull: %w", err)
	}
	return page, nil
}

// ListHouseholds lists a page of the households the actor may see, ordered by id, and
// records the access to each one listed.
func (s *Service) ListHouseholds(ctx context.Context, a Actor, afterID string, limit int) ([]*store.Household, error) {
	hs, err := s.db.HouseholdListVisible(ctx, store.HouseholdListVisibleParams{ProfessionalID: a.Professional.ID, AfterID: afterID, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("list households of %s: %w", a.Professional.ID, err)
	}
	now := s.Now()
	audit := make([]store.AuditEvent, 0, len(hs))
	for _, h := range hs {
		audit = append(audit, s.event(a, h.ID, ActionHouseholdList, now))
	}
	if err := s.db.AuditAppend(ctx, audit); err != nil {
		return nil, fmt.Errorf("audit household list: %w", err)
	}
	return hs, nil
}
