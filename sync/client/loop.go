package client

import (
	"context"
	"math/rand/v2"
	"time"
)

// Loop keeps a replica in step until ctx ends: it syncs at once, then every interval, at
// once when poke delivers (a Subscribe message, an FCM data message, the app coming to the
// foreground), and after a failure again with exponential backoff with full jitter (Backoff:
// 1 s doubling to at most MaxBackoff), so that a fleet of phones coming back online together does
// not hammer the server in lockstep. Each outcome goes to report (nil for none).
func (r *Replica) Loop(ctx context.Context, interval time.Duration, poke <-chan struct{}, report func(SyncReport, error)) {
	failures := 0
	for {
		rep, err := r.Sync(ctx)
		if report != nil && ctx.Err() == nil {
			report(rep, err)
		}
		wait := interval
		if err != nil {
			failures++
			wait = Backoff(failures)
		} else {
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-poke:
			if err != nil {
				// A poke does not cut a backoff short: a failing server is not helped by more
				// requests.
				<-t.C
			}
		case <-t.C:
		}
		t.Stop()
	}
}

// MaxBackoff caps the wait after failures: a phone whose server is down retries at least
// every 5 minutes, so it catches up soon after the server is back.
const MaxBackoff = 5 * time.Minute

// Backoff is the wait after the n-th consecutive failure (n ≥ 1): "full jitter", a uniformly
// random duration in [0, min(MaxBackoff, 1 s × 2^(n-1))]. Full rather than partial jitter
// because what matters after an outage is spreading a fleet of phones that failed together
// over the whole window, not any one phone's wait; the cap is reached at the 10th failure.
func Backoff(n int) time.Duration {
	n = max(n, 1)
	limit := min(time.Second<<min(n-1, 20), MaxBackoff) // the shift is bounded so it cannot overflow
	return rand.N(limit + 1)
}
