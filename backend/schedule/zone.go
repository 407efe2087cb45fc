package schedule

import (
	"fmt"
	"time"
)

// LoadZone loads the zone a schedule is planned in from its name as a client or the store
// gives it: "" is DefaultZone, any other name must be an IANA zone the server knows. "Local"
// is refused: it is the host's zone, so due times would follow wherever a replica happens to
// run rather than where the household lives. Every refusal wraps ErrInvalidSchedule.
func LoadZone(name string) (*time.Location, error) {
	if name == "" {
		return DefaultLocation()
	}
	loc, err := time.LoadLocation(name) // "Local" loads as time.Local, which checkZone refuses
	if err != nil {
		return nil, scheduleErr("time zone %q is not an IANA zone this server knows", name)
	}
	return loc, checkZone(loc)
}

// checkZone refuses the host's zone as a schedule's zone (see LoadZone): time.Local, or a
// location loaded as "Local", whose rules are the host's.
func checkZone(loc *time.Location) error {
	if loc == time.Local || loc.String() == "Local" {
		return fmt.Errorf("%w: the host's zone (Local) cannot plan a schedule; give an IANA zone such as %s", ErrInvalidSchedule, DefaultZone)
	}
	return nil
}

// localInstant returns the instant at which the wall clock in loc shows
// date d at clock c, with the package's summer-time rules:
//
//   - a wall time in a gap (spring forward) moves forward by the gap, so it
//     lands as far after the transition as it was planned after the
//     transition's start;
//   - a wall time that occurs twice (fall back) takes the first instant.
//
// time.Date does not guarantee either choice (and in practice takes the
// second instant for a repeated wall time), so the zone periods around the
// wall time are examined explicitly with ZoneBounds.
func localInstant(loc *time.Location, d Date, c Clock) time.Time {
	// wall is the wall time written as if it were UTC; an instant u shows
	// that wall time in a period with offset off exactly when u = wall-off.
	wall := time.Date(d.Year, d.Month, d.Day, c.Hour, c.Minute, 0, 0, time.UTC).Unix()
	// Real offsets are within ±26h of UTC, so every period that can hold
	// the wall time overlaps [wall-2 days, wall+2 days].
	const margin = 2 * secondsPerDay
	t := time.Unix(wall-margin, 0).In(loc)
	for {
		_, off := t.Zone()
		start, end := t.ZoneBounds()
		u := wall - int64(off)
		// Periods are visited in time order and, in an overlap, the
		// earlier period's instant is the earlier one: the first match
		// is the first instant.
		if (start.IsZero() || u >= start.Unix()) && (end.IsZero() || u < end.Unix()) {
			return time.Unix(u, 0).In(loc)
		}
		if end.IsZero() || end.Unix() > wall+margin {
			// No period holds the wall time and no transition is near:
			// impossible for real tz data, but never loop or panic.
			return time.Unix(u, 0).In(loc)
		}
		// Gap at the transition tr = end: the clock jumps from tr+off to
		// tr+nextOff, skipping wall times in [tr+off, tr+nextOff). Using the
		// old offset puts the instant past tr, shifted forward by the gap.
		next := end.In(loc)
		_, nextOff := next.Zone()
		if tr := end.Unix(); tr+int64(off) <= wall && wall < tr+int64(nextOff) {
			return time.Unix(u, 0).In(loc)
		}
		t = next
	}
}

// LocalInstant returns the instant at which the wall clock in loc shows date d at clock c,
// with the package's summer-time rules (see the package doc). The scheduler uses it for
// digest times, so that they follow the same rules as check-ins.
func LocalInstant(loc *time.Location, d Date, c Clock) time.Time { return localInstant(loc, d, c) }
