package reminders

import (
	"errors"
	"testing"

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
