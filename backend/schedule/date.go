package schedule

import (
	"fmt"
	"time"
)

// Date is a civil date with no zone: a day on the calendar of the
// schedule's location. Schedules start and end on civil dates because that
// is how a care team agrees on them ("from Monday until the review on 1
// June"), independent of any UTC offset.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

const secondsPerDay = 24 * 60 * 60

// ParseDate parses an ISO 8601 calendar date "YYYY-MM-DD" and rejects
// dates that do not exist (2027-02-29).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return Date{}, fmt.Errorf("schedule: date %q is not a valid YYYY-MM-DD date", s)
	}
	return DateOf(t), nil
}

// DateOf returns the civil date of t in t's own location; convert t with
// In first to get the date somewhere else.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String returns d as "YYYY-MM-DD".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date, which means "not set".
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether d is a real calendar date in years 1..9999, the
// range "YYYY-MM-DD" can express.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 {
		return false
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return DateOf(t) == d
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch a, b := d.days(), e.days(); {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// AddDays returns the date n calendar days after d (before, if n < 0).
func (d Date) AddDays(n int) Date { return dateFromDays(d.days() + int64(n)) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Weekday()
}

// days numbers civil days (0 = 1970-01-01). Midnight UTC is a whole number
// of days from the epoch, so the division is exact; UTC is used only as a
// calendar with no transitions, not as anybody's zone.
func (d Date) days() int64 {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
}

func dateFromDays(n int64) Date { return DateOf(time.Unix(n*secondsPerDay, 0).UTC()) }

// isoMonday numbers the Monday that starts d's ISO week, in days.
func (d Date) isoMonday() int64 {
	return d.days() - int64((d.Weekday()+6)%7)
}

// Clock is a local time of day with minute precision: the wall clock the
// household and the professional read, not an offset from midnight (which
// would be wrong on summer-time days, when a day has 23 or 25 hours).
type Clock struct {
	Hour, Minute int
}

// ParseClock parses "HH:MM" in 24-hour notation.
func ParseClock(s string) (Clock, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != len("15:04") {
		return Clock{}, fmt.Errorf("schedule: time %q is not a valid HH:MM time", s)
	}
	return Clock{Hour: t.Hour(), Minute: t.Minute()}, nil
}

// String returns c as "HH:MM".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// Valid reports whether c is a time of day, 00:00..23:59.
func (c Clock) Valid() bool {
	return c.Hour >= 0 && c.Hour < 24 && c.Minute >= 0 && c.Minute < 60
}

func (c Clock) minutes() int { return c.Hour*60 + c.Minute }

// Minutes returns c as minutes after midnight.
func (c Clock) Minutes() int { return c.minutes() }
