package schedule_test

import (
	"errors"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/schedule"
)

func TestShortestGap(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name string
		rule schedule.Rule
		zone string
		want time.Duration
	}{
		{"every day in Amsterdam is 23h apart across the spring change", schedule.EveryNDays(1), "Europe/Amsterdam", 23 * time.Hour},
		{"every day in UTC is a full day apart", schedule.EveryNDays(1), "UTC", day},
		{"every day in Tokyo, which keeps no summer time, is a full day apart", schedule.EveryNDays(1), "Asia/Tokyo", day},
		{"every day on Lord Howe Island loses the half hour its clocks skip", schedule.EveryNDays(1), "Australia/Lord_Howe", day - 30*time.Minute},
		{"every three days is three days less the spring hour", schedule.EveryNDays(3), "Europe/Amsterdam", 3*day - time.Hour},
		{"Monday and Thursday are three days apart at the least", schedule.EveryNWeeks(1, time.Monday, time.Thursday), "Europe/Amsterdam", 3*day - time.Hour},
		{"Monday and Tuesday are one day apart", schedule.EveryNWeeks(1, time.Monday, time.Tuesday), "Europe/Amsterdam", day - time.Hour},
		{"Sunday to the next Monday is one day across the week's end", schedule.EveryNWeeks(1, time.Monday, time.Sunday), "UTC", day},
		{"one day every two weeks is fourteen days apart", schedule.EveryNWeeks(2, time.Wednesday), "UTC", 14 * day},
		{"Monday to Friday is four days though Friday to the next Monday is ten", schedule.EveryNWeeks(2, time.Monday, time.Friday), "UTC", 4 * day},
		{"Friday to Saturday is one day though Saturday to the next Friday is twelve", schedule.EveryNWeeks(2, time.Friday, time.Saturday), "UTC", day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := schedule.Schedule{Rule: tt.rule, Location: mustZone(t, tt.zone), LocalTime: schedule.Clock{Hour: 18},
				StartDate: mustDate(t, "2027-01-04")}
			if got := schedule.ShortestGap(s); got != tt.want {
				t.Fatalf("ShortestGap = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateRefusesAGraceThatReachesTheNextCheck(t *testing.T) {
	tests := []struct {
		name  string
		rule  schedule.Rule
		zone  string
		grace time.Duration
		ok    bool
	}{
		{"a daily grace of two hours is fine", schedule.EveryNDays(1), "Europe/Amsterdam", 2 * time.Hour, true},
		{"a daily grace just under the spring day is fine", schedule.EveryNDays(1), "Europe/Amsterdam", 23*time.Hour - time.Minute, true},
		{"a daily grace of the spring day is refused", schedule.EveryNDays(1), "Europe/Amsterdam", 23 * time.Hour, false},
		{"a daily grace of a full day is refused", schedule.EveryNDays(1), "Europe/Amsterdam", 24 * time.Hour, false},
		{"a grace longer than the interval is refused", schedule.EveryNDays(2), "Europe/Amsterdam", 72 * time.Hour, false},
		{"a daily grace of 23h30 is fine where no summer time is kept", schedule.EveryNDays(1), "UTC", 23*time.Hour + 30*time.Minute, true},
		{"two days of grace between Monday and Thursday are fine", schedule.EveryNWeeks(1, time.Monday, time.Thursday), "Europe/Amsterdam", 48 * time.Hour, true},
		{"three days of grace between Thursday and Monday are refused", schedule.EveryNWeeks(1, time.Monday, time.Thursday), "Europe/Amsterdam", 71 * time.Hour, false},
		{"a week of grace for a check every two weeks is fine", schedule.EveryNWeeks(2, time.Monday), "Europe/Amsterdam", 7 * 24 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := schedule.Schedule{Rule: tt.rule, Location: mustZone(t, tt.zone), LocalTime: schedule.Clock{Hour: 18},
				Grace: tt.grace, StartDate: mustDate(t, "2027-01-04")}
			err := s.Validate()
			if tt.ok {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, schedule.ErrInvalidSchedule) || !errors.Is(err, schedule.ErrGraceTooLong) {
				t.Fatalf("Validate = %v, want ErrInvalidSchedule and ErrGraceTooLong", err)
			}
			// A schedule stored before the rule keeps its checks: NextDue still computes it.
			if _, ok := schedule.NextDue(s, mustTime(t, "2027-03-01T00:00:00Z")); !ok {
				t.Fatal("NextDue refuses a well-formed schedule whose grace is too long")
			}
		})
	}
}

// TestAGraceBelowTheShortestGapIsOverdueBeforeTheNextCheckIsDue walks two years of
// occurrences (four summer-time changes) of schedules whose grace is a minute below the
// shortest gap, at local times that fall in the changes' gap and overlap too, and checks the
// promise the rule makes: every occurrence is overdue before the next one is due.
func TestAGraceBelowTheShortestGapIsOverdueBeforeTheNextCheckIsDue(t *testing.T) {
	rules := []schedule.Rule{
		schedule.EveryNDays(1), schedule.EveryNDays(2),
		schedule.EveryNWeeks(1, time.Saturday, time.Sunday), schedule.EveryNWeeks(1, time.Sunday, time.Monday),
	}
	for _, zone := range []string{"Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe"} {
		for _, local := range []schedule.Clock{{Hour: 2, Minute: 30}, {Hour: 1, Minute: 45}, {Hour: 18}} {
			for _, rule := range rules {
				s := schedule.Schedule{Rule: rule, Location: mustZone(t, zone), LocalTime: local, StartDate: mustDate(t, "2027-01-01")}
				s.Grace = schedule.ShortestGap(s) - time.Minute
				if err := s.Validate(); err != nil {
					t.Fatalf("%s %s %s: %v", zone, local, rule, err)
				}
				due, ok := schedule.NextDue(s, mustTime(t, "2027-01-01T00:00:00Z"))
				for ok && due.Year() < 2029 {
					next, more := schedule.NextDue(s, due)
					if more && !schedule.OverdueAt(s, due).Before(next) {
						t.Fatalf("%s %s %s: the check due %v is overdue at %v, not before the next due %v",
							zone, local, rule, due, schedule.OverdueAt(s, due), next)
					}
					due, ok = next, more
				}
			}
		}
	}
}
