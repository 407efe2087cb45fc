package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// runRoundTrip runs RoundTripDevices phones for RoundTripDuration, each in a loop of think
// time (ThinkTime, the first one random in [0, ThinkTime) so the devices do not march in
// step) and one round trip: a push of one plan-entry edit, then a pull from its cursors. A
// device first pulls once, unmeasured, to hold cursors, and makes at least one round trip.
// Figures: round-trip p50 and p99 (push
// start to pull answer) and round trips/s.
func (r *runner) runRoundTrip(ctx context.Context) error {
	n := r.cfg.RoundTripDevices
	if err := r.t.fix.ensure(ctx, n); err != nil {
		return err
	}
	devs, err := r.devices(n, "roundtrip")
	if err != nil {
		return err
	}
	defer closeDevices(devs)
	var mu sync.Mutex
	var latencies []time.Duration
	deadline := time.Now().Add(r.cfg.RoundTripDuration)
	g, gctx := newGroup(ctx)
	for _, d := range devs {
		g.Go(func() error {
			mine, err := d.roundTrips(gctx, deadline, r.cfg.ThinkTime)
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(latencies) == 0 {
		return fmt.Errorf("no round trip finished within %v: lengthen --duration beyond --think-time", r.cfg.RoundTripDuration)
	}
	cse := fmt.Sprintf("%d devices, think %v", n, r.cfg.ThinkTime)
	r.record(ScenarioRoundTrip, cse, "p50", "ms", ms(percentile(latencies, 50)))
	r.record(ScenarioRoundTrip, cse, "p99", "ms", ms(percentile(latencies, 99)))
	r.record(ScenarioRoundTrip, cse, "round trips/s", "/s", float64(len(latencies))/r.cfg.RoundTripDuration.Seconds())
	return nil
}

// roundTrips runs one device's loop until deadline and returns its round-trip times.
func (d *device) roundTrips(ctx context.Context, deadline time.Time, think time.Duration) ([]time.Duration, error) {
	_, cursors, err := d.pullAll(ctx, nil)
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	wait := time.Duration(rand.Int64N(int64(think) + 1))
	for {
		// Every device makes at least one round trip, however short the duration.
		if len(out) > 0 && time.Now().Add(wait).After(deadline) {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(wait):
		}
		start := time.Now()
		if err := d.push(ctx, d.editBatch(1)); err != nil {
			return out, err
		}
		var n int
		if n, cursors, err = d.pullAll(ctx, cursors); err != nil {
			return out, err
		}
		if n == 0 {
			return out, fmt.Errorf("round trip: the pull after a push returned no record")
		}
		out = append(out, time.Since(start))
		wait = think
	}
}

// percentile returns the p-th percentile (nearest rank) of ds; it sorts ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds))*p/100+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
