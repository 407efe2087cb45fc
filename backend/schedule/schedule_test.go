package schedule_test

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // load IANA zones on any machine, even without a tz database

	"github.com/veilig/veilig/backend/schedule"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func mustDate(t testing.TB, s string) schedule.Date {
	t.Helper()
	d, err := schedule.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestNextDue(t *testing.T) {
	mo, th := time.Monday, time.Thursday
	tests := []struct {
		name      string
		zone      string // "" means the default zone (Location nil)
		rule      schedule.Rule
		at        schedule.Clock
		start     string
		end       string
		after     string // RFC 3339
		wantUTC   string // RFC 3339 in UTC; "" means ok=false
		wantLocal string // "2006-01-02 15:04 -0700" in the schedule's zone
	}{
		// Spring forward in Amsterdam: 2027-03-28 02:00 CET -> 03:00 CEST.
		{"a daily 02:30 check on the spring-forward day moves forward by the gap to 03:30 CEST", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 2, Minute: 30}, "2027-03-01", "",
			"2027-03-27T02:30:00+01:00", "2027-03-28T01:30:00Z", "2027-03-28 03:30 +0200"},
		{"the day after spring forward is back at 02:30 local in summer time", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 2, Minute: 30}, "2027-03-01", "",
			"2027-03-28T01:30:00Z", "2027-03-29T00:30:00Z", "2027-03-29 02:30 +0200"},
		// Fall back in Amsterdam: 2027-10-31 03:00 CEST -> 02:00 CET.
		{"a daily 02:30 check on the fall-back day takes the first 02:30, in summer time", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 2, Minute: 30}, "2027-10-01", "",
			"2027-10-30T02:30:00+02:00", "2027-10-31T00:30:00Z", "2027-10-31 02:30 +0200"},
		{"the repeated 02:30 on the fall-back day is not a second occurrence", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 2, Minute: 30}, "2027-10-01", "",
			"2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z", "2027-11-01 02:30 +0100"},
		{"daily 18:00 is 18:00 CET the day before spring forward", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 18}, "2027-03-01", "",
			"2027-03-27T12:00:00+01:00", "2027-03-27T17:00:00Z", "2027-03-27 18:00 +0100"},
		{"daily 18:00 stays 18:00 local, now CEST, on the spring-forward day", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 18}, "2027-03-01", "",
			"2027-03-27T17:00:00Z", "2027-03-28T16:00:00Z", "2027-03-28 18:00 +0200"},
		{"daily 18:00 is 18:00 CEST the day before fall back", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 18}, "2027-10-01", "",
			"2027-10-30T00:00:00Z", "2027-10-30T16:00:00Z", "2027-10-30 18:00 +0200"},
		{"daily 18:00 stays 18:00 local, now CET, on the fall-back day", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 18}, "2027-10-01", "",
			"2027-10-30T16:00:00Z", "2027-10-31T17:00:00Z", "2027-10-31 18:00 +0100"},
		// Weekly rules across the changes. 2027-03-25 and 2027-10-28 are Thursdays.
		{"weekly monday and thursday goes from thursday in CET to monday in CEST", "",
			schedule.EveryNWeeks(1, mo, th), schedule.Clock{Hour: 18}, "2027-03-01", "",
			"2027-03-25T17:00:00Z", "2027-03-29T16:00:00Z", "2027-03-29 18:00 +0200"},
		{"every other week skips the inactive week across spring forward", "",
			schedule.EveryNWeeks(2, mo, th), schedule.Clock{Hour: 18}, "2027-03-01", "",
			"2027-03-18T17:00:00Z", "2027-03-29T16:00:00Z", "2027-03-29 18:00 +0200"},
		{"weekly monday and thursday goes from thursday in CEST to monday in CET", "",
			schedule.EveryNWeeks(1, mo, th), schedule.Clock{Hour: 18}, "2027-10-01", "",
			"2027-10-28T16:00:00Z", "2027-11-01T17:00:00Z", "2027-11-01 18:00 +0100"},
		{"a weekly sunday 02:30 check on the spring-forward sunday moves to 03:30", "",
			schedule.EveryNWeeks(1, time.Sunday), schedule.Clock{Hour: 2, Minute: 30}, "2027-03-01", "",
			"2027-03-22T00:00:00Z", "2027-03-28T01:30:00Z", "2027-03-28 03:30 +0200"},
		{"weeks are counted from the ISO week of the start date, not from the start date", "",
			schedule.EveryNWeeks(2, mo), schedule.Clock{Hour: 9}, "2027-03-04", "",
			"2027-03-01T00:00:00Z", "2027-03-15T08:00:00Z", "2027-03-15 09:00 +0100"},
		// Every N days across the changes, counted in calendar days from the start date.
		{"every 2 days from friday lands on the spring-forward sunday, shifted to 03:30", "",
			schedule.EveryNDays(2), schedule.Clock{Hour: 2, Minute: 30}, "2027-03-26", "",
			"2027-03-26T01:30:00Z", "2027-03-28T01:30:00Z", "2027-03-28 03:30 +0200"},
		{"every 3 days from friday skips the spring-forward sunday to monday 02:30 CEST", "",
			schedule.EveryNDays(3), schedule.Clock{Hour: 2, Minute: 30}, "2027-03-26", "",
			"2027-03-26T01:30:00Z", "2027-03-29T00:30:00Z", "2027-03-29 02:30 +0200"},
		{"every 7 days is a calendar week, not 168 hours, across spring forward", "",
			schedule.EveryNDays(7), schedule.Clock{Hour: 18}, "2027-03-26", "",
			"2027-03-26T17:00:00Z", "2027-04-02T16:00:00Z", "2027-04-02 18:00 +0200"},
		{"every 2 days lands on the fall-back sunday at the first 02:30", "",
			schedule.EveryNDays(2), schedule.Clock{Hour: 2, Minute: 30}, "2027-10-29", "",
			"2027-10-29T00:30:00Z", "2027-10-31T00:30:00Z", "2027-10-31 02:30 +0200"},
		{"every 3 days across fall back keeps 18:00 local", "",
			schedule.EveryNDays(3), schedule.Clock{Hour: 18}, "2027-10-29", "",
			"2027-10-29T16:00:00Z", "2027-11-01T17:00:00Z", "2027-11-01 18:00 +0100"},
		{"every 7 days is a calendar week across fall back", "",
			schedule.EveryNDays(7), schedule.Clock{Hour: 18}, "2027-10-29", "",
			"2027-10-29T16:00:00Z", "2027-11-05T17:00:00Z", "2027-11-05 18:00 +0100"},
		// Start and end dates.
		{"before the start date the first occurrence is on the start date", "",
			schedule.EveryNDays(3), schedule.Clock{Hour: 18}, "2027-06-10", "",
			"2020-01-01T00:00:00Z", "2027-06-10T16:00:00Z", "2027-06-10 18:00 +0200"},
		{"a check at exactly after is not returned, the next one is", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 18}, "2027-06-10", "",
			"2027-06-10T16:00:00Z", "2027-06-11T16:00:00Z", "2027-06-11 18:00 +0200"},
		{"the end date is inclusive", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 18}, "2027-06-10", "2027-06-12",
			"2027-06-11T16:00:00Z", "2027-06-12T16:00:00Z", "2027-06-12 18:00 +0200"},
		{"after the last check on the end date there is nothing due", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 18}, "2027-06-10", "2027-06-12",
			"2027-06-12T16:00:00Z", "", ""},
		{"an end date between two occurrences ends the schedule", "",
			schedule.EveryNDays(7), schedule.Clock{Hour: 18}, "2027-06-10", "2027-06-16",
			"2027-06-10T16:00:00Z", "", ""},
		// Another zone: America/New_York, 2027-03-14 02:00 EST -> 03:00 EDT, 2027-11-07 02:00 EDT -> 01:00 EST.
		{"new york daily 18:00 is 18:00 EST before its spring forward", "America/New_York",
			schedule.EveryNDays(1), schedule.Clock{Hour: 18}, "2027-03-01", "",
			"2027-03-13T12:00:00-05:00", "2027-03-13T23:00:00Z", "2027-03-13 18:00 -0500"},
		{"new york daily 18:00 stays 18:00 local, now EDT", "America/New_York",
			schedule.EveryNDays(1), schedule.Clock{Hour: 18}, "2027-03-01", "",
			"2027-03-13T23:00:00Z", "2027-03-14T22:00:00Z", "2027-03-14 18:00 -0400"},
		{"new york 02:30 on its spring-forward day moves to 03:30 EDT", "America/New_York",
			schedule.EveryNDays(1), schedule.Clock{Hour: 2, Minute: 30}, "2027-03-01", "",
			"2027-03-13T12:00:00Z", "2027-03-14T07:30:00Z", "2027-03-14 03:30 -0400"},
		{"new york 01:30 on its fall-back day takes the first, EDT, instant", "America/New_York",
			schedule.EveryNDays(1), schedule.Clock{Hour: 1, Minute: 30}, "2027-11-01", "",
			"2027-11-06T12:00:00Z", "2027-11-07T05:30:00Z", "2027-11-07 01:30 -0400"},
		{"new york 01:30 the day after fall back is 01:30 EST", "America/New_York",
			schedule.EveryNDays(1), schedule.Clock{Hour: 1, Minute: 30}, "2027-11-01", "",
			"2027-11-07T05:30:00Z", "2027-11-08T06:30:00Z", "2027-11-08 01:30 -0500"},
		{"amsterdam is still on winter time during the new york spring forward", "",
			schedule.EveryNDays(1), schedule.Clock{Hour: 18}, "2027-03-01", "",
			"2027-03-14T00:00:00Z", "2027-03-14T17:00:00Z", "2027-03-14 18:00 +0100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := schedule.Schedule{Rule: tt.rule, LocalTime: tt.at, StartDate: mustDate(t, tt.start)}
			zone := "Europe/Amsterdam"
			if tt.zone != "" {
				zone = tt.zone
				s.Location = mustZone(t, tt.zone)
			}
			if tt.end != "" {
				s.EndDate = mustDate(t, tt.end)
			}
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			after := mustTime(t, tt.after)
			due, ok := schedule.NextDue(s, after)
			if tt.wantUTC == "" {
				if ok {
					t.Fatalf("NextDue = %v, want none", due)
				}
				return
			}
			if !ok {
				t.Fatalf("NextDue: none, want %s", tt.wantUTC)
			}
			if got := due.UTC().Format(time.RFC3339); got != tt.wantUTC {
				t.Errorf("NextDue = %s, want %s", got, tt.wantUTC)
			}
			if got := due.In(mustZone(t, zone)).Format("2006-01-02 15:04 -0700"); got != tt.wantLocal {
				t.Errorf("NextDue local = %s, want %s", got, tt.wantLocal)
			}
			if due.Location().String() != zone {
				t.Errorf("NextDue is in %v, want the schedule's zone %s", due.Location(), zone)
			}
		})
	}
}

