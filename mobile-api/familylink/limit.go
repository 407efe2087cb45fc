package familylink

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a token-bucket rate: PerMinute requests a minute on average, Burst at once. The
// zero Limit means "the default" in Config.
type Limit struct {
	PerMinute float64
	Burst     int
}

// Defaults for Config's limits. A family opens the page, perhaps mistypes a PIN, answers:
// a handful of requests. Guessing tokens or PINs needs thousands.
var (
	// DefaultPerLinkRate bounds requests for one link token.
	DefaultPerLinkRate = Limit{PerMinute: 10, Burst: 5}
	// DefaultPerAddressRate bounds requests from one client address (an IPv6 /64). It is
	// looser than the per-link limit because a household's carrier may put many phones
	// behind one address.
	DefaultPerAddressRate = Limit{PerMinute: 60, Burst: 20}
)

// Bounds on the limiter maps, so that an attacker sending made-up tokens from many addresses
// costs a bounded amount of memory.
const (
	limiterMaxEntries = 50_000
	// limiterSweepEvery is how often idle entries are dropped at most; sweeping is O(n) so it
	// is not done on every insert even when the map is full.
	limiterSweepEvery = 30 * time.Second
)

// limiter is a map of token buckets, one per key, in memory. An entry whose bucket has
// refilled completely carries no information and is dropped by the next sweep; when the map
// is full of live entries a random one is evicted (Go's map order), which at worst gives
// that key a fresh bucket. Per-replica limits are good enough here: the PIN lock in the
// database is the hard bound on guessing, these limits only make guessing slow and cheap to
// refuse.
type limiter struct {
	limit     rate.Limit
	burst     int
	idle      time.Duration // time for an empty bucket to refill
	max       int
	mu        sync.Mutex
	entries   map[string]*limiterEntry
	lastSweep time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(l Limit, max int) *limiter {
	perSec := l.PerMinute / 60
	idle := time.Duration(float64(l.Burst)/perSec*float64(time.Second)) + time.Second
	return &limiter{limit: rate.Limit(perSec), burst: l.Burst, idle: idle, max: max, entries: make(map[string]*limiterEntry)}
}

// allow takes one token from key's bucket at now.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[key]
	if !ok {
		if len(l.entries) >= l.max {
			l.sweep(now)
		}
		if len(l.entries) >= l.max {
			for k := range l.entries {
				delete(l.entries, k)
				break
			}
		}
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.entries[key] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}

// sweep drops entries idle long enough to have refilled, at most once per limiterSweepEvery.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < limiterSweepEvery && !l.lastSweep.IsZero() {
		return
	}
	l.lastSweep = now
	for k, e := range l.entries {
		if now.Sub(e.seen) > l.idle {
			delete(l.entries, k)
		}
	}
}

// len reports the number of entries, for tests.
func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// clientAddress is the key for the per-address limit: the client's IP, or with trustProxy
// the last X-Forwarded-For hop (the one our own proxy appended; earlier hops are
// client-chosen). IPv6 addresses are cut to their /64, since one phone can hold a whole /64.
// An address that cannot be read is "?": such requests share one bucket rather than escape
// the limit.
func clientAddress(r *http.Request, trustProxy bool) string {
	raw := ""
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			raw = strings.TrimSpace(last)
		}
	}
	if raw == "" {
		raw = r.RemoteAddr
	}
	return addressKey(raw)
}

// addressKey normalises "ip", "ip:port" or "[ip]:port" to a limiter key.
func addressKey(raw string) string {
	if len(raw) > 64 {
		return "?"
	}
	if host, _, err := net.SplitHostPort(raw); err == nil {
		raw = host
	}
	ip, err := netip.ParseAddr(strings.Trim(raw, "[]"))
	if err != nil {
		return "?"
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, err := ip.Prefix(64)
		if err != nil {
			return "?"
		}
		return p.String()
	}
	return ip.String()
}
