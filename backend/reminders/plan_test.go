package reminders

import (
	"errors"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
)

// TestFromStoreZones pins which stored zones plan a schedule: the host's zone ("Local") is
// refused, so due times never follow the machine a replica runs on.
func TestFromStoreZones(t *testing.T) {
	tests := []struct {
		zone    string
		invalid bool
	}{
		{"", false},
		{schedule.DefaultZone, false},
		{"Asia/Tokyo", false},
		{"Local", true},
		{"Not/AZone", true},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			sc := store.Schedule{Rule: "FREQ=DAILY", TimeZone: tt.zone, LocalTime: "18:00", GraceMinutes: 60, StartDate: "2027-03-01"}
			_, err := FromStore(sc)
			if got := errors.Is(err, schedule.ErrInvalidSchedule); got != tt.invalid {
				t.Fatalf("FromStore(zone %q) = %v; want invalid %v", tt.zone, err, tt.invalid)
			}
			if !tt.invalid && err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestAGraceThatReachesTheNextCheck pins both sides of the grace rule: writing such a
// schedule is refused, and one stored before the rule keeps its checks going.
func TestAGraceThatReachesTheNextCheck(t *testing.T) {
	now := time.Date(2027, 3, 2, 12, 0, 0, 0, time.UTC)
	sc := store.Schedule{ID: "s-1", Rule: "FREQ=DAILY", TimeZone: schedule.DefaultZone, LocalTime: "18:00", GraceMinutes: 26 * 60, StartDate: "2027-03-01"}
	t.Run("is refused when written", func(t *testing.T) {
		w := sc
		err := Plan(&w, nil, now)
		if !errors.Is(err, schedule.ErrInvalidSchedule) || !errors.Is(err, schedule.ErrGraceTooLong) {
			t.Fatalf("Plan = %v, want ErrGraceTooLong", err)
		}
		if w.NextDueAt != nil {
			t.Fatalf("a refused schedule was planned: next due %v", w.NextDueAt)
		}
	})
	t.Run("an edit of a stored one that keeps its grace and rule is planned", func(t *testing.T) {
		stored := sc
		for name, edit := range map[string]func(*store.Schedule){
			"a new lead":   func(w *store.Schedule) { w.LeadProfessionalID = "p-other" },
			"a pause":      func(w *store.Schedule) { w.Paused = true },
			"a new window": func(w *store.Schedule) { w.WindowEnd = "19:00" },
		} {
			w := sc
			edit(&w)
			if err := Plan(&w, &stored, now); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if !w.Paused && w.NextDueAt == nil {
				t.Errorf("%s: not planned", name)
			}
		}
	})
	t.Run("an edit of a stored one that changes what the rule reads is refused", func(t *testing.T) {
		stored := sc
		for name, edit := range map[string]func(*store.Schedule){
			"another grace too long": func(w *store.Schedule) { w.GraceMinutes = 25 * 60 },
			"a new rule":             func(w *store.Schedule) { w.Rule = "FREQ=WEEKLY;BYDAY=MO,TU" },
			"a new start":            func(w *store.Schedule) { w.StartDate = "2027-03-02" },
		} {
			w := sc
			edit(&w)
			if err := Plan(&w, &stored, now); !errors.Is(err, schedule.ErrGraceTooLong) {
				t.Errorf("%s: Plan = %v, want ErrGraceTooLong", name, err)
			}
		}
	})
	t.Run("keeps its checks when stored before the rule", func(t *testing.T) {
		due := time.Date(2027, 3, 1, 17, 0, 0, 0, time.UTC) // 18:00 CET
		stored := sc
		stored.NextDueAt = &due
		adv := Advance(store.DueSchedule{Schedule: stored}, now)
		if adv.AlertID == "" {
			t.Fatal("the unsatisfied check raised no alert")
		}
		if want := due.Add(24 * time.Hour); adv.NextDueAt == nil || !adv.NextDueAt.Equal(want) {
			t.Fatalf("next due %v, want %v", adv.NextDueAt, want)
		}
	})
}