func TestPauseAndResume(t *testing.T) {
	s := schedule.Schedule{
		Rule: schedule.EveryNDays(1), LocalTime: schedule.Clock{Hour: 18},
		StartDate: mustDate(t, "2027-06-01"), Grace: 2 * time.Hour,
	}
	pausedAt := mustTime(t, "2027-06-03T12:00:00Z")
	resumedAt := mustTime(t, "2027-06-08T17:00:00Z") // 19:00 CEST, after that day's 18:00

	t.Run("a paused schedule has nothing due", func(t *testing.T) {
		p := s
		p.Paused = true
		if due, ok := schedule.NextDue(p, pausedAt); ok {
			t.Fatalf("NextDue of a paused schedule = %v", due)
		}
	})
	t.Run("resuming does not bring back the checks missed while paused", func(t *testing.T) {
		due, ok := schedule.NextDue(s, resumedAt)
		if want := mustTime(t, "2027-06-09T16:00:00Z"); !ok || !due.Equal(want) {
			t.Fatalf("NextDue after resume = %v %v, want %v", due, ok, want)
		}
	})
	t.Run("resuming before the day's check makes that check due", func(t *testing.T) {
		due, ok := schedule.NextDue(s, mustTime(t, "2027-06-08T09:00:00Z"))
		if want := mustTime(t, "2027-06-08T16:00:00Z"); !ok || !due.Equal(want) {
			t.Fatalf("NextDue after resume = %v %v, want %v", due, ok, want)
		}
	})
}

