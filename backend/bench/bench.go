// Package bench measures the Veilig backend the way phones use it: generated Connect clients
// over real HTTP against a real server (started in process through the same assembly as
// `veilig serve`, or at a URL), on the embedded SQLite engine and on PostgreSQL, with a
// raw-database baseline of the same row shapes in the same run, so that figures from machines
// that differ by 2× can still be compared as ratios.
//
// Scenarios (Config.Scenarios; each documented on its run function):
//
//	push       devices × batch size: plan-entry edits of 3 fields; mutations/s, retries/push
//	pull       catch-up after offline: fresh devices pull what push wrote; records/s
//	initial    initial sync of one household of N records: time and bytes on the wire
//	roundtrip  many devices push+pull with think time; round-trip p50/p99
//	streams    N open Subscribe streams: memory delta, idle CPU, push-to-poke p50/p99
//	detect     one overdue-detection pass through package reminders over a large schedule table
//	fanout     pushes through the real Firebase Admin SDK to a local FCM sink; notifications/s
//	raw        8 writers inserting 100-row batches of field_writes-shaped rows directly
//
// Every scenario runs Config.Rounds times, rounds interleaved across engines and scenarios
// (round 1 of everything, then round 2, …), each round on a fresh database, and the report
// holds the median. In-process figures (memory, CPU, retries) are n/a against a URL.
//
// The bench must never run against a database that holds real data: it creates its own
// databases (PostgreSQL) or files (SQLite) and seeds them with a synthetic directory. The
// only personal-looking data it writes are "bench N" names; nothing it logs names a person.
package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Scenario names, in the order they run within a round.
const (
	ScenarioRaw       = "raw"
	ScenarioPush      = "push"
	ScenarioPull      = "pull"
	ScenarioInitial   = "initial"
	ScenarioRoundTrip = "roundtrip"
	ScenarioStreams   = "streams"
	ScenarioDetect    = "detect"
	ScenarioFanout    = "fanout"
)

// AllScenarios lists every scenario in run order.
var AllScenarios = []string{ScenarioRaw, ScenarioPush, ScenarioPull, ScenarioInitial, ScenarioRoundTrip, ScenarioStreams, ScenarioDetect, ScenarioFanout}

// Config says what to run. DefaultConfig holds the sizes of issue 17; the zero value of a
// size is not valid (Validate says which).
type Config struct {
	// Engines to run on: EngineSQLite, EnginePostgres.
	Engines []string
	// Scenarios to run (AllScenarios' names). The pull scenario pulls what push wrote and runs
	// a small push of its own when push is not selected.
	Scenarios []string
	// Rounds per scenario; the report holds the median.
	Rounds int
	// URL, when set, is a running server to measure instead of an in-process one; DatabaseURL
	// must then be its database (the bench seeds its devices there) and DataDir its data
	// folder (the dev issuer's key signs the devices' tokens). Only one engine then.
	URL     string
	DataDir string
	// DatabaseURL, without URL, is a PostgreSQL server the bench may create (and drop)
	// databases on, instead of a throwaway cluster from the installed binaries.
	DatabaseURL string

	// PushDevices and PushBatches are the push cases (every pair). PushMutations is the
	// total of a case at batch 100; a case at batch b pushes PushMutations×b/100 (at least one
	// push per device), so every case makes the same number of pushes.
	PushDevices   []int
	PushBatches   []int
	PushMutations int
	// InitialRecords is the household size of the initial-sync scenario.
	InitialRecords int
	// RoundTripDevices push+pull with ThinkTime between round trips for RoundTripDuration.
	RoundTripDevices  int
	ThinkTime         time.Duration
	RoundTripDuration time.Duration
	// Streams is how many Subscribe streams are open at once; IdleWindow how long idle CPU is
	// measured; Pokes how many push-to-poke latencies are sampled.
	Streams    int
	IdleWindow time.Duration
	Pokes      int
	// DetectDue schedules are due among DetectSchedules.
	DetectDue       int
	DetectSchedules int
	// FanoutNotifications go through the FCM SDK per round.
	FanoutNotifications int
	// RawWriters insert RawRows rows in batches of RawBatch.
	RawWriters, RawBatch, RawRows int

	// Progress receives a line per step (stderr); nil means none.
	Progress io.Writer
	// Command is the command line, recorded in the report.
	Command string
}

// DefaultConfig returns the sizes of issue 17 on both engines, every scenario, 3 rounds.
func DefaultConfig() Config {
	return Config{
		Engines: []string{EngineSQLite, EnginePostgres}, Scenarios: slices.Clone(AllScenarios), Rounds: 3,
		PushDevices: []int{8, 64}, PushBatches: []int{1, 10, 100}, PushMutations: 50_000,
		InitialRecords:   10_000,
		RoundTripDevices: 1000, ThinkTime: 10 * time.Second, RoundTripDuration: 60 * time.Second,
		Streams: 10_000, IdleWindow: 10 * time.Second, Pokes: 100,
		DetectDue: 10_000, DetectSchedules: 1_000_000,
		FanoutNotifications: 10_000,
		RawWriters:          8, RawBatch: 100, RawRows: 50_000,
	}
}

