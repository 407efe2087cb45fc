package hlc

// These tests hold the clock to the sync contract (/work/shared/architecture.md, "The sync
// contract"): stamps order like the numbers they are stored as, a device's stamps only grow,
// and clamping bounds a lying clock without breaking what the merge relies on.

import (
	"math/rand/v2"
	"testing"
	"testing/quick"
	"time"
)

var contractNow = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// stampIn is a random stamp within the representable range, weighted towards realistic times
// so that neighbouring stamps are common.
func stampIn(rng *rand.Rand) Timestamp {
	if rng.IntN(4) == 0 {
		return Timestamp(rng.Uint64N(maxWall<<logicalBits | 0xffff + 1))
	}
	return New(contractNow.Add(time.Duration(rng.Int64N(int64(48*time.Hour)))-24*time.Hour), uint16(rng.IntN(4)))
}

// TestStampsOrderAsStored: the stamp order, the BIGINT order and the String/Parse round trip
// agree for every representable stamp, so storage can compare stamps in SQL.
func TestStampsOrderAsStored(t *testing.T) {
	cfg := &quick.Config{MaxCount: 5000, Rand: nil}
	prop := func(ams, bms uint64, al, bl uint16) bool {
		a := Timestamp(ams%(maxWall+1)<<logicalBits | uint64(al))
		b := Timestamp(bms%(maxWall+1)<<logicalBits | uint64(bl))
		if a.Int64() < 0 || b.Int64() < 0 || FromInt64(a.Int64()) != a {
			return false
		}
		if (a < b) != (a.Int64() < b.Int64()) {
			return false
		}
		back, err := Parse(a.String())
		if err != nil || back != a {
			return false
		}
		// Wall and Logical take the stamp apart; New puts it back together.
		return New(a.Wall(), a.Logical()) == a && a.IsZero() == (a == 0)
	}
	if err := quick.Check(prop, cfg); err != nil {
		t.Fatal(err)
	}
}

// TestStampRange: every time a user can meet maps to a non-negative int64. The 48-bit layout
// alone would overflow int64 from the year 6429 on (2^47 ms after 1970), so New saturates
// there; up to the cap, later times give strictly larger stamps.
func TestStampRange(t *testing.T) {
	capTime := time.UnixMilli(maxWall).UTC()
	if capTime.Year() != 6429 {
		t.Fatalf("the cap moved to %v", capTime)
	}
	for _, tt := range []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, 0),
		contractNow,
		capTime.Add(-time.Millisecond),
		capTime,
		capTime.Add(time.Hour),
		time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC),
	} {
		ts := New(tt, 0xffff)
		if ts.Int64() < 0 || FromInt64(ts.Int64()) != ts {
			t.Errorf("New(%v) = %v does not survive int64 storage", tt, ts)
		}
	}
	if !(New(capTime.Add(-time.Millisecond), 0) < New(capTime, 0)) {
		t.Error("order is lost below the cap")
	}
	if New(capTime.Add(time.Hour), 0) != New(capTime, 0) {
		t.Error("times past the cap must saturate to the cap")
	}
}

// TestClockPhysicalStepsBack is the quick-check form of the clock property: whatever the
// physical clock does (NTP steps back, the user changes the time zone badly), stamps strictly
// grow and Observe ends above what it observed.
func TestClockPhysicalStepsBack(t *testing.T) {
	prop := func(steps []int16, remotes []int32) bool {
		physical := contractNow
		c := NewClock(func() time.Time { return physical })
		var last Timestamp
		for i, s := range steps {
			physical = physical.Add(time.Duration(s) * time.Millisecond)
			var ts Timestamp
			if len(remotes) > 0 && i%3 == 2 {
				remote := New(contractNow.Add(time.Duration(remotes[i%len(remotes)])*time.Millisecond), uint16(s))
				ts = c.Observe(remote)
				if ts <= remote {
					return false
				}
			} else {
				ts = c.Now()
			}
			if ts <= last || ts < New(physical, 0) || c.Last() != ts {
				return false
			}
			last = ts
		}
		return true
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 500}); err != nil {
		t.Fatal(err)
	}
}

// TestClockFrozenPhysicalTime: a clock whose physical time stands still still issues unique,
// increasing stamps, carrying from the logical counter into the millisecond.
func TestClockFrozenPhysicalTime(t *testing.T) {
	c := NewClock(func() time.Time { return contractNow })
	prev := c.Now()
	for range 3*(1<<logicalBits) - 1 {
		ts := c.Now()
		if ts != prev+1 {
			t.Fatalf("after %v came %v", prev, ts)
		}
		prev = ts
	}
	if prev.Wall().Sub(contractNow) != 2*time.Millisecond || prev.Logical() != 0xffff {
		t.Fatalf("three counters' worth of stamps end at %v", prev)
	}
}

