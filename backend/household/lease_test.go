package household_test

import (
	"testing"
	"time"

	"github.com/veilig/veilig/backend/household"
)

func TestCheckLease(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name                  string
		lockAfter, eraseAfter time.Duration
		ok                    bool
	}{
		{"the default is a lease", household.DefaultLeaseLockAfter, household.DefaultLeaseEraseAfter, true},
		{"the longest lease is a lease", household.MaxLeaseLockAfter, household.MaxLeaseEraseAfter, true},
		{"a short lease is a lease", time.Second, 2 * time.Second, true},
		{"no lock period is none", 0, day, false},
		{"a negative lock period is none", -day, day, false},
		{"erasing when locking is none", day, day, false},
		{"erasing before locking is none", 2 * day, day, false},
		{"locking after more than 90 days is none", household.MaxLeaseLockAfter + time.Second, household.MaxLeaseEraseAfter, false},
		{"erasing after more than a year is none", day, household.MaxLeaseEraseAfter + time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := household.CheckLease(tt.lockAfter, tt.eraseAfter); (err == nil) != tt.ok {
				t.Fatalf("CheckLease(%s, %s) = %v, want ok %v", tt.lockAfter, tt.eraseAfter, err, tt.ok)
			}
		})
	}
	if household.MaxLeaseLockAfter != 90*day || household.MaxLeaseEraseAfter != 365*day {
		t.Fatal("the bounds moved: change LeasePeriods in proto/veilig/v1/region.proto with them")
	}
}