// Validate reports the first setting that cannot run.
func (c *Config) Validate() error {
	if c.Rounds < 1 {
		return fmt.Errorf("rounds: want at least 1, got %d", c.Rounds)
	}
	for _, e := range c.Engines {
		if e != EngineSQLite && e != EnginePostgres {
			return fmt.Errorf("engines: unknown engine %q (want sqlite, postgres)", e)
		}
	}
	if len(c.Engines) == 0 {
		return fmt.Errorf("engines: want at least one")
	}
	if c.URL != "" && len(c.Engines) != 1 {
		return fmt.Errorf("--url measures one server: name its engine alone in --engines")
	}
	for _, s := range c.Scenarios {
		if !slices.Contains(AllScenarios, s) {
			return fmt.Errorf("scenarios: unknown scenario %q (want %s)", s, strings.Join(AllScenarios, ", "))
		}
	}
	sizes := map[string]int{"push-mutations": c.PushMutations, "initial-records": c.InitialRecords, "roundtrip-devices": c.RoundTripDevices,
		"streams": c.Streams, "pokes": c.Pokes, "detect-due": c.DetectDue, "detect-schedules": c.DetectSchedules,
		"fanout": c.FanoutNotifications, "raw-writers": c.RawWriters, "raw-batch": c.RawBatch, "raw-rows": c.RawRows}
	for name, n := range sizes {
		if n < 1 {
			return fmt.Errorf("%s: want at least 1, got %d", name, n)
		}
	}
	if c.DetectDue > c.DetectSchedules {
		return fmt.Errorf("detect-due (%d) exceeds detect-schedules (%d)", c.DetectDue, c.DetectSchedules)
	}
	for _, n := range append(slices.Clone(c.PushDevices), c.PushBatches...) {
		if n < 1 || n > benchQuotas.MutationsPerPush {
			return fmt.Errorf("push devices and batches: want 1 to %d, got %d", benchQuotas.MutationsPerPush, n)
		}
	}
	return nil
}

func (c *Config) has(scenario string) bool { return slices.Contains(c.Scenarios, scenario) }

// Run runs the configured scenarios and returns every figure. A scenario that fails is
// recorded in the report (Report.Failures, and an n/a figure naming the error) and the run
// goes on with the next one, because one failure late in a long run must not lose the
// figures before it; Run then returns the report together with an error listing the
// failures. A round that cannot start (no database, no server) ends the run with an error
// and no report; a cancelled ctx (Ctrl-C) ends it with the error and a report of what was
// measured until then.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rep := newReport(cfg)
	eng := &engines{cfg: &cfg}
	defer eng.close()
	for round := 1; round <= cfg.Rounds; round++ {
		for _, engine := range cfg.Engines {
			if err := runRound(ctx, eng, rep, engine, round); err != nil {
				err = fmt.Errorf("round %d on %s: %w", round, engine, err)
				if ctx.Err() != nil {
					rep.Stopped = fmt.Sprintf("stopped during round %d on %s; figures hold the rounds measured (see values)", round, engine)
					rep.finish()
					return rep, err
				}
				return nil, err
			}
		}
	}
	rep.finish()
	if len(rep.Failures) > 0 {
		return rep, fmt.Errorf("%d scenario run(s) failed: %s", len(rep.Failures), strings.Join(rep.Failures, "; "))
	}
	return rep, nil
}

// runRound runs every selected scenario once on a fresh database of engine. It returns an
// error only when the round cannot start or ctx is done; a scenario's failure is recorded.
func runRound(ctx context.Context, eng *engines, rep *Report, engine string, round int) error {
	eng.progress(fmt.Sprintf("round %d/%d on %s: opening a fresh database and server", round, eng.cfg.Rounds, engine))
	t, err := eng.open(ctx, engine)
	if err != nil {
		return err
	}
	defer t.close()
	rep.noteEngine(engine, t.engineVersion(ctx))
	r := &runner{cfg: eng.cfg, t: t, rep: rep, engine: engine, round: round}
	for _, s := range AllScenarios {
		if !eng.cfg.has(s) {
			continue
		}
		r.progress("%s …", s)
		start := time.Now()
		if err := r.run(ctx, s); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
			r.progress("%s FAILED: %v", s, err)
			rep.fail(s, engine, round, err)
			continue
		}
		r.progress("%s done in %v", s, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// runner runs the scenarios of one round on one target.
type runner struct {
	cfg    *Config
	t      *target
	rep    *Report
	engine string
	round  int
	pushed bool // the push scenario ran in this round: pull has data to catch up on
}

func (r *runner) progress(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "bench: round %d/%d %s: %s\n", r.round, r.cfg.Rounds, r.engine, fmt.Sprintf(format, args...))
	}
}

// record adds one round's value of a figure.
func (r *runner) record(scenario, cse, metric, unit string, v float64) {
	r.rep.add(scenario, cse, metric, unit, r.engine, v)
}

// na records a figure that this setup cannot measure, with the reason.
func (r *runner) na(scenario, cse, metric, unit, why string) {
	r.rep.addNA(scenario, cse, metric, unit, r.engine, why)
}

func (r *runner) run(ctx context.Context, s string) error {
	switch s {
	case ScenarioRaw:
		return r.runRaw(ctx)
	case ScenarioPush:
		return r.runPush(ctx)
	case ScenarioPull:
		return r.runPull(ctx)
	case ScenarioInitial:
		return r.runInitial(ctx)
	case ScenarioRoundTrip:
		return r.runRoundTrip(ctx)
	case ScenarioStreams:
		return r.runStreams(ctx)
	case ScenarioDetect:
		return r.runDetect(ctx)
	case ScenarioFanout:
		return r.runFanout(ctx)
	}
	return fmt.Errorf("unknown scenario %q", s)
}