func TestOverdueWindowAndKey(t *testing.T) {
	ams := mustZone(t, "Europe/Amsterdam")
	s := schedule.Schedule{
		Rule: schedule.EveryNDays(1), LocalTime: schedule.Clock{Hour: 18},
		WindowEnd: schedule.Clock{Hour: 20}, HasWindowEnd: true,
		Grace: 150 * time.Minute, StartDate: mustDate(t, "2027-03-01"),
	}
	due, ok := schedule.NextDue(s, mustTime(t, "2027-03-28T12:00:00Z"))
	if !ok {
		t.Fatal("no next due")
	}
	t.Run("a windowed occurrence is due at the window start", func(t *testing.T) {
		if want := time.Date(2027, 3, 28, 18, 0, 0, 0, ams); !due.Equal(want) {
			t.Fatalf("due = %v, want %v", due, want)
		}
	})
	t.Run("the window end is the end time on the same local day", func(t *testing.T) {
		end, ok := schedule.WindowEndAt(s, due)
		if want := time.Date(2027, 3, 28, 20, 0, 0, 0, ams); !ok || !end.Equal(want) {
			t.Fatalf("WindowEndAt = %v %v, want %v", end, ok, want)
		}
		s2 := s
		s2.HasWindowEnd = false
		if _, ok := schedule.WindowEndAt(s2, due); ok {
			t.Fatal("WindowEndAt without a window reported one")
		}
	})
	t.Run("overdue is due plus grace in real time", func(t *testing.T) {
		if got, want := schedule.OverdueAt(s, due), mustTime(t, "2027-03-28T18:30:00Z"); !got.Equal(want) {
			t.Fatalf("OverdueAt = %v, want %v", got, want)
		}
	})
	t.Run("the occurrence key is the schedule id and the due instant in UTC", func(t *testing.T) {
		if got, want := schedule.OccurrenceKey("s-42", due), "s-42@2027-03-28T16:00:00Z"; got != want {
			t.Fatalf("OccurrenceKey = %q, want %q", got, want)
		}
	})
	t.Run("the occurrence key does not depend on the zone the instant is held in", func(t *testing.T) {
		ny := mustZone(t, "America/New_York")
		if a, b := schedule.OccurrenceKey("s", due), schedule.OccurrenceKey("s", due.In(ny)); a != b {
			t.Fatalf("keys differ: %q vs %q", a, b)
		}
	})
	t.Run("two occurrences of a schedule have different keys", func(t *testing.T) {
		next, _ := schedule.NextDue(s, due)
		if schedule.OccurrenceKey("s", due) == schedule.OccurrenceKey("s", next) {
			t.Fatal("keys collide")
		}
	})
}

