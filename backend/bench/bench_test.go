package bench_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/bench"
	"github.com/veilig/veilig/backend/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// tiny is every scenario at sizes that finish in seconds.
func tiny(engine string) bench.Config {
	cfg := bench.DefaultConfig()
	cfg.Engines, cfg.Rounds = []string{engine}, 1
	cfg.PushDevices, cfg.PushBatches, cfg.PushMutations = []int{2}, []int{1, 10}, 200
	cfg.InitialRecords = 50
	cfg.RoundTripDevices, cfg.ThinkTime, cfg.RoundTripDuration = 4, 50*time.Millisecond, 400*time.Millisecond
	cfg.Streams, cfg.IdleWindow, cfg.Pokes = 20, 50*time.Millisecond, 2
	cfg.DetectDue, cfg.DetectSchedules = 10, 100
	cfg.FanoutNotifications = 20
	cfg.RawRows = 200
	cfg.Command = "TestBenchSmoke"
	return cfg
}

// TestBenchSmoke runs every scenario at tiny sizes on each engine and checks only that each
// produced figures: timings on a shared CI machine assert nothing.
func TestBenchSmoke(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		runSmoke(t, tiny(bench.EngineSQLite))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		cfg := tiny(bench.EnginePostgres)
		// pgtest's database belongs to a superuser of the throwaway cluster: the bench
		// creates its own databases beside it.
		cfg.DatabaseURL = pgtest.NewDatabase(t)
		runSmoke(t, cfg)
	})
}

func runSmoke(t *testing.T, cfg bench.Config) {
	t.Helper()
	if testing.Verbose() {
		cfg.Progress = os.Stderr
	}
	defaultTransport := http.DefaultTransport
	rep, err := bench.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	// The fan-out's FCM sink is reached through the SDK's endpoint option only: nothing may
	// install a process-wide transport that rewrites requests (which a server in the same
	// binary would then use for real FCM).
	if http.DefaultTransport != defaultTransport || http.DefaultClient.Transport != nil {
		t.Errorf("the bench replaced http.DefaultTransport or http.DefaultClient.Transport")
	}
	engine := cfg.Engines[0]
	measured := map[string]int{}
	for _, f := range rep.Figures {
		if f.Engine == engine && len(f.Values) > 0 {
			measured[f.Scenario]++
		}
	}
	for _, s := range bench.AllScenarios {
		if measured[s] == 0 {
			t.Errorf("scenario %s produced no figure on %s", s, engine)
		}
	}
	if err := rep.WriteMarkdown(io.Discard); err != nil {
		t.Errorf("table: %v", err)
	}
	if err := rep.WriteJSON(io.Discard); err != nil {
		t.Errorf("JSON: %v", err)
	}
}
