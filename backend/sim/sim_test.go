package sim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/sim"
	"github.com/veilig/veilig/backend/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The CI-sized runs: a fixed seed, faults on, a few simulated days on each engine.
func TestSimulation(t *testing.T) {
	engines := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			var progress strings.Builder
			sum, err := sim.Run(context.Background(), sim.Config{Phones: 20, Days: 3, Seed: 7, Tick: time.Hour,
				DatabaseURL: e.url(t), Dir: t.TempDir(), Faults: true, Progress: &progress})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s\n%s", progress.String(), sum)
			for _, v := range sum.Violations {
				t.Error(v)
			}
			if sum.Mutations < 1000 || sum.Acknowledged == 0 || sum.Evictions == 0 || sum.FailedSyncs == 0 {
				t.Errorf("the run exercised too little: %s", sum)
			}
			if strings.Count(progress.String(), "\n") != 3 {
				t.Errorf("progress: %q", progress.String())
			}
		})
	}
}
