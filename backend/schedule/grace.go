package schedule

import (
	"errors"
	"fmt"
	"time"
)

// ErrGraceTooLong is wrapped (with [ErrInvalidSchedule]) by the error [Schedule.Validate]
// returns for a grace that reaches the next occurrence. Readers of schedules stored before
// the rule existed can recognise it and keep such a schedule running: [NextDue] still
// computes it, and refusing it there would stop its reminders, which is worse than late ones.
var ErrGraceTooLong = errors.New("grace reaches the next check")

// ShortestGap returns the shortest real time between two successive occurrences of s: the
// fewest civil days between two occurrence dates of its rule, less the most a summer-time
// change in its zone can take from those days. s's rule and zone must be valid.
//
// The zone's changes are those of the year from StartDate (the rules that are in force
// when the schedule begins; nobody knows later law). In Europe/Amsterdam the spring change
// takes an hour, so "every day" has a shortest gap of 23h: 18:00 CET on Saturday to 18:00
// CEST on Sunday. A local time in the spring-forward gap moves forward by the gap and so
// takes no more than that hour from the gap after it.
func ShortestGap(s Schedule) time.Duration {
	loc, err := s.Zone()
	if err != nil {
		return 0
	}
	from := time.Date(s.StartDate.Year, s.StartDate.Month, s.StartDate.Day, 0, 0, 0, 0, loc)
	return time.Duration(s.Rule.shortestGapDays())*24*time.Hour - longestForwardJump(from, from.AddDate(1, 0, 1))
}

// checkGrace refuses a grace that is not shorter than the shortest gap between two
// occurrences: the next occurrence would be due before the current one is overdue, so the
// planned next-due instant would lie in the past and reminders of consecutive checks would
// overtake each other.
func (s Schedule) checkGrace() error {
	if gap := ShortestGap(s); s.Grace >= gap {
		return fmt.Errorf("%w: %w: grace %v must be shorter than %v, the shortest time between two of its checks",
			ErrInvalidSchedule, ErrGraceTooLong, s.Grace, gap)
	}
	return nil
}

// shortestGapDays returns the fewest civil days between two successive occurrence dates of
// r, which must be valid: the interval of a daily rule; for a weekly rule, the least of the
// steps between its days within a week and the step from its last day to its first day
// Interval weeks later.
func (r Rule) shortestGapDays() int {
	if r.Freq == FreqDaily {
		return r.Interval
	}
	first, last, shortest := -1, -1, 7*r.Interval
	for i, d := range isoOrder {
		if !r.Days.Has(d) {
			continue
		}
		if first < 0 {
			first = i
		} else {
			shortest = min(shortest, i-last)
		}
		last = i
	}
	return min(shortest, 7*r.Interval-last+first)
}

// longestForwardJump returns the largest step forward of loc's UTC offset in [from, to): how
// much a civil day can be shorter than 24 hours there.
func longestForwardJump(from, to time.Time) time.Duration {
	var longest time.Duration
	for t := from; t.Before(to); {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		_, before := t.Zone()
		_, after := end.Zone()
		longest = max(longest, time.Duration(after-before)*time.Second)
		t = end
	}
	return longest
}
