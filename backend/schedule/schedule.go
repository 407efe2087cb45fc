package schedule

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultZone is the zone of a schedule whose Location is nil: the care
// teams of Blijvend Veilig plan their checks in Amsterdam time.
const DefaultZone = "Europe/Amsterdam"

// ErrInvalidSchedule is wrapped by every error from [Schedule.Validate].
var ErrInvalidSchedule = errors.New("invalid schedule")

// Schedule is a household's check-in schedule as a plain value: what
// recurs, at which local time, in which zone, from when to when, with how
// much grace, and whether the care team has paused it.
type Schedule struct {
	// Rule says on which civil dates a check is due.
	Rule Rule
	// Location is the zone the schedule is planned in; nil means
	// DefaultZone. The host's zone (time.Local) is refused by Validate.
	Location *time.Location
	// LocalTime is the wall-clock time a check is due on each date; with
	// a window, the window's start.
	LocalTime Clock
	// WindowEnd is the end of the check-in window when HasWindowEnd is
	// set. It must be after LocalTime on the same day. The occurrence is
	// due at the window start; the end tells the app until when the
	// check is expected.
	WindowEnd Clock
	// HasWindowEnd says WindowEnd is set. A flag rather than a pointer
	// keeps Schedule a plain value, and 00:00 cannot mean "no window".
	HasWindowEnd bool
	// Grace is how long after the due instant a check may still happen
	// before it is overdue. It is a duration, not a wall time: a grace of
	// 2h is two real hours even across a summer-time change.
	Grace time.Duration
	// StartDate is the first civil date that can have a check (required).
	StartDate Date
	// EndDate is the last civil date that can have a check, inclusive;
	// zero means open-ended.
	EndDate Date
	// Paused stops all checks until the care team resumes the schedule.
	Paused bool
}

var defaultZone struct {
	once sync.Once
	loc  *time.Location
	err  error
}

// DefaultLocation returns the DefaultZone location, loaded once.
func DefaultLocation() (*time.Location, error) {
	defaultZone.once.Do(func() {
		defaultZone.loc, defaultZone.err = time.LoadLocation(DefaultZone)
	})
	return defaultZone.loc, defaultZone.err
}

// Zone returns the location the schedule is planned in: Location, or
// DefaultZone when Location is nil.
func (s Schedule) Zone() (*time.Location, error) {
	if s.Location != nil {
		return s.Location, nil
	}
	return DefaultLocation()
}

// Validate reports why s cannot be used, or nil. Validate schedules when
// they are written. Besides a well-formed rule, zone, times and dates, the
// grace must be shorter than [ShortestGap] (else the error wraps
// [ErrGraceTooLong] too). [NextDue] refuses a schedule that is not well
// formed rather than guessing, but computes one whose grace is too long, so a
// schedule stored before that rule keeps its checks.
func (s Schedule) Validate() error {
	if err := s.wellFormed(); err != nil {
		return err
	}
	return s.checkGrace()
}

// wellFormed is Validate without the grace rule: what NextDue needs to
// compute occurrences at all.
func (s Schedule) wellFormed() error {
	if err := s.Rule.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSchedule, err)
	}
	if s.Location != nil {
		if err := checkZone(s.Location); err != nil {
			return err
		}
	} else if _, err := DefaultLocation(); err != nil {
		return scheduleErr("zone %s cannot be loaded: %v", DefaultZone, err)
	}
	if !s.LocalTime.Valid() {
		return scheduleErr("local time %s is not a time of day", s.LocalTime)
	}
	if s.HasWindowEnd {
		if !s.WindowEnd.Valid() {
			return scheduleErr("window end %s is not a time of day", s.WindowEnd)
		}
		// A window across midnight would belong to two civil dates.
		if s.WindowEnd.minutes() <= s.LocalTime.minutes() {
			return scheduleErr("window end %s must be after its start %s on the same day", s.WindowEnd, s.LocalTime)
		}
	}
	if s.Grace < 0 {
		return scheduleErr("grace %v must not be negative", s.Grace)
	}
	if !s.StartDate.Valid() {
		return scheduleErr("start date %s is missing or not a calendar date", s.StartDate)
	}
	if !s.EndDate.IsZero() {
		if !s.EndDate.Valid() {
			return scheduleErr("end date %s is not a calendar date", s.EndDate)
		}
		if s.EndDate.Before(s.StartDate) {
			return scheduleErr("end date %s is before start date %s", s.EndDate, s.StartDate)
		}
	}
	return nil
}

func scheduleErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidSchedule, fmt.Sprintf(format, args...))
}

// NextDue returns the first occurrence of s strictly after the instant
// after, in s's zone. ok is false when s is paused, not well formed (see
// [Schedule.Validate]), or has no occurrence left before its EndDate.
//
// Occurrence dates are found on the civil calendar and only then turned
// into instants (see the package doc for the summer-time rules), so
// successive calls NextDue(s, previousDue) walk every occurrence in order
// without skipping or repeating one.
func NextDue(s Schedule, after time.Time) (due time.Time, ok bool) {
	if s.Paused || s.wellFormed() != nil {
		return time.Time{}, false
	}
	loc, _ := s.Zone()
	// Start two days before after's local date: an occurrence on an
	// earlier date can only lie after `after` if a gap pushed it forward,
	// and real gaps are far shorter than that.
	d := DateOf(after.In(loc)).AddDays(-2)
	for {
		d = s.Rule.nextDate(s.StartDate, d)
		if !s.EndDate.IsZero() && d.After(s.EndDate) {
			return time.Time{}, false
		}
		// Instants grow with the date, so the first one after `after` is
		// the earliest; the loop ends within a few dates of after's date.
		if due := localInstant(loc, d, s.LocalTime); due.After(after) {
			return due, true
		}
		d = d.AddDays(1)
	}
}

// OverdueAt returns when the occurrence due at due becomes overdue:
// due + s.Grace, in real elapsed time.
func OverdueAt(s Schedule, due time.Time) time.Time { return due.Add(s.Grace) }

// WindowEndAt returns the end of the check-in window of the occurrence due
// at due, and false if s has no window. It uses the same summer-time rules
// as due itself.
func WindowEndAt(s Schedule, due time.Time) (time.Time, bool) {
	loc, err := s.Zone()
	if !s.HasWindowEnd || err != nil {
		return time.Time{}, false
	}
	local := due.In(loc)
	if local.Hour() != s.LocalTime.Hour || local.Minute() != s.LocalTime.Minute {
		// The start fell in a spring-forward gap and moved forward by it (02:30 -> 03:30):
		// the whole window moves with it and keeps its planned length, so a window such as
		// 02:30-03:15 never ends before it starts.
		return due.Add(time.Duration(s.WindowEnd.minutes()-s.LocalTime.minutes()) * time.Minute), true
	}
	return localInstant(loc, DateOf(local), s.WindowEnd), true
}

// OccurrenceKey returns a stable key for the occurrence of schedule
// scheduleID due at due: "<scheduleID>@<due in UTC, RFC 3339>", e.g.
// "s-42@2027-03-28T16:00:00Z". UTC makes the key independent of the zone
// the instant is held in, and the fixed-width time at the end keeps keys
// unambiguous whatever the id contains. The outbox makes (schedule,
// occurrence, step) unique with it, so an occurrence is noticed once.
func OccurrenceKey(scheduleID string, due time.Time) string {
	return scheduleID + "@" + due.UTC().Format(time.RFC3339)
}

// nextDate returns the first date on or after from (and on or after
// start) on which r has an occurrence. r must be valid.
func (r Rule) nextDate(start, from Date) Date {
	if from.Before(start) {
		from = start
	}
	n := int64(r.Interval)
	if r.Freq == FreqDaily {
		// Days are counted from start, so DST never shifts the cadence.
		k := from.days() - start.days()
		return start.AddDays(int(((k + n - 1) / n) * n))
	}
	// Weeks are ISO weeks counted from the week that contains start.
	startMon := start.isoMonday()
	for {
		mon := from.isoMonday()
		week := (mon - startMon) / 7
		if week%n != 0 {
			// Jump to the Monday of the next active week.
			from = dateFromDays(startMon + (week/n+1)*n*7)
			continue
		}
		for i := (from.Weekday() + 6) % 7; i < 7; i++ {
			if r.Days.Has(isoOrder[i]) {
				return dateFromDays(mon + int64(i))
			}
		}
		from = dateFromDays(mon + n*7)
	}
}
