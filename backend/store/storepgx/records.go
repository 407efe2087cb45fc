package storepgx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// ownedBy fails with ErrNotFound when row id of table exists under another household: an id
// must never let one household's write touch another's record.
func ownedBy(ctx context.Context, tx pgx.Tx, table, id, householdID string) error {
	var owner string
	err := tx.QueryRow(ctx, `SELECT household_id FROM `+table+` WHERE id = $1`, id).Scan(&owner)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
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

func scanSchedule(r pgx.Row) (*store.Schedule, error) {
	var sc store.Schedule
	if err := r.Scan(&sc.ID, &sc.HouseholdID, &sc.Rule, &sc.TimeZone, &sc.LocalTime, &sc.GraceMinutes, &sc.Channel,
		&sc.LeadProfessionalID, &sc.Paused, &sc.StartDate, &sc.EndDate, &sc.NextDueAt, &sc.Version, &sc.CreatedAt, &sc.UpdatedAt,
		&sc.OverdueAt, &sc.OpensAt, &sc.LastCheckInAt, &sc.WindowEnd); err != nil {
		return nil, err
	}
	sc.NextDueAt, sc.OverdueAt, sc.OpensAt, sc.LastCheckInAt = utcPtr(sc.NextDueAt), utcPtr(sc.OverdueAt), utcPtr(sc.OpensAt), utcPtr(sc.LastCheckInAt)
	sc.CreatedAt, sc.UpdatedAt = utc(sc.CreatedAt), utc(sc.UpdatedAt)
	return &sc, nil
}

// ScheduleUpsert implements store.Store.
func (s *Store) ScheduleUpsert(ctx context.Context, p store.ScheduleUpsertParams) (*store.Schedule, error) {
	sc := p.Schedule
	var out *store.Schedule
	err := s.tx(ctx, func(tx pgx.Tx) error {
		v, err := bumpHousehold(ctx, tx, sc.HouseholdID, p.Now)
		if err != nil {
			return err
		}
		if err := ownedBy(ctx, tx, "schedules", sc.ID, sc.HouseholdID); err != nil {
			return err
		}
		out, err = scanSchedule(tx.QueryRow(ctx,
			`INSERT INTO schedules (`+scheduleColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16,
			   (SELECT max(recorded_at) FROM check_ins WHERE household_id = $2), $17)
			 ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, time_zone = excluded.time_zone, local_time = excluded.local_time,
			   grace_minutes = excluded.grace_minutes, channel = excluded.channel, lead_professional_id = excluded.lead_professional_id,
			   paused = excluded.paused, start_date = excluded.start_date, end_date = excluded.end_date,
			   next_due_at = excluded.next_due_at, version = excluded.version, updated_at = excluded.updated_at,
			   overdue_at = excluded.overdue_at, opens_at = excluded.opens_at, window_end = excluded.window_end
			 RETURNING `+scheduleColumns,
			sc.ID, sc.HouseholdID, sc.Rule, sc.TimeZone, sc.LocalTime, sc.GraceMinutes, sc.Channel, sc.LeadProfessionalID,
			sc.Paused, sc.StartDate, sc.EndDate, utcPtr(sc.NextDueAt), v, p.Now.UTC(), utcPtr(sc.OverdueAt), utcPtr(sc.OpensAt), sc.WindowEnd))
		if err != nil {
			return fmt.Errorf("upsert schedule %s: %w", sc.ID, err)
		}
		return nil
	})
	return out, err
}

// ScheduleGet implements store.Store.
func (s *Store) ScheduleGet(ctx context.Context, id string) (*store.Schedule, error) {
	sc, err := scanSchedule(s.pool.QueryRow(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "schedule "+id)
	}
	return sc, nil
}

// ScheduleListByHousehold implements store.Store.
func (s *Store) ScheduleListByHousehold(ctx context.Context, householdID string) ([]*store.Schedule, error) {
	return query(ctx, s, "list schedules of "+householdID, scanSchedule,
		`SELECT `+scheduleColumns+` FROM schedules WHERE household_id = $1 ORDER BY id`, householdID)
}

const checkInColumns = `id, household_id, schedule_id, channel, outcome, note, recorded_by, recorded_at, version`

func scanCheckIn(r pgx.Row) (*change.CheckIn, error) {
	var c change.CheckIn
	if err := r.Scan(&c.ID, &c.HouseholdID, &c.ScheduleID, &c.Channel, &c.Outcome, &c.Note, &c.RecordedBy, &c.RecordedAt, &c.Version); err != nil {
		return nil, err
	}
	c.RecordedAt = utc(c.RecordedAt)
	return &c, nil
}

// CheckInAppend implements store.Store.
func (s *Store) CheckInAppend(ctx context.Context, c change.CheckIn) (*change.CheckIn, error) {
	var out *change.CheckIn
	err := s.tx(ctx, func(tx pgx.Tx) error {
		existing, err := scanCheckIn(tx.QueryRow(ctx, `SELECT `+checkInColumns+` FROM check_ins WHERE id = $1`, c.ID))
		if err == nil {
			out = existing // a re-sent check-in: a fact is recorded once
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load check-in %s: %w", c.ID, err)
		}
		v, err := bumpHousehold(ctx, tx, c.HouseholdID, c.RecordedAt)
		if err != nil {
			return err
		}
		out, err = scanCheckIn(tx.QueryRow(ctx,
			`INSERT INTO check_ins (`+checkInColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+checkInColumns,
			c.ID, c.HouseholdID, c.ScheduleID, c.Channel, c.Outcome, c.Note, c.RecordedBy, c.RecordedAt.UTC(), v))
		if err != nil {
			return fmt.Errorf("append check-in %s: %w", c.ID, err)
		}
		return checkInEffects(ctx, tx, []change.CheckIn{c}, c.RecordedAt)
	})
	return out, err
}

// CheckInListByHousehold implements store.Store.
func (s *Store) CheckInListByHousehold(ctx context.Context, householdID string, limit int) ([]*change.CheckIn, error) {
	return query(ctx, s, "list check-ins of "+householdID, scanCheckIn,
		`SELECT `+checkInColumns+` FROM check_ins WHERE household_id = $1 ORDER BY recorded_at DESC, id DESC LIMIT $2`, householdID, limit)
}

// AuditAppend implements store.Store: one INSERT … SELECT FROM unnest of column arrays, the
// same statement for one event or a thousand.
func (s *Store) AuditAppend(ctx context.Context, events []store.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	ids, pros, devices, actions, households, requests := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n)
	at := make([]time.Time, n)
	for i, e := range events {
		ids[i], at[i], pros[i], devices[i], actions[i], households[i], requests[i] =
			e.ID, e.At.UTC(), e.ProfessionalID, e.DeviceID, e.Action, e.HouseholdID, e.RequestID
	}
	return s.exec(ctx, fmt.Sprintf("append %d audit events", n),
		`INSERT INTO audit_events (id, at, professional_id, device_id, action, household_id, request_id)
		 SELECT * FROM unnest($1::TEXT[], $2::TIMESTAMPTZ[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[])`,
		ids, at, pros, devices, actions, households, requests)
}

// AuditListByHousehold implements store.Store.
func (s *Store) AuditListByHousehold(ctx context.Context, householdID string) ([]*store.AuditEvent, error) {
	return query(ctx, s, "list audit of "+householdID, func(r pgx.Row) (*store.AuditEvent, error) {
		var e store.AuditEvent
		err := r.Scan(&e.ID, &e.At, &e.ProfessionalID, &e.DeviceID, &e.Action, &e.HouseholdID, &e.RequestID)
		e.At = utc(e.At)
		return &e, err
	}, `SELECT id, at, professional_id, device_id, action, household_id, request_id FROM audit_events
		WHERE household_id = $1 ORDER BY at, id`, householdID)
}
