package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// ownedBy fails with ErrNotFound when row id of table exists under another household: an id
// must never let one household's write touch another's record.
func ownedBy(ctx context.Context, tx *sql.Tx, table, id, householdID string) error {
	var owner string
	err := tx.QueryRowContext(ctx, `SELECT household_id FROM `+table+` WHERE id = ?`, id).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("load %s %s: %w", table, id, err)
	case owner != householdID:
		return fmt.Errorf("%s %s of household %s: %w", table, id, householdID, store.ErrNotFound)
	}
	return nil
}

const scheduleColumns = `id, household_id, rule, time_zone, local_time, grace_minutes, channel, lead_professional_id,
	paused, start_date, end_date, next_due_at, version, created_at, updated_at, overdue_at, opens_at, last_check_in_at, window_end`

func scanSchedule(r interface{ Scan(...any) error }) (*store.Schedule, error) {
	var sc store.Schedule
	var next, overdue, opens, last sql.NullInt64
	var created, updated int64
	if err := r.Scan(&sc.ID, &sc.HouseholdID, &sc.Rule, &sc.TimeZone, &sc.LocalTime, &sc.GraceMinutes, &sc.Channel,
		&sc.LeadProfessionalID, &sc.Paused, &sc.StartDate, &sc.EndDate, &next, &sc.Version, &created, &updated,
		&overdue, &opens, &last, &sc.WindowEnd); err != nil {
		return nil, err
	}
	sc.NextDueAt, sc.OverdueAt, sc.OpensAt, sc.LastCheckInAt = timePtr(next), timePtr(overdue), timePtr(opens), timePtr(last)
	sc.CreatedAt, sc.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &sc, nil
}

// ScheduleUpsert implements store.Store.
func (s *Store) ScheduleUpsert(ctx context.Context, p store.ScheduleUpsertParams) (*store.Schedule, error) {
	sc := p.Schedule
	var out *store.Schedule
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := ownedBy(ctx, tx, "schedules", sc.ID, sc.HouseholdID); err != nil {
			return err
		}
		v, err := bumpHousehold(ctx, tx, sc.HouseholdID, p.Now)
		if err != nil {
			return err
		}
		out, err = scanSchedule(tx.QueryRowContext(ctx,
			`INSERT INTO schedules (`+scheduleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			   (SELECT max(recorded_at) FROM check_ins WHERE household_id = ?), ?)
			 ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, time_zone = excluded.time_zone, local_time = excluded.local_time,
			   grace_minutes = excluded.grace_minutes, channel = excluded.channel, lead_professional_id = excluded.lead_professional_id,
			   paused = excluded.paused, start_date = excluded.start_date, end_date = excluded.end_date,
			   next_due_at = excluded.next_due_at, version = excluded.version, updated_at = excluded.updated_at,
			   overdue_at = excluded.overdue_at, opens_at = excluded.opens_at, window_end = excluded.window_end
			 RETURNING `+scheduleColumns,
			sc.ID, sc.HouseholdID, sc.Rule, sc.TimeZone, sc.LocalTime, sc.GraceMinutes, sc.Channel, sc.LeadProfessionalID,
			boolInt(sc.Paused), sc.StartDate, sc.EndDate, nullMicros(sc.NextDueAt), v, micros(p.Now), micros(p.Now),
			nullMicros(sc.OverdueAt), nullMicros(sc.OpensAt), sc.HouseholdID, sc.WindowEnd))
		if err != nil {
			return fmt.Errorf("upsert schedule %s: %w", sc.ID, err)
		}
		return nil
	})
	return out, err
}

// ScheduleGet implements store.Store.
func (s *Store) ScheduleGet(ctx context.Context, id string) (*store.Schedule, error) {
	sc, err := scanSchedule(s.read.QueryRowContext(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "schedule "+id)
	}
	return sc, nil
}

// ScheduleListByHousehold implements store.Store.
func (s *Store) ScheduleListByHousehold(ctx context.Context, householdID string) ([]*store.Schedule, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE household_id = ? ORDER BY id`, householdID)
	if err != nil {
		return nil, fmt.Errorf("list schedules of %s: %w", householdID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Schedule, error) { return scanSchedule(r) })
}