func TestValidate(t *testing.T) {
	valid := schedule.Schedule{
		Rule: schedule.EveryNDays(1), LocalTime: schedule.Clock{Hour: 18},
		StartDate: schedule.Date{Year: 2027, Month: time.March, Day: 1},
	}
	if err := valid.Validate(); err != nil {
		t.Fatalf("a minimal schedule is invalid: %v", err)
	}
	tests := []struct {
		name   string
		change func(*schedule.Schedule)
	}{
		{"a schedule without a rule is invalid", func(s *schedule.Schedule) { s.Rule = schedule.Rule{} }},
		{"an hour of 24 is invalid", func(s *schedule.Schedule) { s.LocalTime.Hour = 24 }},
		{"a minute of 60 is invalid", func(s *schedule.Schedule) { s.LocalTime.Minute = 60 }},
		{"a window ending before it starts is invalid", func(s *schedule.Schedule) {
			s.WindowEnd, s.HasWindowEnd = schedule.Clock{Hour: 17}, true
		}},
		{"a window across midnight is invalid", func(s *schedule.Schedule) {
			s.LocalTime, s.WindowEnd, s.HasWindowEnd = schedule.Clock{Hour: 22}, schedule.Clock{}, true
		}},
		{"an empty window is invalid", func(s *schedule.Schedule) { s.WindowEnd, s.HasWindowEnd = s.LocalTime, true }},
		{"a negative grace is invalid", func(s *schedule.Schedule) { s.Grace = -time.Minute }},
		{"the host's zone is invalid", func(s *schedule.Schedule) { s.Location = time.Local }},
		{"a missing start date is invalid", func(s *schedule.Schedule) { s.StartDate = schedule.Date{} }},
		{"a start date that does not exist is invalid", func(s *schedule.Schedule) {
			s.StartDate = schedule.Date{Year: 2027, Month: time.February, Day: 29}
		}},
		{"an end date before the start date is invalid", func(s *schedule.Schedule) {
			s.EndDate = schedule.Date{Year: 2027, Month: time.February, Day: 28}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid
			tt.change(&s)
			if err := s.Validate(); !errors.Is(err, schedule.ErrInvalidSchedule) {
				t.Fatalf("Validate = %v, want ErrInvalidSchedule", err)
			}
			if due, ok := schedule.NextDue(s, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)); ok {
				t.Fatalf("NextDue of an invalid schedule = %v, want none", due)
			}
		})
	}
}