// TestClampProperties checks what the merge needs from Clamp, for random stamps and server
// times:
//   - it never raises a stamp and never lets one past serverNow+maxSkew;
//   - it is idempotent, and clamped reports exactly whether the stamp changed;
//   - it is monotone in the stamp: clamping never reverses the order of two stamps (ties are
//     possible, and the merge breaks them by device and mutation id);
//   - it is monotone in server time: a stamp clamped in a later push is never smaller;
//   - so clamping Stamp and Seen of one write with the same server time keeps Seen <= Stamp,
//     and a write that had seen another (Seen == other's Stamp) still has, after both are
//     clamped (the other one earlier or at once), Seen >= the other's clamped Stamp: a
//     sequential edit stays sequential and does not turn into a false conflict.
func TestClampProperties(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		for range 2000 {
			now := contractNow.Add(time.Duration(rng.Int64N(int64(time.Hour))))
			later := now.Add(time.Duration(rng.Int64N(int64(time.Hour))))
			skew := []time.Duration{0, time.Millisecond, DefaultMaxSkew, time.Hour}[rng.IntN(4)]
			a, b := stampIn(rng), stampIn(rng)
			if rng.IntN(3) == 0 {
				b = a + Timestamp(rng.IntN(3))
			}
			if a > b {
				a, b = b, a
			}
			limit := New(now.Add(skew), 0)
			ca, clampedA := Clamp(a, now, skew)
			cb, _ := Clamp(b, now, skew)
			switch {
			case ca > a:
				t.Fatalf("Clamp raised %v to %v", a, ca)
			case ca > limit:
				t.Fatalf("Clamp(%v) = %v, past the bound %v", a, ca, limit)
			case clampedA != (ca != a):
				t.Fatalf("Clamp(%v) = %v reports clamped=%v", a, ca, clampedA)
			case ca > cb:
				t.Fatalf("Clamp reverses %v < %v into %v > %v", a, b, ca, cb)
			}
			if again, c := Clamp(ca, now, skew); again != ca || c {
				t.Fatalf("Clamp is not idempotent: %v → %v → %v", a, ca, again)
			}
			if cl, _ := Clamp(a, later, skew); cl < ca {
				t.Fatalf("a later server time clamps %v lower: %v < %v", a, cl, ca)
			}
			// Write w2 saw w1 (w2.Seen == w1.Stamp == a) and was made later (w2.Stamp == b).
			// w1 was pushed at now, w2 at later.
			w1Stamp, _ := Clamp(a, now, skew)
			w2Seen, _ := Clamp(a, later, skew)
			w2Stamp, _ := Clamp(b, later, skew)
			if w2Seen > w2Stamp || w2Seen < w1Stamp {
				t.Fatalf("clamping broke seen-ness: w1 %v→%v, w2 seen %v→%v stamp %v→%v", a, w1Stamp, a, w2Seen, b, w2Stamp)
			}
		}
	}
}

// TestClampYearAhead: the case the rule exists for.
func TestClampYearAhead(t *testing.T) {
	liar := New(contractNow.AddDate(1, 0, 0), 5)
	got, clamped := Clamp(liar, contractNow, DefaultMaxSkew)
	if !clamped || got != New(contractNow.Add(DefaultMaxSkew), 0) {
		t.Fatalf("Clamp(a year ahead) = %v, %v", got, clamped)
	}
	// Six minutes later any honest clock is ahead of the clamped stamp.
	if honest := New(contractNow.Add(6*time.Minute), 0); honest <= got {
		t.Fatalf("an honest stamp %v does not beat the clamped %v", honest, got)
	}
	// A stamp that is not ahead passes untouched, however old.
	old := New(contractNow.AddDate(-3, 0, 0), 1)
	if got, clamped := Clamp(old, contractNow, DefaultMaxSkew); got != old || clamped {
		t.Fatalf("Clamp(old) = %v, %v", got, clamped)
	}
}

// FuzzClock drives a clock with an operation sequence from the input: steps of the physical
// clock (back and forth) and observed remote stamps within a realistic window (±10 years).
func FuzzClock(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{1, 255, 255, 255, 0, 1, 2, 3, 1, 0, 0, 0})
	f.Add([]byte{2, 128, 0, 0, 2, 128, 0, 0, 0, 0, 0, 0})
	f.Add([]byte("the clock steps back and forth"))
	f.Fuzz(func(t *testing.T, data []byte) {
		physical := contractNow
		c := NewClock(func() time.Time { return physical })
		var last Timestamp
		for i := 0; i+4 <= len(data); i += 4 {
			v := int64(int32(uint32(data[i+1])<<24 | uint32(data[i+2])<<16 | uint32(data[i+3])<<8))
			var ts Timestamp
			switch data[i] % 3 {
			case 0: // the physical clock steps, by up to ±25 days
				physical = physical.Add(time.Duration(v) * time.Millisecond)
				ts = c.Now()
			case 1: // a remote stamp up to ±10 years away
				remote := New(contractNow.Add(time.Duration(v)*150*time.Millisecond), uint16(v))
				ts = c.Observe(remote)
				if ts <= remote {
					t.Fatalf("Observe(%v) = %v", remote, ts)
				}
			default:
				ts = c.Now()
			}
			if ts <= last {
				t.Fatalf("stamp %v after %v", ts, last)
			}
			if ts.Int64() < 0 {
				t.Fatalf("stamp %v does not fit int64", ts)
			}
			last = ts
		}
	})
}
