package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics answered %d", rec.Code)
	}
	return rec.Body.String()
}

// Every fixed label value is there at 0 before anything happened, so that alert rules written
// against the names find their series in a fresh process.
func TestNamesExistFromTheStart(t *testing.T) {
	text := scrape(t, metrics.New())
	for _, series := range []string{
		`veilig_sync_pushes_total{outcome="ok"} 0`,
		`veilig_sync_pushes_total{outcome="refused"} 0`,
		`veilig_sync_pushes_total{outcome="error"} 0`,
		`veilig_sync_mutations_total{outcome="applied"} 0`,
		`veilig_sync_mutations_total{outcome="merged"} 0`,
		`veilig_sync_mutations_total{outcome="conflict"} 0`,
		`veilig_sync_mutations_total{outcome="rejected"} 0`,
		`veilig_sync_pull_bytes_total 0`,
		`veilig_sync_request_duration_seconds_count{rpc="push"} 0`,
		`veilig_sync_request_duration_seconds_count{rpc="pull"} 0`,
		`veilig_push_sends_total{outcome="sent"} 0`,
		`veilig_push_sends_total{outcome="retry"} 0`,
		`veilig_push_sends_total{outcome="invalid_token"} 0`,
		`veilig_push_sends_total{outcome="failed"} 0`,
		`veilig_detection_tick_duration_seconds_count 0`,
		`veilig_detection_last_success_timestamp_seconds 0`,
		`veilig_family_answers_total{result="recorded"} 0`,
		`veilig_family_answers_total{result="refused"} 0`,
		`veilig_family_answers_total{result="limited"} 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, "\n"+series) {
			t.Errorf("a fresh registry lacks %s", series)
		}
	}
	// Unknown before the first readiness check: absent, not a made-up 0 or 1.
	if strings.Contains(text, "veilig_database_up ") {
		t.Error("veilig_database_up is reported before any readiness check")
	}
}

// Two processes' metrics in one test binary never share a counter.
func TestRegistriesAreSeparate(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.SyncPush(metrics.PushOK, map[metrics.MutationOutcome]int{metrics.MutationApplied: 3}, time.Millisecond)
	a.DatabaseUp(false)
	if !strings.Contains(scrape(t, a), `veilig_sync_mutations_total{outcome="applied"} 3`) {
		t.Error("the mutations were not counted")
	}
	if !strings.Contains(scrape(t, a), "\nveilig_database_up 0") {
		t.Error("veilig_database_up does not follow DatabaseUp")
	}
	if strings.Contains(scrape(t, b), `veilig_sync_mutations_total{outcome="applied"} 3`) {
		t.Error("another registry saw the mutations")
	}
}

// A nil *Metrics records nothing and does not panic: components built without metrics need
// no stand-in.
func TestNilRecordsNothing(t *testing.T) {
	var m *metrics.Metrics
	m.HTTPRequest("/c/", 200, time.Millisecond)
	m.SyncPush(metrics.PushError, nil, time.Millisecond)
	m.SyncPull(10, time.Millisecond)
	m.PushSent(metrics.SendSent, 1)
	m.SchedulerTick(time.Millisecond, true, time.Now())
	m.FamilyAnswer(metrics.AnswerRecorded)
	m.DatabaseUp(true)
}
