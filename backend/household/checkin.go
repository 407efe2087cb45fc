package household

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// ListSchedules lists a household's schedules by id.
func (s *Service) ListSchedules(ctx context.Context, a Actor, householdID string) ([]*store.Schedule, error) {
	if err := s.authorize(ctx, a, opListSchedules, householdID); err != nil {
		return nil, err
	}
	return s.db.ScheduleListByHousehold(ctx, householdID)
}

// ListCheckIns lists a household's check-ins, newest first, at most limit.
func (s *Service) ListCheckIns(ctx context.Context, a Actor, householdID string, limit int) ([]*change.CheckIn, error) {
	if err := s.authorize(ctx, a, opListCheckIns, householdID); err != nil {
		return nil, err
	}
	return s.db.CheckInListByHousehold(ctx, householdID, limit)
}

// RecordCheckIn records a check-in by the actor, now. A schedule id must name a schedule of
// the household; a check-in id recorded before is answered with the stored check-in, and one
// recorded for another household is store.ErrConflict (its record is never revealed).
func (s *Service) RecordCheckIn(ctx context.Context, a Actor, c change.CheckIn) (*change.CheckIn, error) {
	now := s.Now()
	c.RecordedBy, c.RecordedAt = a.Professional.ID, now
	var out *change.CheckIn
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := s.access(ctx, tx, a, opRecordCheckIn, c.HouseholdID, now); err != nil {
			return err
		}
		if c.ScheduleID != "" {
			// A schedule of another household must not be satisfied through this one.
			if _, err := scheduleOf(ctx, tx, c.HouseholdID, c.ScheduleID); err != nil {
				return fmt.Errorf("schedule: %w", err)
			}
		}
		if out, err = tx.CheckInAppend(ctx, c); err != nil {
			return err
		}
		if out.HouseholdID != c.HouseholdID {
			return fmt.Errorf("check-in id already used: %w", store.ErrConflict)
		}
		return nil
	})
	return out, err
}

// Planner computes a schedule's next occurrence from what is stored (nil for a new
// schedule) at now; an error names the field and the rule that is broken.
type Planner func(sc, stored *store.Schedule, now time.Time) error

// UpsertSchedule creates or replaces a household's schedule, planned by plan inside the
// transaction from the stored schedule. The lead must be on the household's care team.
func (s *Service) UpsertSchedule(ctx context.Context, a Actor, sc store.Schedule, plan Planner) (*store.Schedule, error) {
	now := s.Now()
	var out *store.Schedule
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := s.access(ctx, tx, a, opUpsertSchedule, sc.HouseholdID, now); err != nil {
			return err
		}
		members, err := tx.CareTeamMemberList(ctx, sc.HouseholdID)
		if err != nil {
			return fmt.Errorf("list care team of %s: %w", sc.HouseholdID, err)
		}
		if !slices.ContainsFunc(members, func(m *store.CareTeamMember) bool { return m.ProfessionalID == sc.LeadProfessionalID }) {
			return refuse(ErrInvalid, "lead_professional_id: the lead must be on the household's care team")
		}
		out, err = tx.ScheduleUpsert(ctx, store.ScheduleUpsertParams{Schedule: sc, Now: now, Plan: func(sc, stored *store.Schedule) error {
			if err := plan(sc, stored, now); err != nil {
				return refuse(ErrInvalid, err.Error())
			}
			return nil
		}})
		return err
	})
	return out, err
}
