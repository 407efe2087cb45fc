package mobile

import (
	"testing"
	"time"

	"github.com/veilig/veilig/sync/client"
)

// TestUpcomingStaysAtLocalTimeAcrossSummerTime pins the phone's schedule view to the server's
// rules: "every day at 18:00" in Amsterdam is 18:00 local on both sides of the March change,
// so 17:00 UTC before it and 16:00 UTC after it, and a check-in still within its grace shows.
func TestUpcomingStaysAtLocalTimeAcrossSummerTime(t *testing.T) {
	sc := client.Schedule{ID: "s1", Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00", WindowEnd: "20:00",
		GraceMinutes: 120, StartDate: "2027-03-01"}
	plan, err := toSchedule(sc)
	if err != nil {
		t.Fatal(err)
	}
	// 19:00 local on Friday 26 March: today's 18:00 check is still within its two hours' grace.
	now := time.Date(2027, 3, 26, 18, 0, 0, 0, time.UTC)
	got := upcoming(plan, now, 4)
	want := []occurrence{
		{Due: "2027-03-26T18:00:00+01:00", OverdueAt: "2027-03-26T20:00:00+01:00", WindowEnd: "2027-03-26T20:00:00+01:00"},
		{Due: "2027-03-27T18:00:00+01:00", OverdueAt: "2027-03-27T20:00:00+01:00", WindowEnd: "2027-03-27T20:00:00+01:00"},
		{Due: "2027-03-28T18:00:00+02:00", OverdueAt: "2027-03-28T20:00:00+02:00", WindowEnd: "2027-03-28T20:00:00+02:00"},
		{Due: "2027-03-29T18:00:00+02:00", OverdueAt: "2027-03-29T20:00:00+02:00", WindowEnd: "2027-03-29T20:00:00+02:00"},
	}
	if len(got) != len(want) {
		t.Fatalf("upcoming %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("occurrence %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestUpcomingOfPausedEndedAndUnreadableSchedules(t *testing.T) {
	now := time.Date(2027, 3, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		sc   client.Schedule
		want int
	}{
		{"a paused schedule has none", client.Schedule{Rule: "FREQ=DAILY", LocalTime: "09:00", StartDate: "2027-03-01", Paused: true}, 0},
		{"an ended schedule stops at its end date", client.Schedule{Rule: "FREQ=DAILY", LocalTime: "09:00", StartDate: "2027-03-01", EndDate: "2027-03-28"}, 2},
		{"no zone means Amsterdam", client.Schedule{Rule: "FREQ=WEEKLY;BYDAY=MO,TH", LocalTime: "09:00", StartDate: "2027-03-01"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := toSchedule(tt.sc)
			if err != nil {
				t.Fatal(err)
			}
			if got := upcoming(plan, now, 5); len(got) != tt.want {
				t.Fatalf("%d upcoming %+v, want %d", len(got), got, tt.want)
			}
		})
	}
	if _, err := toSchedule(client.Schedule{Rule: "FREQ=MONTHLY", LocalTime: "09:00", StartDate: "2027-03-01"}); err == nil {
		t.Fatal("a rule the phone cannot read was accepted")
	}
}

// TestAScheduleWithATooLongGraceStillShowsItsChecks: the server refuses a grace that reaches
// the next check, but one stored before that rule keeps running there, so the phone shows it.
func TestAScheduleWithATooLongGraceStillShowsItsChecks(t *testing.T) {
	sc := client.Schedule{Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "09:00", GraceMinutes: 26 * 60, StartDate: "2027-03-01"}
	plan, ok := plannable(sc)
	if !ok {
		t.Fatal("the phone cannot plan a schedule the server still runs")
	}
	if got := upcoming(plan, time.Date(2027, 3, 26, 12, 0, 0, 0, time.UTC), 3); len(got) != 3 {
		t.Fatalf("upcoming %+v, want 3", got)
	}
	if _, ok := plannable(client.Schedule{Rule: "FREQ=MONTHLY", LocalTime: "09:00", StartDate: "2027-03-01"}); ok {
		t.Fatal("an unreadable rule was planned")
	}
}