func TestParseDateAndClock(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		ok       bool
	}{
		{"an ISO date parses", "2027-03-28", true},
		{"a leap day in a leap year parses", "2028-02-29", true},
		{"a leap day in a common year is rejected", "2027-02-29", false},
		{"a single-digit month is rejected", "2027-3-28", false},
		{"a date with a time is rejected", "2027-03-28T00:00", false},
		{"an empty date is rejected", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := schedule.ParseDate(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseDate(%q) = %v, %v", tt.in, d, err)
			}
			if tt.ok && d.String() != tt.in {
				t.Fatalf("String() = %q, want %q", d, tt.in)
			}
		})
	}
	for _, tt := range []struct {
		name, in string
		ok       bool
	}{
		{"a 24-hour time parses", "18:00", true},
		{"midnight parses", "00:00", true},
		{"24:00 is rejected", "24:00", false},
		{"a single-digit hour is rejected", "8:00", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := schedule.ParseClock(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseClock(%q) = %v, %v", tt.in, c, err)
			}
			if tt.ok && c.String() != tt.in {
				t.Fatalf("String() = %q, want %q", c, tt.in)
			}
		})
	}
}

func TestLoadZone(t *testing.T) {
	tests := []struct {
		name, zone string
		want       string // the loaded zone's name; "" for a refusal
	}{
		{"empty is the default zone", "", schedule.DefaultZone},
		{"an IANA zone loads", "America/New_York", "America/New_York"},
		{"UTC loads", "UTC", "UTC"},
		{"Local is refused: due times would follow the host", "Local", ""},
		{"an unknown zone is refused", "Europe/Atlantis", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := schedule.LoadZone(tt.zone)
			if tt.want == "" {
				if !errors.Is(err, schedule.ErrInvalidSchedule) {
					t.Fatalf("LoadZone(%q) = %v, %v; want ErrInvalidSchedule", tt.zone, loc, err)
				}
				return
			}
			if err != nil || loc.String() != tt.want {
				t.Fatalf("LoadZone(%q) = %v, %v; want %s", tt.zone, loc, err, tt.want)
			}
		})
	}
}

// TestWindowOnSpringForwardDays checks, over spring-forward days in several zones and years,
// that a window never ends before it starts and that a window whose start moved with the
// gap keeps its planned length.
func TestWindowOnSpringForwardDays(t *testing.T) {
	days := []struct {
		zone string
		date schedule.Date
	}{
		{"Europe/Amsterdam", schedule.Date{Year: 2026, Month: time.March, Day: 29}},
		{"Europe/Amsterdam", schedule.Date{Year: 2027, Month: time.March, Day: 28}},
		{"Europe/Amsterdam", schedule.Date{Year: 2030, Month: time.March, Day: 31}},
		{"America/New_York", schedule.Date{Year: 2027, Month: time.March, Day: 14}},
		{"Australia/Sydney", schedule.Date{Year: 2027, Month: time.October, Day: 3}},
	}
	windows := []struct{ start, end schedule.Clock }{
		{schedule.Clock{Hour: 2, Minute: 30}, schedule.Clock{Hour: 3, Minute: 15}},
		{schedule.Clock{Hour: 2, Minute: 10}, schedule.Clock{Hour: 2, Minute: 50}},
		{schedule.Clock{Hour: 2}, schedule.Clock{Hour: 4}},
		{schedule.Clock{Hour: 1, Minute: 30}, schedule.Clock{Hour: 3, Minute: 30}},
	}
	for _, d := range days {
		loc := mustZone(t, d.zone)
		for _, w := range windows {
			t.Run(d.zone+" "+d.date.String()+" "+w.start.String()+"-"+w.end.String(), func(t *testing.T) {
				s := schedule.Schedule{Rule: schedule.EveryNDays(1), Location: loc, LocalTime: w.start,
					WindowEnd: w.end, HasWindowEnd: true, StartDate: d.date}
				due, ok := schedule.NextDue(s, time.Date(d.date.Year, d.date.Month, d.date.Day, 0, 0, 0, 0, loc).Add(-time.Hour))
				if !ok || schedule.DateOf(due.In(loc)) != d.date {
					t.Fatalf("NextDue = %v, %v; want an occurrence on %s", due, ok, d.date)
				}
				end, ok := schedule.WindowEndAt(s, due)
				if !ok || !end.After(due) {
					t.Fatalf("window %v - %v ends before it starts", due.In(loc), end.In(loc))
				}
				planned := time.Duration((w.end.Hour-w.start.Hour)*60+w.end.Minute-w.start.Minute) * time.Minute
				if l := due.In(loc); (l.Hour() != w.start.Hour || l.Minute() != w.start.Minute) && end.Sub(due) != planned {
					t.Fatalf("moved window %v - %v lasts %v, want its planned %v", due.In(loc), end.In(loc), end.Sub(due), planned)
				}
			})
		}
	}
}
