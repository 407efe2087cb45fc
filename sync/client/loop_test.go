package client

import (
	"testing"
	"time"
)

func TestBackoffGrowsWithJitterAndStaysBounded(t *testing.T) {
	tests := []struct {
		failures int
		lo, hi   time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{5, 8 * time.Second, 16 * time.Second},
		{9, 128 * time.Second, 256 * time.Second},
		{50, 128 * time.Second, 256 * time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Backoff(tt.failures)
			if d < tt.lo || d > tt.hi {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tt.failures, d, tt.lo, tt.hi)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Errorf("Backoff(%d) has little jitter: %d distinct waits in 200", tt.failures, len(seen))
		}
	}
}
