package bench

import (
	"context"
	"fmt"
	"time"
)

// runPush runs every push case: devices × batch size. Each device is a professional's phone
// pushing batches of new plan entries (fieldsPerEdit fields each) into the household it
// leads, back to back, all devices at once. Figures: mutations/s over the wall time of the
// case, and the store's serialization retries per push when its driver counts them.
func (r *runner) runPush(ctx context.Context) error {
	maxDevices := 0
	for _, d := range r.cfg.PushDevices {
		maxDevices = max(maxDevices, d)
	}
	if err := r.t.fix.ensure(ctx, maxDevices); err != nil {
		return err
	}
	for _, devices := range r.cfg.PushDevices {
		for _, batch := range r.cfg.PushBatches {
			if err := r.pushCase(ctx, devices, batch); err != nil {
				return fmt.Errorf("%d devices × batch %d: %w", devices, batch, err)
			}
		}
	}
	r.pushed = true
	return nil
}

// pushesPerDevice is how many pushes each device makes in a case: PushMutations at batch 100,
// scaled with the batch, so every case makes the same number of pushes.
func (r *runner) pushesPerDevice(devices, batch int) int {
	total := r.cfg.PushMutations * batch / 100
	return max(1, total/(devices*batch))
}

func (r *runner) pushCase(ctx context.Context, devices, batch int) error {
	name := fmt.Sprintf("%d devices × %d", devices, batch)
	pushes := r.pushesPerDevice(devices, batch)
	devs, err := r.devices(devices, "push")
	if err != nil {
		return err
	}
	defer closeDevices(devs)
	retriesBefore, counted := r.t.retries()
	start := time.Now()
	g, gctx := newGroup(ctx)
	for _, d := range devs {
		g.Go(func() error {
			for range pushes {
				if err := d.push(gctx, d.editBatch(batch)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	took := time.Since(start)
	total := devices * pushes * batch
	r.record(ScenarioPush, name, "mutations/s", "/s", float64(total)/took.Seconds())
	switch {
	case r.t.external:
		r.na(ScenarioPush, name, "retries/push", "", "server not in process")
	case counted:
		after, _ := r.t.retries()
		r.record(ScenarioPush, name, "retries/push", "", float64(after-retriesBefore)/float64(devices*pushes))
	default:
		r.na(ScenarioPush, name, "retries/push", "", "no retry counter on this engine")
	}
	r.progress("push %s: %d mutations in %v", name, total, took.Round(time.Millisecond))
	return nil
}

// devices returns n devices of professionals 0…n-1, named prefix-i.
func (r *runner) devices(n int, prefix string) ([]*device, error) {
	devs := make([]*device, n)
	for i := range n {
		d, err := r.t.newDevice(i, fmt.Sprintf("%s-%d-%d", prefix, r.round, i))
		if err != nil {
			closeDevices(devs[:i])
			return nil, err
		}
		devs[i] = d
	}
	return devs, nil
}

func closeDevices(devs []*device) {
	for _, d := range devs {
		d.close()
	}
}
