package store

import (
	"context"
	"fmt"

	"github.com/veilig/veilig/sync/change"
)

// ScheduleUpsert inserts or replaces a schedule and bumps the household version.
// The household is locked first, then the schedule id is
// checked to belong to it: an id never lets one household's write touch another's schedule.
func (db *DB) ScheduleUpsert(ctx context.Context, p ScheduleUpsertParams) (*Schedule, error) {
	var out *Schedule
	err := db.InTx(ctx, func(ctx context.Context, tx *Tx) (err error) {
		out, err = tx.ScheduleUpsert(ctx, p)
		return err
	})
	return out, err
}

// ScheduleUpsert is DB.ScheduleUpsert in tx. When p.Plan is set it runs after the household
// is locked, with the stored schedule (nil for a new one), so the schedule is planned from
// what is stored, not from a copy another writer may have changed since.
func (tx *Tx) ScheduleUpsert(ctx context.Context, p ScheduleUpsertParams) (*Schedule, error) {
	sc := p.Schedule
	v, err := lockHousehold(ctx, tx.ex, sc.HouseholdID, p.Now)
	if err != nil {
		return nil, err
	}
	stored, err := tx.ex.ScheduleGet(ctx, sc.ID)
	switch {
	case err == nil && stored.HouseholdID != sc.HouseholdID:
		return nil, fmt.Errorf("schedule %s of household %s: %w", sc.ID, sc.HouseholdID, ErrNotFound)
	case isNotFound(err):
		stored = nil
	case err != nil:
		return nil, err
	}
	if p.Plan != nil {
		if err := p.Plan(&sc, stored); err != nil {
			return nil, err
		}
	}
	return tx.ex.ScheduleUpsert(ctx, ScheduleUpsertRowParams{Schedule: sc, Version: v, Now: p.Now})
}

// CheckInAppend records a check-in and bumps the household version. Appending the same
// id twice is a no-op that returns the stored check-in.
// A check-in is a fact: an id recorded before is answered
// with the stored check-in and changes nothing.
func (db *DB) CheckInAppend(ctx context.Context, c change.CheckIn) (*change.CheckIn, error) {
	var out *change.CheckIn
	err := db.InTx(ctx, func(ctx context.Context, tx *Tx) (err error) {
		out, err = tx.CheckInAppend(ctx, c)
		return err
	})
	return out, err
}

// CheckInAppend is DB.CheckInAppend in tx.
func (tx *Tx) CheckInAppend(ctx context.Context, c change.CheckIn) (*change.CheckIn, error) {
	existing, err := tx.ex.CheckInGet(ctx, c.ID)
	if err == nil {
		return existing, nil
	}
	if !isNotFound(err) {
		return nil, err
	}
	if c.Version, err = lockHousehold(ctx, tx.ex, c.HouseholdID, c.RecordedAt); err != nil {
		return nil, err
	}
	if err := tx.ex.CheckInInsertMany(ctx, []change.CheckIn{c}); err != nil {
		return nil, err
	}
	if err := checkInEffects(ctx, tx.ex, []change.CheckIn{c}, c.RecordedAt); err != nil {
		return nil, err
	}
	return tx.ex.CheckInGet(ctx, c.ID)
}

// AuditAppend appends access records in one statement.
func (db *DB) AuditAppend(ctx context.Context, events []AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	return db.InTx(ctx, func(ctx context.Context, tx *Tx) error { return tx.AuditAppend(ctx, events) })
}
