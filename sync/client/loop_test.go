package client

import (
	"testing"
	"time"
)

func TestBackoffIsFullJitterUpToTheCap(t *testing.T) {
	tests := []struct {
		failures int
		limit    time.Duration
	}{
		{0, time.Second}, // treated as the first failure
		{1, time.Second},
		{2, 2 * time.Second},
		{5, 16 * time.Second},
		{9, 256 * time.Second},
		{10, MaxBackoff}, // 512 s capped
		{64, MaxBackoff}, // no overflow of the shift
		{1 << 30, MaxBackoff},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		var lowHalf int
		for range 400 {
			d := Backoff(tt.failures)
			if d < 0 || d > tt.limit {
				t.Fatalf("Backoff(%d) = %v, want within [0, %v]", tt.failures, d, tt.limit)
			}
			if d < tt.limit/2 {
				lowHalf++
			}
			seen[d] = true
		}
		if len(seen) < 100 {
			t.Errorf("Backoff(%d) has little jitter: %d distinct waits in 400", tt.failures, len(seen))
		}
		// Full jitter spreads over the whole window: about half the waits fall in its lower
		// half (an "equal jitter" of limit/2 + rand(limit/2) puts none there).
		if lowHalf < 120 || lowHalf > 280 {
			t.Errorf("Backoff(%d): %d of 400 waits below half the window, want about 200", tt.failures, lowHalf)
		}
	}
}
