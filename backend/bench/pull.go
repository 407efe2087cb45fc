package bench

import (
	"context"
	"fmt"
	"time"
)

// runPull measures catch-up after offline: fresh devices (no cursors) of the professionals
// the push scenario wrote for pull everything their households hold, all at once, page by
// page as a phone does (the server's default page size). Figure: records/s over the wall
// time. Without the push scenario in the round it first pushes PushMutations of its own.
func (r *runner) runPull(ctx context.Context) error {
	devices := 8
	if len(r.cfg.PushDevices) > 0 {
		devices = r.cfg.PushDevices[0]
	}
	if !r.pushed {
		if err := r.t.fix.ensure(ctx, devices); err != nil {
			return err
		}
		if err := r.pushCase(ctx, devices, 100); err != nil {
			return fmt.Errorf("fill the households: %w", err)
		}
	}
	devs, err := r.devices(devices, "pull")
	if err != nil {
		return err
	}
	defer closeDevices(devs)
	counts := make([]int, len(devs))
	start := time.Now()
	g, gctx := newGroup(ctx)
	for i, d := range devs {
		g.Go(func() error {
			n, _, err := d.pullAll(gctx, nil)
			counts[i] = n
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	took := time.Since(start)
	total := 0
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return fmt.Errorf("the fresh devices pulled no records")
	}
	name := fmt.Sprintf("%d fresh devices, %d records", devices, total)
	r.record(ScenarioPull, "catch-up", "records/s", "/s", float64(total)/took.Seconds())
	r.record(ScenarioPull, "catch-up", "records pulled", "count", float64(total))
	r.progress("pull %s in %v", name, took.Round(time.Millisecond))
	return nil
}

// runInitial measures the initial sync of one household holding InitialRecords plan entries
// (fieldsPerEdit fields each, pushed beforehand in batches of 1,000): a fresh device pulls it
// all. Figures: the time to the last page, and the response bytes on the wire (bodies as
// sent, compressed when the server compresses; headers not counted).
func (r *runner) runInitial(ctx context.Context) error {
	// The household of one professional beyond those of push, so it holds exactly this.
	idx := max(r.maxPushDevices(), 1)
	if err := r.t.fix.ensure(ctx, idx+1); err != nil {
		return err
	}
	writer, err := r.t.newDevice(idx, fmt.Sprintf("initial-writer-%d", r.round))
	if err != nil {
		return err
	}
	defer writer.close()
	for left := r.cfg.InitialRecords; left > 0; left -= 1000 {
		if err := writer.push(ctx, writer.editBatch(min(left, 1000))); err != nil {
			return fmt.Errorf("fill the household: %w", err)
		}
	}
	fresh, err := r.t.newDevice(idx, fmt.Sprintf("initial-fresh-%d", r.round))
	if err != nil {
		return err
	}
	defer fresh.close()
	start := time.Now()
	n, _, err := fresh.pullAll(ctx, nil)
	if err != nil {
		return err
	}
	took := time.Since(start)
	if n != r.cfg.InitialRecords {
		return fmt.Errorf("initial sync pulled %d records, want %d", n, r.cfg.InitialRecords)
	}
	sent, received := fresh.wire.bytes()
	cse := fmt.Sprintf("%d records", n)
	r.record(ScenarioInitial, cse, "time", "ms", float64(took.Microseconds())/1000)
	r.record(ScenarioInitial, cse, "bytes received", "B", float64(received))
	r.record(ScenarioInitial, cse, "bytes sent", "B", float64(sent))
	return nil
}

func (r *runner) maxPushDevices() int {
	n := 0
	for _, d := range r.cfg.PushDevices {
		n = max(n, d)
	}
	return n
}
