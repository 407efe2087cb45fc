package client

import (
	"context"
	"math/rand/v2"
	"time"
)

// Loop keeps a replica in step until ctx ends: it syncs at once, then every interval, at
// once when poke delivers (a Subscribe message, an FCM data message, the app coming to the
// foreground), and after a failure again with exponential backoff with full jitter (1 s
// doubling to at most 5 minutes), so that a fleet of phones coming back online together does
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

// Backoff is the wait after the n-th consecutive failure (n ≥ 1).
func Backoff(n int) time.Duration {
	limit := time.Second << min(n-1, 8) // 1 s … 256 s
	limit = min(limit, 5*time.Minute)
	return limit/2 + rand.N(limit/2+1)
}
