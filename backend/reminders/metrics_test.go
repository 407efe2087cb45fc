package reminders_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/metrics"
	"github.com/veilig/veilig/backend/metrics/metricstest"
	"github.com/veilig/veilig/backend/push"
	"github.com/veilig/veilig/backend/push/fcm/fcmtest"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/backend/store/storeopen"
)

// The metrics move with the work: the overdue backlog counts the checks nobody has noticed
// yet and the escalation steps not taken yet, the outbox backlog rises when detection queues
// pushes and drains as the fake FCM takes them, a retry is counted as one, and each tick is
// timed.
func TestMetricsFollowTheWork(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			start := local(2027, 3, 27, 12, 0)
			fixture(t, s, start)
			dailySchedule(t, s, "s1", start)
			dailySchedule(t, s, "s2", start)
			m := metrics.New()
			h := newHarness(t, s, start, reminders.Config{Metrics: m})
			m.Watch(metrics.WatchConfig{Source: s, Now: h.clock.Now})

			h.clock.Set(local(2027, 3, 27, 18, 59))
			metricstest.Want(t, m, 0, "veilig_detection_overdue_backlog")
			metricstest.Want(t, m, 0, "veilig_outbox_backlog")
			metricstest.Want(t, m, 0, "veilig_outbox_oldest_age_seconds")

			// 19:00: both checks are overdue and nobody has noticed yet.
			h.clock.Set(local(2027, 3, 27, 19, 0))
			metricstest.Want(t, m, 2, "veilig_detection_overdue_backlog")
			_, _, err := h.sched.Detect(bg)
			must(t, err)
			// Noticed; each alert's first escalation visit is still due.
			metricstest.Want(t, m, 2, "veilig_detection_overdue_backlog")
			_, err = h.sched.Escalate(bg)
			must(t, err)
			metricstest.Want(t, m, 0, "veilig_detection_overdue_backlog")
			metricstest.Want(t, m, 2, "veilig_outbox_backlog") // the lead's two reminders
			h.clock.Set(local(2027, 3, 27, 19, 5))
			metricstest.Want(t, m, 300, "veilig_outbox_oldest_age_seconds")

			// The fake FCM refuses the first push for the lead's phone once (429).
			h.fake.FailToken("tok-p-lead", 429, fcmtest.CodeQuotaExceeded, 1)
			_, err = h.sched.Deliver(bg)
			must(t, err)
			metricstest.Want(t, m, 1, "veilig_outbox_backlog")
			metricstest.Want(t, m, 1, "veilig_push_sends_total", "outcome", "sent")
			metricstest.Want(t, m, 1, "veilig_push_sends_total", "outcome", "retry")
			h.clock.Set(local(2027, 3, 27, 19, 10))
			_, err = h.sched.Deliver(bg)
			must(t, err)
			metricstest.Want(t, m, 0, "veilig_outbox_backlog")
			metricstest.Want(t, m, 0, "veilig_outbox_oldest_age_seconds")
			metricstest.Want(t, m, 2, "veilig_push_sends_total", "outcome", "sent")
			metricstest.Want(t, m, 0, "veilig_push_sends_total", "outcome", "invalid_token")

			metricstest.Want(t, m, 0, "veilig_detection_last_success_timestamp_seconds")
			h.at(t, local(2027, 3, 27, 19, 11))
			metricstest.Want(t, m, 1, "veilig_detection_tick_duration_seconds")
			metricstest.Want(t, m, float64(local(2027, 3, 27, 19, 11).Unix()), "veilig_detection_last_success_timestamp_seconds")
			if open, ok := metricstest.Value(t, m, "veilig_db_pool_open_connections"); !ok || open < 1 {
				t.Errorf("veilig_db_pool_open_connections = %v (present %v)", open, ok)
			}
			if max, ok := metricstest.Value(t, m, "veilig_db_pool_max_connections"); !ok || max < 1 {
				t.Errorf("veilig_db_pool_max_connections = %v (present %v)", max, ok)
			}
		})
	}
}

// lockedBuffer is a log sink the scheduler's goroutine and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls until cond holds, for at most d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A real PostgreSQL stopped under a running scheduler: one warning, backed-off ticks, no
// error lines, and one info line with the outage's length once it is back, without a restart
// of the scheduler.
func TestSchedulerRidesOutADatabaseOutage(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	s, err := storeopen.Open(bg, cluster.URL())
	must(t, err)
	t.Cleanup(func() { s.Close() })
	must(t, s.Migrate(bg))
	start := time.Now()
	fixture(t, s, start)
	logs := &lockedBuffer{}
	m := metrics.New()
	sched, err := reminders.New(s, push.LogSender{Log: zerolog.Nop()}, time.Now, zerolog.New(logs), reminders.Config{Interval: 20 * time.Millisecond,
		MaxBackoff: 80 * time.Millisecond, Metrics: m})
	must(t, err)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx) }()
	defer func() {
		cancel()
		must(t, <-done)
	}()
	ticks := func() float64 { v, _ := metricstest.Value(t, m, "veilig_detection_tick_duration_seconds"); return v }
	waitFor(t, 10*time.Second, "a first tick", func() bool { return ticks() >= 1 })

	cluster.Stop(t)
	waitFor(t, 10*time.Second, "the outage warning", func() bool { return strings.Contains(logs.String(), "database unavailable") })
	down := ticks()
	time.Sleep(600 * time.Millisecond)
	// Backed off: at 20 ms a tick 600 ms would be 30 ticks; 20+40+80+80… ms is at most 10.
	if n := ticks() - down; n < 2 || n > 12 {
		t.Errorf("%v ticks in 600 ms of outage: want a few, backed off up to 80 ms apart", n)
	}
	cluster.Start(t)
	waitFor(t, 20*time.Second, "the recovery line", func() bool { return strings.Contains(logs.String(), "database available again") })

	out := logs.String()
	if n := strings.Count(out, `"database unavailable"`); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "database available again"); n != 1 {
		t.Errorf("the recovery was logged %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out, `"level":"error"`) {
		t.Errorf("the outage was logged as an error:\n%s", out)
	}
	if !strings.Contains(out, `"outage_ms":`) {
		t.Errorf("the recovery line lacks the outage's length:\n%s", out)
	}
}