const checkInColumns = `id, household_id, schedule_id, channel, outcome, note, recorded_by, recorded_at, version`

func scanCheckIn(r interface{ Scan(...any) error }) (*change.CheckIn, error) {
	var c change.CheckIn
	var at int64
	if err := r.Scan(&c.ID, &c.HouseholdID, &c.ScheduleID, &c.Channel, &c.Outcome, &c.Note, &c.RecordedBy, &at, &c.Version); err != nil {
		return nil, err
	}
	c.RecordedAt = fromMicros(at)
	return &c, nil
}

// CheckInAppend implements store.Store.
func (s *Store) CheckInAppend(ctx context.Context, c change.CheckIn) (*change.CheckIn, error) {
	var out *change.CheckIn
	err := s.tx(ctx, func(tx *sql.Tx) error {
		existing, err := scanCheckIn(tx.QueryRowContext(ctx, `SELECT `+checkInColumns+` FROM check_ins WHERE id = ?`, c.ID))
		if err == nil {
			out = existing // a re-sent check-in: a fact is recorded once
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("load check-in %s: %w", c.ID, err)
		}
		v, err := bumpHousehold(ctx, tx, c.HouseholdID, c.RecordedAt)
		if err != nil {
			return err
		}
		out, err = scanCheckIn(tx.QueryRowContext(ctx,
			`INSERT INTO check_ins (`+checkInColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+checkInColumns,
			c.ID, c.HouseholdID, c.ScheduleID, c.Channel, c.Outcome, c.Note, c.RecordedBy, micros(c.RecordedAt), v))
		if err != nil {
			return fmt.Errorf("append check-in %s: %w", c.ID, err)
		}
		return checkInEffects(ctx, tx, []change.CheckIn{c}, c.RecordedAt)
	})
	return out, err
}

// CheckInListByHousehold implements store.Store.
func (s *Store) CheckInListByHousehold(ctx context.Context, householdID string, limit int) ([]*change.CheckIn, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+checkInColumns+` FROM check_ins WHERE household_id = ? ORDER BY recorded_at DESC, id DESC LIMIT ?`, householdID, limit)
	if err != nil {
		return nil, fmt.Errorf("list check-ins of %s: %w", householdID, err)
	}
	return collect(rows, func(r *sql.Rows) (*change.CheckIn, error) { return scanCheckIn(r) })
}

// AuditAppend implements store.Store: one multi-row INSERT.
func (s *Store) AuditAppend(ctx context.Context, events []store.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	args := make([]any, 0, 7*len(events))
	for _, e := range events {
		args = append(args, e.ID, micros(e.At), e.ProfessionalID, e.DeviceID, e.Action, e.HouseholdID, e.RequestID)
	}
	q := `INSERT INTO audit_events (id, at, professional_id, device_id, action, household_id, request_id) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?),", len(events)), ",")
	if _, err := s.write.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("append %d audit events: %w", len(events), err)
	}
	return nil
}

// AuditListByHousehold implements store.Store.
func (s *Store) AuditListByHousehold(ctx context.Context, householdID string) ([]*store.AuditEvent, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT id, at, professional_id, device_id, action, household_id, request_id FROM audit_events
		 WHERE household_id = ? ORDER BY at, id`, householdID)
	if err != nil {
		return nil, fmt.Errorf("list audit of %s: %w", householdID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.AuditEvent, error) {
		var e store.AuditEvent
		var at int64
		err := r.Scan(&e.ID, &at, &e.ProfessionalID, &e.DeviceID, &e.Action, &e.HouseholdID, &e.RequestID)
		e.At = fromMicros(at)
		return &e, err
	})
}
