package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Retention (issue 12, docs/storage.md "Retention"): a closed household's data is kept for
// the deployment's retention period from its closing, then erased by the scheduler.

// ActionHouseholdErase is the access log's action for a household erased after its retention
// period; the record joins the household's chain and its actor is ActorSystem.
const ActionHouseholdErase = "household.erase"

// RetentionActor is the ProfessionalID of the access-log records the retention job writes
// (actor kind ActorSystem).
const RetentionActor = "retention"

// HouseholdEraseParams are the arguments of DB.HouseholdEraseExpired.
type HouseholdEraseParams struct {
	// Retention is how long a closed household is kept: it is erased when
	// closed_at + Retention <= Now. It must be positive.
	Retention time.Duration
	// Now is the scheduler's clock.
	Now time.Time
	// MaxHouseholds bounds the households erased in one call (one transaction each).
	MaxHouseholds int
}

// HouseholdEraseExpired erases up to p.MaxHouseholds closed households whose retention
// period has passed and returns how many it erased. Each household is erased in its own
// write transaction, which claims the household row first (the lock order of
// docs/storage.md; replicas skip each other's claims), deletes every data row keyed by the
// household (Driver.HouseholdDataDelete), replaces its code by an opaque tombstone
// ("erased:" and its id) and blanks its display name, sets erased_at, and appends a
// "household.erase" record to the household's access-log chain: all of it commits, or
// none. A household reopened before its transaction claims it is not erased (the claim reads
// closed_at in that transaction); open households are never touched. The access log itself
// stays: it has its own retention.
func (db *DB) HouseholdEraseExpired(ctx context.Context, p HouseholdEraseParams) (int, error) {
	if p.Retention <= 0 {
		return 0, errors.New("erase households: retention must be positive")
	}
	now := p.Now.UTC().Truncate(time.Microsecond)
	cutoff := now.Add(-p.Retention)
	erased := 0
	for erased < p.MaxHouseholds {
		done := false
		err := db.write(ctx, func(ctx context.Context, tx Executor) error {
			done = false
			ids, err := tx.HouseholdClaimExpired(ctx, cutoff, 1)
			if err != nil || len(ids) == 0 {
				done = err == nil
				return err
			}
			id := ids[0]
			if err := tx.HouseholdDataDelete(ctx, id); err != nil {
				return err
			}
			if err := tx.HouseholdTombstone(ctx, id, "erased:"+id, now); err != nil {
				return err
			}
			return appendAudit(ctx, tx, []AuditEvent{{ID: uuid.NewString(), At: now, ActorKind: ActorSystem,
				ProfessionalID: RetentionActor, Action: ActionHouseholdErase, ObjectKind: "household",
				ObjectID: id, HouseholdID: id}})
		})
		if err != nil {
			return erased, fmt.Errorf("erase households: %w", err)
		}
		if done {
			break
		}
		erased++
	}
	return erased, nil
}
