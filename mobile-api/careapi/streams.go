package careapi

import (
	"fmt"
	"sync"
)

// Default caps on concurrent SyncService.Subscribe streams (WithStreamLimits). A phone needs
// one stream; the room above it covers a reconnect that overlaps the old stream's end and a
// professional with a phone and a tablet. Each stream costs a goroutine and a query each
// time one of its households changes, so without a cap one account could open thousands and
// load the database for everybody.
const (
	DefaultStreamsPerProfessional = 8
	DefaultStreamsPerDevice       = 2
)

// WithStreamLimits caps the concurrent Subscribe streams of one professional and of one
// device of a professional (the token's device_id claim; a token without one counts against
// the professional's cap only). A stream over either cap is refused with ResourceExhausted.
// Defaults: DefaultStreamsPerProfessional and DefaultStreamsPerDevice.
//
// The caps hold per server process: n replicas behind a load balancer admit up to n times as
// many. Counting in the database would cost a write per stream and a lease for the streams of
// a replica that crashed; what the caps defend against, one account tying up a server, is a
// per-server harm.
//
// It panics on a cap below 1, which would refuse every stream: callers validate
// configuration first (veilig serve refuses such flags with an error naming them).
func WithStreamLimits(perProfessional, perDevice int) Option {
	if perProfessional < 1 || perDevice < 1 {
		panic(fmt.Sprintf("careapi.WithStreamLimits(%d, %d): both caps must be at least 1", perProfessional, perDevice))
	}
	return func(s *Service) { s.streams = newStreamLimiter(perProfessional, perDevice) }
}

// streamLimiter counts the open streams of each professional and of each (professional,
// device). A device is counted under its professional because device ids are claims of the
// token: one professional's tokens must not be able to use up another's device slots.
type streamLimiter struct {
	perProfessional, perDevice int

	mu             sync.Mutex
	byProfessional map[string]int
	byDevice       map[deviceKey]int
}

type deviceKey struct{ professionalID, deviceID string }

func newStreamLimiter(perProfessional, perDevice int) *streamLimiter {
	return &streamLimiter{perProfessional: perProfessional, perDevice: perDevice,
		byProfessional: map[string]int{}, byDevice: map[deviceKey]int{}}
}

// streamRefusal says which cap a refused stream hit, for the caller's error and the log.
type streamRefusal struct {
	scope string // "professional" or "device"
	limit int
}

// acquire takes a slot for a stream of professionalID on deviceID ("" when the token names
// no device) and returns the function that gives it back, or the cap that is full. Both
// counts are checked and taken under one lock, so concurrent subscribes cannot overshoot.
// release may be called more than once; only the first call counts, so that every path that
// ends a stream may call it without double-freeing another stream's slot.
func (l *streamLimiter) acquire(professionalID, deviceID string) (release func(), refused *streamRefusal) {
	l.mu.Lock()
	defer l.mu.Unlock()
	dk := deviceKey{professionalID, deviceID}
	if l.byProfessional[professionalID] >= l.perProfessional {
		return nil, &streamRefusal{scope: "professional", limit: l.perProfessional}
	}
	if deviceID != "" && l.byDevice[dk] >= l.perDevice {
		return nil, &streamRefusal{scope: "device", limit: l.perDevice}
	}
	l.byProfessional[professionalID]++
	if deviceID != "" {
		l.byDevice[dk]++
	}
	var once sync.Once
	return func() { once.Do(func() { l.release(professionalID, dk) }) }, nil
}

// release gives a slot back, deleting counts that reach zero so that the maps hold only
// professionals and devices with an open stream.
func (l *streamLimiter) release(professionalID string, dk deviceKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byProfessional[professionalID]--; l.byProfessional[professionalID] <= 0 {
		delete(l.byProfessional, professionalID)
	}
	if dk.deviceID == "" {
		return
	}
	if l.byDevice[dk]--; l.byDevice[dk] <= 0 {
		delete(l.byDevice, dk)
	}
}

// open reports the streams counted for a professional and for one of its devices, for tests.
func (l *streamLimiter) open(professionalID, deviceID string) (professional, device int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byProfessional[professionalID], l.byDevice[deviceKey{professionalID, deviceID}]
}
