package hlc

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

var base = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func TestLayout(t *testing.T) {
	tests := []struct {
		name    string
		wall    time.Time
		logical uint16
		text    string
	}{
		{"epoch", time.UnixMilli(0), 0, "0.0000"},
		{"ordinary", base, 3, "1795597200000.0003"},
		{"sub-millisecond is truncated", base.Add(999 * time.Microsecond), 0xffff, "1795597200000.ffff"},
		{"before 1970 saturates to 0", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), 1, "0.0001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := New(tt.wall, tt.logical)
			if got := ts.String(); got != tt.text {
				t.Errorf("String = %s, want %s", got, tt.text)
			}
			back, err := Parse(tt.text)
			if err != nil || back != ts {
				t.Errorf("Parse(%s) = %v, %v; want %v", tt.text, back, err, ts)
			}
			if FromInt64(ts.Int64()) != ts || ts.Int64() < 0 {
				t.Errorf("int64 round trip of %v", ts)
			}
			if ts.Logical() != tt.logical {
				t.Errorf("Logical = %d", ts.Logical())
			}
		})
	}
	if New(base, 0) <= New(base.Add(-time.Millisecond), 0xffff) {
		t.Error("a later millisecond does not beat every logical tick of an earlier one")
	}
	if !New(base, 0).Wall().Equal(base) {
		t.Error("Wall does not round-trip")
	}
	for _, year := range []int{2026, 6000, 9999, 100000} {
		if far := New(time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC), 0xffff); far.Int64() < 0 || FromInt64(far.Int64()) != far {
			t.Errorf("a stamp in the year %d does not fit in an int64", year)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", ".", "1.", ".0001", "1.001", "1.00001", "x.0000", "1.zzzz", "-1.0000", "+1.0000", "1.+001",
		"140737488355328.0000", "1795597200000", "1 .0000"} {
		if ts, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", s, ts)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0.0000", "1795597200000.0003", "140737488355327.ffff", "1.FFFF", "", "1e3.0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(ts.String())
		if err != nil || again != ts {
			t.Fatalf("Parse(%q) = %v, but its String %q parses to %v, %v", s, ts, ts.String(), again, err)
		}
	})
}

// TestClockMonotonic drives a clock with a physical time that jumps back and forth: stamps
// must still strictly increase, and every Observe must end above the observed stamp.
func TestClockMonotonic(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed))
		physical := base
		c := NewClock(func() time.Time { return physical })
		var last Timestamp
		for range 2000 {
			physical = physical.Add(time.Duration(rng.IntN(2000)-1000) * time.Millisecond)
			var ts Timestamp
			if rng.IntN(3) == 0 {
				remote := New(physical.Add(time.Duration(rng.IntN(10000)-5000)*time.Millisecond), uint16(rng.IntN(1<<16)))
				ts = c.Observe(remote)
				if ts <= remote {
					t.Fatalf("seed %d: Observe(%v) = %v, not above the remote stamp", seed, remote, ts)
				}
			} else {
				ts = c.Now()
			}
			if ts <= last {
				t.Fatalf("seed %d: stamp %v after %v", seed, ts, last)
			}
			if ts < New(physical, 0) {
				t.Fatalf("seed %d: stamp %v behind physical time %v", seed, ts, physical)
			}
			last = ts
		}
		if c.Last() != last {
			t.Fatalf("Last = %v, want %v", c.Last(), last)
		}
	}
}

func TestClockLogicalOverflowCarries(t *testing.T) {
	c := NewClock(func() time.Time { return base })
	a := c.Observe(New(base, 0xfffe)) // base.ffff: the last logical tick of the millisecond
	b := c.Now()                      // carries into the next millisecond
	if a != New(base, 0xffff) || b != New(base.Add(time.Millisecond), 0) {
		t.Fatalf("overflow: %v then %v", a, b)
	}
}

func TestClockConcurrentUse(t *testing.T) {
	c := NewClock(nil)
	var mu sync.Mutex
	seen := map[Timestamp]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				ts := c.Now()
				mu.Lock()
				if seen[ts] {
					t.Errorf("stamp %v issued twice", ts)
				}
				seen[ts] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestClamp(t *testing.T) {
	limit := New(base.Add(DefaultMaxSkew), 0)
	tests := []struct {
		name    string
		in      Timestamp
		want    Timestamp
		clamped bool
	}{
		{"past", New(base.Add(-time.Hour), 7), New(base.Add(-time.Hour), 7), false},
		{"slightly ahead", New(base.Add(time.Minute), 1), New(base.Add(time.Minute), 1), false},
		{"exactly the bound", limit, limit, false},
		{"a year ahead", New(base.AddDate(1, 0, 0), 0), limit, true},
		{"just past the bound", limit + 1, limit, true},
	}
	for _, tt := range tests {
		got, clamped := Clamp(tt.in, base, DefaultMaxSkew)
		if got != tt.want || clamped != tt.clamped {
			t.Errorf("%s: Clamp(%v) = %v, %v; want %v, %v", tt.name, tt.in, got, clamped, tt.want, tt.clamped)
		}
	}
}
