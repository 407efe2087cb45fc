package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/veilig/veilig/backend/sim"
	"github.com/veilig/veilig/backend/store/storeopen"
)

// errViolations makes `veilig sim` exit non-zero when the checks fail.
var errViolations = errors.New("simulation found violations")

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sim", "[flags]", "Simulate phones syncing through faults, then check that nothing was lost; exits non-zero on any violation.\n"+
		"Its variables are VEILIG_SIM_*: a server's VEILIG_DATABASE_URL is never a simulation's database.")
	phones := fs.Int("phones", 50, "simulated phones")
	days := fs.Int("days", 30, "simulated days")
	seed := fs.Uint64("seed", 1, "random seed")
	tick := fs.Duration("tick", 30*time.Minute, "simulated time between rounds")
	faults := fs.Bool("faults", true, "lost answers, duplicated and reordered pushes, server restarts, a clock a year ahead")
	url := fs.String("database-url", "", "an EMPTY PostgreSQL database (postgres://…) to run on; empty means a temporary SQLite file")
	src, err := parseFlags(fs, args, envSpec{prefix: "VEILIG_SIM"}, stdout)
	if err != nil {
		return err
	}
	if err := noArguments(fs); err != nil {
		return err
	}
	if *url != "" {
		if err := storeopen.Check(*url); err != nil {
			return fmt.Errorf("sim: %s: %w", src.of("database-url"), err)
		}
	}
	if err := errors.Join(wantAtLeast(src, "phones", int64(*phones), 1), wantAtLeast(src, "days", int64(*days), 1), wantPositive(src, "tick", *tick)); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	dir, err := os.MkdirTemp("", "veilig-sim-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	engine := "sqlite"
	if *url != "" {
		engine = "postgres"
	}
	fmt.Fprintf(stderr, "sim: %d phones, %d days, seed %d, faults %v, %s\n", *phones, *days, *seed, *faults, engine)
	sum, err := sim.Run(ctx, sim.Config{Phones: *phones, Days: *days, Seed: *seed, Tick: *tick, DatabaseURL: *url, Dir: dir,
		Faults: *faults, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "sim:", sum)
	for _, v := range sum.Violations {
		fmt.Fprintln(stdout, "violation:", v)
	}
	if len(sum.Violations) > 0 {
		return errViolations
	}
	return nil
}
