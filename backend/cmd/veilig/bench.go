package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/veilig/veilig/backend/bench"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "[flags]", "Measure push, pull, streams, detection and fan-out over HTTP on each engine; prints a markdown table.\n"+
		"Its variables are VEILIG_BENCH_*: it creates and drops databases, so a server's VEILIG_DATABASE_URL never points it anywhere.")
	cfg := bench.DefaultConfig()
	engines := fs.String("engines", strings.Join(cfg.Engines, ","), "engines to run on: sqlite, postgres (comma-separated)")
	scenarios := fs.String("scenarios", strings.Join(cfg.Scenarios, ","), "scenarios to run (comma-separated): "+strings.Join(bench.AllScenarios, ", "))
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "interleaved rounds per scenario; the table holds the median")
	fs.StringVar(&cfg.URL, "url", "", "measure the server at this base URL instead of one in process (needs --database-url of its database and --data-dir of its dev key)")
	fs.StringVar(&cfg.DataDir, "data-dir", "veilig-data", "with --url: the server's data folder, whose dev issuer key signs the devices' tokens")
	// Its own prefix, VEILIG_BENCH_, not VEILIG_: a server's configuration in the environment
	// must not point the bench, which creates and drops databases, at that server's data.
	fs.StringVar(&cfg.DatabaseURL, "database-url", "", "PostgreSQL server the bench may create and drop databases on; empty starts a throwaway cluster from the installed binaries; with --url, the server's own database")
	pushDevices := fs.String("push-devices", joinInts(cfg.PushDevices), "push cases: devices pushing at once (comma-separated)")
	pushBatches := fs.String("push-batches", joinInts(cfg.PushBatches), "push cases: mutations per push (comma-separated)")
	fs.IntVar(&cfg.PushMutations, "push-mutations", cfg.PushMutations, "mutations of a push case at batch 100; a case at batch b pushes b/100 of it")
	fs.IntVar(&cfg.InitialRecords, "initial-records", cfg.InitialRecords, "records of the initial-sync household")
	fs.IntVar(&cfg.RoundTripDevices, "roundtrip-devices", cfg.RoundTripDevices, "devices doing push+pull round trips")
	fs.DurationVar(&cfg.ThinkTime, "think-time", cfg.ThinkTime, "pause of each device between round trips")
	fs.DurationVar(&cfg.RoundTripDuration, "duration", cfg.RoundTripDuration, "how long the round-trip scenario runs")
	fs.IntVar(&cfg.Streams, "streams", cfg.Streams, "SyncService/Subscribe streams open at once")
	fs.DurationVar(&cfg.IdleWindow, "idle-window", cfg.IdleWindow, "how long idle CPU is measured with the streams open")
	fs.IntVar(&cfg.Pokes, "pokes", cfg.Pokes, "push-to-poke latencies sampled")
	fs.IntVar(&cfg.DetectDue, "detect-due", cfg.DetectDue, "schedules due in the detection pass")
	fs.IntVar(&cfg.DetectSchedules, "detect-schedules", cfg.DetectSchedules, "schedules in total for the detection pass")
	fs.IntVar(&cfg.FanoutNotifications, "fanout", cfg.FanoutNotifications, "notifications sent through the FCM SDK to the local FCM sink")
	fs.IntVar(&cfg.RawWriters, "raw-writers", cfg.RawWriters, "raw baseline: concurrent writers")
	fs.IntVar(&cfg.RawBatch, "raw-batch", cfg.RawBatch, "raw baseline: rows per INSERT transaction")
	fs.IntVar(&cfg.RawRows, "raw-rows", cfg.RawRows, "raw baseline: rows in total")
	out := fs.String("out", "bench.json", "file for every figure as JSON; empty writes none")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the bench process (the in-process server included) to this file")
	if _, err := parseFlags(fs, args, envSpec{prefix: "VEILIG_BENCH"}, stdout); err != nil {
		return err
	}
	if err := noArguments(fs); err != nil {
		return err
	}
	var err error
	cfg.Engines, cfg.Scenarios = splitList(*engines), splitList(*scenarios)
	if cfg.PushDevices, err = parseInts("--push-devices", *pushDevices); err != nil {
		return err
	}
	if cfg.PushBatches, err = parseInts("--push-batches", *pushBatches); err != nil {
		return err
	}
	cfg.Progress = stderr
	cfg.Command = "veilig bench " + strings.Join(args, " ")
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	rep, runErr := bench.Run(ctx, cfg)
	if rep == nil {
		return runErr
	}
	// A run with failed scenarios still prints and writes what it measured, then fails.
	if err := rep.WriteMarkdown(stdout); err != nil {
		return errors.Join(runErr, err)
	}
	if *out != "" {
		if err := writeReport(*out, rep); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// startCPUProfile profiles the process into path until the returned stop is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func writeReport(path string, rep *bench.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := rep.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseInts(flagName, s string) ([]int, error) {
	var out []int
	for _, p := range splitList(s) {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a whole number", flagName, p)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: want at least one number", flagName)
	}
	return out, nil
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
