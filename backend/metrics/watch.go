package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veilig/veilig/backend/store"
)

// Source is what the scrape-time gauges read (store.DB has it).
type Source interface {
	// OutboxBacklog and OverdueBacklog are one index-backed statement each (store.Reader).
	OutboxBacklog(ctx context.Context, now time.Time) (store.OutboxBacklog, error)
	OverdueBacklog(ctx context.Context, now time.Time) (int64, error)
	// PoolStats reports the connection pool; ok is false for a driver without one.
	PoolStats() (stats store.PoolStats, ok bool)
}

// WatchConfig says what Watch reads.
type WatchConfig struct {
	// Source is the database.
	Source Source
	// Ready is the readiness check (server.Readiness.Check); it sets veilig_database_up at
	// every scrape, and while it fails the backlog gauges are left out of the scrape (a
	// stale figure would look like a healthy one). Nil: the gauges are always read.
	Ready func(ctx context.Context) error
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Timeout bounds the statements of one scrape (default 2s).
	Timeout time.Duration
}

// Watch registers the gauges of what waits in the database, read at every scrape:
// veilig_outbox_backlog, veilig_outbox_oldest_age_seconds, veilig_detection_overdue_backlog
// and the veilig_db_pool_* connection gauges.
func (m *Metrics) Watch(cfg WatchConfig) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	m.reg.MustRegister(&watcher{m: m, cfg: cfg})
	m.watched.Store(cfg.Ready != nil)
}

var (
	descOutboxBacklog = prometheus.NewDesc("veilig_outbox_backlog",
		"Pushes waiting in the outbox (pending, retries included).", nil, nil)
	descOutboxOldest = prometheus.NewDesc("veilig_outbox_oldest_age_seconds",
		"Age of the oldest push waiting in the outbox; 0 when none waits.", nil, nil)
	descOverdueBacklog = prometheus.NewDesc("veilig_detection_overdue_backlog",
		"Overdue checks detection has not noticed yet, plus alerts whose next escalation step is due and not taken yet.", nil, nil)
	descPoolOpen  = prometheus.NewDesc("veilig_db_pool_open_connections", "Database connections open (in use or idle).", nil, nil)
	descPoolInUse = prometheus.NewDesc("veilig_db_pool_in_use_connections", "Database connections in use.", nil, nil)
	descPoolIdle  = prometheus.NewDesc("veilig_db_pool_idle_connections", "Database connections idle in the pool.", nil, nil)
	descPoolMax   = prometheus.NewDesc("veilig_db_pool_max_connections", "Most database connections the pool opens.", nil, nil)
)

// watcher is the scrape-time collector of Watch.
type watcher struct {
	m   *Metrics
	cfg WatchConfig
}

// Describe implements prometheus.Collector.
func (w *watcher) Describe(ch chan<- *prometheus.Desc) {
	// veilig_database_up is described by upCollector: one descriptor per registry.
	for _, d := range []*prometheus.Desc{descOutboxBacklog, descOutboxOldest, descOverdueBacklog,
		descPoolOpen, descPoolInUse, descPoolIdle, descPoolMax} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: readiness first, then one statement per backlog.
// A failed statement leaves its gauge out of this scrape rather than failing the scrape:
// the other metrics (veilig_database_up first of all) still tell what is wrong.
func (w *watcher) Collect(ch chan<- prometheus.Metric) {
	if stats, ok := w.cfg.Source.PoolStats(); ok {
		gauge := func(d *prometheus.Desc, v int) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
		}
		gauge(descPoolOpen, stats.Open)
		gauge(descPoolInUse, stats.InUse)
		gauge(descPoolIdle, stats.Idle)
		gauge(descPoolMax, stats.Max)
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.Timeout)
	defer cancel()
	if w.cfg.Ready != nil {
		up := w.cfg.Ready(ctx) == nil
		ch <- prometheus.MustNewConstMetric(descDatabaseUp, prometheus.GaugeValue, map[bool]float64{false: 0, true: 1}[up])
		if !up {
			return // the backlogs are unknown
		}
	}
	now := w.cfg.Now()
	if b, err := w.cfg.Source.OutboxBacklog(ctx, now); err == nil {
		ch <- prometheus.MustNewConstMetric(descOutboxBacklog, prometheus.GaugeValue, float64(b.Waiting))
		ch <- prometheus.MustNewConstMetric(descOutboxOldest, prometheus.GaugeValue, max(now.Sub(b.Oldest).Seconds(), 0))
	}
	if n, err := w.cfg.Source.OverdueBacklog(ctx, now); err == nil {
		ch <- prometheus.MustNewConstMetric(descOverdueBacklog, prometheus.GaugeValue, float64(n))
	}
}
