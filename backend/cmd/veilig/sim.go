package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/veilig/veilig/backend/sim"
)

// errViolations makes `veilig sim` exit non-zero when the checks fail.
var errViolations = errors.New("simulation found violations")

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	phones := fs.Int("phones", 50, "simulated phones")
	days := fs.Int("days", 30, "simulated days")
	seed := fs.Uint64("seed", 1, "random seed")
	tick := fs.Duration("tick", 30*time.Minute, "simulated time between rounds")
	faults := fs.Bool("faults", true, "lost answers, duplicated and reordered pushes, server restarts, a clock a year ahead")
	url := fs.String("database-url", envDefault("DATABASE_URL", ""), "an EMPTY PostgreSQL database to run on; empty means a temporary SQLite file")
	if err := fs.Parse(args); err != nil {
		return err
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
