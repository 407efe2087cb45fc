// Package metricstest reads series out of a metrics.Metrics registry for tests: the one way
// the scheduler's, the server's and the app's tests check that a metric moved.
package metricstest

import (
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/veilig/veilig/backend/metrics"
)

// Value returns the value of the series name{labels} in m's registry (labels alternate name
// and value; a series matches when it carries at least those), and whether such a series is
// there: counters and gauges as they are, histograms as their sample count. A registry that
// cannot be gathered fails the test.
func Value(t testing.TB, m *metrics.Metrics, name string, labels ...string) (float64, bool) {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			if !hasLabels(s, labels) {
				continue
			}
			switch {
			case s.GetGauge() != nil:
				return s.GetGauge().GetValue(), true
			case s.GetCounter() != nil:
				return s.GetCounter().GetValue(), true
			case s.GetHistogram() != nil:
				return float64(s.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

// Want fails the test unless the series name{labels} is there with value want.
func Want(t testing.TB, m *metrics.Metrics, want float64, name string, labels ...string) {
	t.Helper()
	if got, ok := Value(t, m, name, labels...); !ok || got != want {
		t.Errorf("%s%v = %v (present %v), want %v", name, labels, got, ok, want)
	}
}

func hasLabels(s *dto.Metric, labels []string) bool {
	got := map[string]string{}
	for _, l := range s.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for i := 0; i+1 < len(labels); i += 2 {
		if got[labels[i]] != labels[i+1] {
			return false
		}
	}
	return true
}
