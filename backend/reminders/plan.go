package reminders

import (
	"errors"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
)

// FromStore reads a stored schedule into the schedule package's value, validated.
func FromStore(sc store.Schedule) (schedule.Schedule, error) {
	var out schedule.Schedule
	rule, err := schedule.ParseRule(sc.Rule)
	if err != nil {
		return out, err
	}
	out.Rule = rule
	if sc.TimeZone != "" && sc.TimeZone != schedule.DefaultZone {
		loc, err := schedule.LoadZone(sc.TimeZone)
		if err != nil {
			return out, err
		}
		out.Location = loc
	}
	if out.LocalTime, err = schedule.ParseClock(sc.LocalTime); err != nil {
		return out, fmt.Errorf("%w: %w", schedule.ErrInvalidSchedule, err)
	}
	if sc.WindowEnd != "" {
		if out.WindowEnd, err = schedule.ParseClock(sc.WindowEnd); err != nil {
			return out, fmt.Errorf("%w: %w", schedule.ErrInvalidSchedule, err)
		}
		out.HasWindowEnd = true
	}
	out.Grace = time.Duration(sc.GraceMinutes) * time.Minute
	if out.StartDate, err = schedule.ParseDate(sc.StartDate); err != nil {
		return out, fmt.Errorf("%w: %w", schedule.ErrInvalidSchedule, err)
	}
	if sc.EndDate != "" {
		if out.EndDate, err = schedule.ParseDate(sc.EndDate); err != nil {
			return out, fmt.Errorf("%w: %w", schedule.ErrInvalidSchedule, err)
		}
	}
	out.Paused = sc.Paused
	return out, out.Validate()
}

// Plan fills in the scheduler's fields of a schedule that is being written at now, given the
// stored version (nil for a new schedule): the first occurrence due after now, when it becomes
// overdue, and from when check-ins count for it.
//
// The current occurrence is the first one that was not yet overdue when the schedule opened.
// Creating or resuming a schedule opens it at now, so occurrences already overdue before then
// (during a pause, say) are not due afterwards: a change by the care team starts from the
// present (see the schedule package on pausing). An edit that keeps a running schedule running
// keeps its opening, so an open occurrence is not skipped by, say, a change of lead, and a
// check-in already made for it still counts.
//
// A grace that reaches the next check (schedule.ErrGraceTooLong) is refused, except in a write
// that keeps the stored rule, zone, start date and grace: a schedule stored before that rule
// keeps running through edits that do not touch it (a new lead, a pause and a resume).
func Plan(sc *store.Schedule, stored *store.Schedule, now time.Time) error {
	plan, err := FromStore(*sc)
	if errors.Is(err, schedule.ErrGraceTooLong) && keepsGrace(sc, stored) {
		err = nil
	}
	if err != nil {
		return err
	}
	opens := now
	if stored != nil && !stored.Paused && stored.OpensAt != nil && !sc.Paused {
		opens = *stored.OpensAt
	}
	sc.OpensAt = &opens
	// The current occurrence is the first that is not overdue when the schedule opens:
	// due + grace > opens.
	sc.NextDueAt, sc.OverdueAt = nil, nil
	if next, ok := schedule.NextDue(plan, opens.Add(-plan.Grace)); ok {
		overdue := schedule.OverdueAt(plan, next)
		sc.NextDueAt, sc.OverdueAt = &next, &overdue
	}
	return nil
}

// keepsGrace reports whether writing sc over stored leaves everything the grace rule reads
// as it was.
func keepsGrace(sc, stored *store.Schedule) bool {
	return stored != nil && stored.Rule == sc.Rule && stored.TimeZone == sc.TimeZone &&
		stored.StartDate == sc.StartDate && stored.GraceMinutes == sc.GraceMinutes
}
