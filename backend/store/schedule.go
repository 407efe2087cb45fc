package store

import (
	"context"
	"fmt"

	"github.com/veilig/veilig/sync/change"
)

// ScheduleUpsert implements Store. The household is locked first, then the schedule id is
// checked to belong to it: an id never lets one household's write touch another's schedule.
func (db *DB) ScheduleUpsert(ctx context.Context, p ScheduleUpsertParams) (*Schedule, error) {
	sc := p.Schedule
	var out *Schedule
	err := db.write(ctx, func(ctx context.Context, tx Executor) error {
		v, err := lockHousehold(ctx, tx, sc.HouseholdID, p.Now)
		if err != nil {
			return err
		}
		existing, err := tx.ScheduleGet(ctx, sc.ID)
		switch {
		case err == nil && existing.HouseholdID != sc.HouseholdID:
			return fmt.Errorf("schedule %s of household %s: %w", sc.ID, sc.HouseholdID, ErrNotFound)
		case err != nil && !isNotFound(err):
			return err
		}
		out, err = tx.ScheduleUpsert(ctx, ScheduleUpsertRowParams{Schedule: sc, Version: v, Now: p.Now})
		return err
	})
	return out, err
}

// ScheduleGet implements Store.
func (db *DB) ScheduleGet(ctx context.Context, id string) (*Schedule, error) {
	return db.read().ScheduleGet(ctx, id)
}

// ScheduleListByHousehold implements Store.
func (db *DB) ScheduleListByHousehold(ctx context.Context, householdID string) ([]*Schedule, error) {
	return db.read().ScheduleListByHousehold(ctx, householdID)
}

// CheckInAppend implements Store. A check-in is a fact: an id recorded before is answered
// with the stored check-in and changes nothing.
func (db *DB) CheckInAppend(ctx context.Context, c change.CheckIn) (*change.CheckIn, error) {
	var out *change.CheckIn
	err := db.write(ctx, func(ctx context.Context, tx Executor) error {
		existing, err := tx.CheckInGet(ctx, c.ID)
		if err == nil {
			out = existing
			return nil
		}
		if !isNotFound(err) {
			return err
		}
		if c.Version, err = lockHousehold(ctx, tx, c.HouseholdID, c.RecordedAt); err != nil {
			return err
		}
		if err := tx.CheckInInsertMany(ctx, []change.CheckIn{c}); err != nil {
			return err
		}
		if out, err = tx.CheckInGet(ctx, c.ID); err != nil {
			return err
		}
		return checkInEffects(ctx, tx, []change.CheckIn{c}, c.RecordedAt)
	})
	return out, err
}

// CheckInListByHousehold implements Store.
func (db *DB) CheckInListByHousehold(ctx context.Context, householdID string, limit int) ([]*change.CheckIn, error) {
	return db.read().CheckInListByHousehold(ctx, householdID, limit)
}

// AuditAppend implements Store.
func (db *DB) AuditAppend(ctx context.Context, events []AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.AuditInsertMany(ctx, events) })
}

// AuditListByHousehold implements Store.
func (db *DB) AuditListByHousehold(ctx context.Context, householdID string) ([]*AuditEvent, error) {
	return db.read().AuditListByHousehold(ctx, householdID)
}
