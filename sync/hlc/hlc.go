// Package hlc is the hybrid logical clock that stamps every field edit in Veilig's sync.
//
// A stamp orders edits the way people expect (close to wall-clock time) while staying
// monotonic on one device when its clock steps back, and causal across devices: a device that
// has seen a stamp (Observe) only issues larger ones afterwards. Stamps are compared as plain
// numbers, so storage engines index and compare them as BIGINT.
//
// Layout: the upper 48 bits are unix milliseconds, the lower 16 a logical counter. Wall time
// is capped at 2^47-1 ms (the year 6429) so that every stamp is also a non-negative int64 and
// converts losslessly and in order (Int64, FromInt64).
//
// Clocks lie (a phone a year ahead is real): the server clamps client stamps with Clamp, so
// that one bad clock cannot win every merge for a year.
package hlc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Timestamp is a hybrid logical clock stamp; larger is later. The zero value means "none".
type Timestamp uint64

const logicalBits = 16

// maxWall is the largest wall time in milliseconds: it keeps the top bit clear for int64.
const maxWall = 1<<47 - 1

// New returns the stamp of wall (truncated to milliseconds) with a logical counter. Times
// before 1970 map to 0 ms; times beyond the representable range saturate.
func New(wall time.Time, logical uint16) Timestamp {
	ms := wall.UnixMilli()
	switch {
	case ms < 0:
		ms = 0
	case ms > maxWall:
		ms = maxWall
	}
	return Timestamp(uint64(ms)<<logicalBits | uint64(logical))
}

// Wall returns the physical part of the stamp.
func (t Timestamp) Wall() time.Time { return time.UnixMilli(int64(t >> logicalBits)).UTC() }

// Logical returns the logical counter.
func (t Timestamp) Logical() uint16 { return uint16(t) }

// IsZero reports whether t is the zero stamp ("none").
func (t Timestamp) IsZero() bool { return t == 0 }

// Int64 returns t for storage as a signed 64-bit integer (BIGINT); order is preserved.
func (t Timestamp) Int64() int64 { return int64(t) }

// FromInt64 is the inverse of Int64.
func FromInt64(v int64) Timestamp { return Timestamp(v) }

// String formats t as "<unix ms>.<logical, 4 hex digits>", e.g. "1764000000000.0003".
func (t Timestamp) String() string {
	return fmt.Sprintf("%d.%04x", uint64(t)>>logicalBits, t.Logical())
}

// ErrSyntax is returned by Parse for text that is not a stamp.
var ErrSyntax = errors.New("hlc: malformed timestamp")

// Parse reads the String form.
func Parse(s string) (Timestamp, error) {
	wall, logical, ok := strings.Cut(s, ".")
	if !ok || wall == "" || len(logical) != 4 || strings.HasPrefix(wall, "+") || strings.HasPrefix(logical, "+") {
		return 0, ErrSyntax
	}
	ms, err := strconv.ParseUint(wall, 10, 64)
	if err != nil || ms > maxWall {
		return 0, ErrSyntax
	}
	l, err := strconv.ParseUint(logical, 16, 16)
	if err != nil {
		return 0, ErrSyntax
	}
	return Timestamp(ms<<logicalBits | l), nil
}

// Clock issues stamps. It is safe for concurrent use.
type Clock struct {
	mu   sync.Mutex
	now  func() time.Time
	last Timestamp
}

// NewClock returns a clock reading physical time from now (time.Now when nil).
func NewClock(now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now}
}

// Now returns a stamp for a local event, larger than every stamp issued or observed before.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = next(c.last, New(c.now(), 0))
	return c.last
}

// Observe merges a stamp received from elsewhere (the server's clock in a sync answer, a
// pulled edit) and returns a stamp larger than both it and everything issued before.
func (c *Clock) Observe(remote Timestamp) Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote > c.last {
		c.last = remote
	}
	c.last = next(c.last, New(c.now(), 0))
	return c.last
}

// Last returns the latest stamp issued or observed, without advancing the clock.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// next is the HLC send rule: physical time when it is ahead, else the last stamp plus one
// logical tick. When the 16-bit counter overflows, the carry moves the wall part forward by
// a millisecond, which keeps stamps strictly increasing at the cost of running 1 ms ahead.
func next(last, physical Timestamp) Timestamp {
	if physical > last {
		return physical
	}
	return last + 1
}

// DefaultMaxSkew is how far ahead of the server's clock a client stamp may be.
const DefaultMaxSkew = 5 * time.Minute

// Clamp bounds a client stamp to serverNow+maxSkew. A stamp within the bound is returned
// unchanged; a later one is replaced by the bound itself and reported (clamped = true) so that
// the caller can log and count bad clocks. Clamped stamps of one push keep their relative
// order only down to the bound, which is acceptable: their author's clock is wrong, and the
// alternative — trusting it — would let that device win every merge until its clock is reached.
func Clamp(ts Timestamp, serverNow time.Time, maxSkew time.Duration) (Timestamp, bool) {
	limit := New(serverNow.Add(maxSkew), 0)
	if ts > limit {
		return limit, true
	}
	return ts, false
}
