package schedule_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/schedule"
)

// propertyZones mix the default zone with zones that change at other
// hours (New York), in the other hemisphere (Sydney), by 30 minutes (Lord
// Howe), at midnight (Santiago), or never (Kolkata).
var propertyZones = []string{
	"Europe/Amsterdam", "America/New_York", "Australia/Sydney",
	"Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata",
}

// oracleDates lists the occurrence dates of s from from to to (inclusive)
// by checking every calendar day one by one, independently of NextDue's
// arithmetic. Days are stepped on a UTC calendar: stepping local midnights
// would stumble on zones whose midnight does not exist (Santiago).
func oracleDates(s schedule.Schedule, from, to schedule.Date) []schedule.Date {
	day := func(d schedule.Date) int {
		return int(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	}
	monday := func(d schedule.Date) int { return day(d) - (int(d.Weekday())+6)%7 }
	var out []schedule.Date
	for d := from; !d.After(to); d = d.AddDays(1) {
		if d.Before(s.StartDate) || (!s.EndDate.IsZero() && d.After(s.EndDate)) {
			continue
		}
		var match bool
		switch s.Rule.Freq {
		case schedule.FreqDaily:
			match = (day(d)-day(s.StartDate))%s.Rule.Interval == 0
		case schedule.FreqWeekly:
			match = s.Rule.Days.Has(d.Weekday()) &&
				((monday(d)-monday(s.StartDate))/7)%s.Rule.Interval == 0
		}
		if match {
			out = append(out, d)
		}
	}
	return out
}

func randomSchedule(r *rand.Rand, loc *time.Location) schedule.Schedule {
	var rule schedule.Rule
	if r.IntN(2) == 0 {
		rule = schedule.EveryNDays(1 + r.IntN(10))
	} else {
		rule = schedule.Rule{Freq: schedule.FreqWeekly, Interval: 1 + r.IntN(4), Days: schedule.Weekdays(1 + r.IntN(127))}
	}
	// Favour the hours around midnight and 01:00-03:59, where the zones
	// above change their clocks.
	hours := []int{0, 0, 1, 1, 2, 2, 2, 3, 23, r.IntN(24)}
	minutes := []int{0, 30, 15, 45, r.IntN(60)}
	start := schedule.DateOf(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(730)))
	s := schedule.Schedule{
		Rule: rule, Location: loc, StartDate: start,
		LocalTime: schedule.Clock{Hour: hours[r.IntN(len(hours))], Minute: minutes[r.IntN(len(minutes))]},
	}
	if r.IntN(4) == 0 {
		s.EndDate = start.AddDays(r.IntN(800))
	}
	return s
}

// TestNextDueWalksEveryOccurrenceInOrder checks, for random schedules in
// several zones over two years, that NextDue always moves strictly
// forward, only returns occurrences (right local date, right local time
// unless the time does not exist that day, first instant when it exists
// twice) and, called with its own previous answer, skips none.
func TestNextDueWalksEveryOccurrenceInOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(2027, 328))
	var kinds [3]int
	for i := range 240 {
		loc := mustZone(t, propertyZones[i%len(propertyZones)])
		s := randomSchedule(r, loc)
		startDay := time.Date(s.StartDate.Year, s.StartDate.Month, s.StartDate.Day, 0, 0, 0, 0, loc)
		from, to := startDay.AddDate(0, 0, -3), startDay.AddDate(2, 0, 0)
		want := oracleDates(s, schedule.DateOf(from), schedule.DateOf(to))

		var got []schedule.Date
		prev := from
		for {
			due, ok := schedule.NextDue(s, prev)
			if !ok {
				break
			}
			if !due.After(prev) {
				t.Fatalf("%s %s: NextDue(%v) = %v is not after it", loc, s.Rule, prev, due)
			}
			d := schedule.DateOf(due.In(loc))
			if d.After(schedule.DateOf(to)) {
				break
			}
			kinds[checkOccurrenceTime(t, s, loc, d, due)]++
			if again, _ := schedule.NextDue(s, due.Add(-time.Nanosecond)); !again.Equal(due) {
				t.Fatalf("%s %s: NextDue just before %v = %v", loc, s.Rule, due, again)
			}
			got = append(got, d)
			prev = due
		}
		if len(got) != len(want) {
			t.Fatalf("%s %s start %s end %s at %s: walked %d occurrences, want %d",
				loc, s.Rule, s.StartDate, s.EndDate, s.LocalTime, len(got), len(want))
		}
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("%s %s start %s: occurrence %d on %s, want %s", loc, s.Rule, s.StartDate, j, got[j], want[j])
			}
		}
	}
	t.Logf("occurrences: %d normal, %d in a repeated hour, %d in a gap", kinds[normal], kinds[repeated], kinds[skipped])
	if kinds[repeated] == 0 || kinds[skipped] == 0 {
		t.Fatal("the random schedules never hit a summer-time change; the property proves too little")
	}
}

// checkOccurrenceTime checks the local time of an occurrence due on civil
// date d against the summer-time rules, by brute force over real instants.
// It returns what kind of wall time it was, so the test can prove that
// gaps and repeated hours were actually exercised.
func checkOccurrenceTime(t *testing.T, s schedule.Schedule, loc *time.Location, d schedule.Date, due time.Time) wallKind {
	t.Helper()
	local := due.In(loc)
	shows := func(u time.Time) bool {
		l := u.In(loc)
		return schedule.DateOf(l) == d && l.Hour() == s.LocalTime.Hour && l.Minute() == s.LocalTime.Minute
	}
	if shows(due) {
		// Exists: must be the first instant showing that wall time.
		for _, back := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
			if shows(due.Add(-back)) {
				t.Fatalf("%s: %v shows %s %s, but so does the earlier %v", loc, due, d, s.LocalTime, due.Add(-back))
			}
		}
		for _, fwd := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
			if shows(due.Add(fwd)) {
				return repeated
			}
		}
		return normal
	}
	// Otherwise the wall time must not exist that day...
	for u := due.Add(-4 * time.Hour); u.Before(due.Add(4 * time.Hour)); u = u.Add(time.Minute) {
		if shows(u) {
			t.Fatalf("%s: %v is not %s %s although %v is", loc, due, d, s.LocalTime, u)
		}
	}
	// ...and it moved forward by exactly the gap.
	_, before := due.Add(-4 * time.Hour).Zone()
	_, after := due.Zone()
	wantMin := s.LocalTime.Hour*60 + s.LocalTime.Minute + (after-before)/60
	if got := local.Hour()*60 + local.Minute(); got != wantMin || schedule.DateOf(local) != d {
		t.Fatalf("%s: gap occurrence %v, want %s plus the %ds gap", loc, local, s.LocalTime, after-before)
	}
	return skipped
}

type wallKind int

const (
	normal   wallKind = iota
	repeated          // the wall time occurred twice that day
	skipped           // the wall time did not occur that day
)
