// Package metrics is the backend's Prometheus instrumentation: one registry per process (never
// the global default one, so two servers in one test binary never share a counter), the
// metric names that alert rules are written against (docs/metrics.md), and typed methods that
// record them, so that a label only ever takes one of a few fixed values.
//
// Counters and histograms are moved by the code that does the work (the server's access log,
// the sync interceptor of package app, the scheduler). Gauges of what waits in the database
// (the push outbox, overdue checks, the connection pool) are read at every scrape by the
// collector Watch installs, with one cheap, index-backed statement each, so that a scrape
// tells the truth even when no scheduler is running.
//
// What it must never do: put an id, a token, a household or anything a client or a family
// chose into a label or a value. Labels are route names and fixed outcome words only; a
// family's answer is counted, never which answer it was.
//
// Every method is safe on a nil *Metrics (it records nothing), so components built without
// metrics (tests, tools) need no stand-in.
package metrics

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the backend's metrics and the registry they are registered in.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpLatency  *prometheus.HistogramVec

	syncPushes    *prometheus.CounterVec
	syncMutations *prometheus.CounterVec
	syncPullBytes prometheus.Counter
	syncDuration  *prometheus.HistogramVec

	pushSends *prometheus.CounterVec

	detectionTick        prometheus.Histogram
	detectionLastSuccess prometheus.Gauge

	familyAnswers *prometheus.CounterVec

	// dbUp is the latest readiness outcome (0 none yet, 1 up, 2 down) and watched whether a
	// Watch collector reports it (then at every scrape, from a check of its own).
	dbUp    atomic.Int32
	watched atomic.Bool
}

// New returns the metrics of one process in a new registry that also holds the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "veilig_http_requests_total",
		Help: "HTTP requests (RPCs) by route and status.",
	}, []string{"route", "status"})
	m.httpLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "veilig_http_request_duration_seconds",
		Help:    "HTTP request (RPC) latency by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route"})
	m.syncPushes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "veilig_sync_pushes_total",
		Help: "SyncService/Push calls by outcome: ok, refused (the caller's fault: auth, validation, limits, canceled) or error (the server's or the database's).",
	}, []string{"outcome"})
	m.syncMutations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "veilig_sync_mutations_total",
		Help: "Mutations answered by SyncService/Push by outcome: applied, merged, conflict (a concurrent edit kept as a conflict record) or rejected.",
	}, []string{"outcome"})
	m.syncPullBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "veilig_sync_pull_bytes_total",
		Help: "Bytes of SyncService/Pull answers (protobuf size, before compression).",
	})
	m.syncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "veilig_sync_request_duration_seconds",
		Help:    "SyncService Push and Pull latency, authentication included.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"rpc"})
	m.pushSends = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "veilig_push_sends_total",
		Help: "Push sends by outcome: sent, retry (transient failure, tried again with backoff), invalid_token (token removed) or failed (refused for good, or given up).",
	}, []string{"outcome"})
	m.detectionTick = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "veilig_detection_tick_duration_seconds",
		Help:    "Duration of one scheduler tick (detection, escalation, digests, delivery), failed ticks included.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	})
	m.detectionLastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "veilig_detection_last_success_timestamp_seconds",
		Help: "Unix time of the end of the latest scheduler tick that did all its work; 0 before the first.",
	})
	m.familyAnswers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "veilig_family_answers_total",
		Help: "Answers posted to family check-in links by result: recorded, refused (not recorded: bad form, wrong PIN, unknown link) or limited (rate limit). Never which answer.",
	}, []string{"result"})
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpLatency, m.syncPushes, m.syncMutations, m.syncPullBytes, m.syncDuration,
		m.pushSends, m.detectionTick, m.detectionLastSuccess, m.familyAnswers, upCollector{m})
	// Every fixed label value exists from the start at 0, so a rate() over a fresh process
	// has a series to work with and an alert rule never waits for a first failure.
	for _, o := range []PushOutcome{PushOK, PushRefused, PushError} {
		m.syncPushes.WithLabelValues(string(o))
	}
	for _, o := range []MutationOutcome{MutationApplied, MutationMerged, MutationConflict, MutationRejected} {
		m.syncMutations.WithLabelValues(string(o))
	}
	for _, rpc := range []SyncRPC{RPCPush, RPCPull} {
		m.syncDuration.WithLabelValues(string(rpc))
	}
	for _, o := range []SendOutcome{SendSent, SendRetry, SendInvalidToken, SendFailed} {
		m.pushSends.WithLabelValues(string(o))
	}
	for _, r := range []AnswerResult{AnswerRecorded, AnswerRefused, AnswerLimited} {
		m.familyAnswers.WithLabelValues(string(r))
	}
	return m
}

// Registry returns the registry the metrics are in, for more collectors and for tests that
// gather it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// HTTPRequest counts one request of route (a known route name, never a raw path) that
// answered status, and its latency.
func (m *Metrics) HTTPRequest(route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpLatency.WithLabelValues(route).Observe(took.Seconds())
}

// PushOutcome is the outcome of one SyncService/Push call.
type PushOutcome string

// The outcomes of a push call.
const (
	PushOK      PushOutcome = "ok"
	PushRefused PushOutcome = "refused"
	PushError   PushOutcome = "error"
)

// MutationOutcome is the outcome of one pushed mutation, as its result says. A re-sent
// mutation is answered with its first result, so it counts under that outcome again: the
// push path has no separate "duplicate" answer to count.
type MutationOutcome string

// The outcomes of a mutation.
const (
	MutationApplied  MutationOutcome = "applied"
	MutationMerged   MutationOutcome = "merged"
	MutationConflict MutationOutcome = "conflict"
	MutationRejected MutationOutcome = "rejected"
)

// SyncRPC names a SyncService RPC in veilig_sync_request_duration_seconds.
type SyncRPC string

// The timed sync RPCs.
const (
	RPCPush SyncRPC = "push"
	RPCPull SyncRPC = "pull"
)

// SyncPush counts one push call with its outcome and the outcomes of its mutations (by
// outcome: how many), and observes its latency.
func (m *Metrics) SyncPush(o PushOutcome, mutations map[MutationOutcome]int, took time.Duration) {
	if m == nil {
		return
	}
	m.syncPushes.WithLabelValues(string(o)).Inc()
	for mo, n := range mutations {
		if n > 0 {
			m.syncMutations.WithLabelValues(string(mo)).Add(float64(n))
		}
	}
	m.syncDuration.WithLabelValues(string(RPCPush)).Observe(took.Seconds())
}

// SyncPull counts the bytes of one pull answer (0 for a failed pull) and observes its latency.
func (m *Metrics) SyncPull(bytes int, took time.Duration) {
	if m == nil {
		return
	}
	m.syncPullBytes.Add(float64(bytes))
	m.syncDuration.WithLabelValues(string(RPCPull)).Observe(took.Seconds())
}

// SendOutcome is what became of one push sent to a device.
type SendOutcome string

// The outcomes of a push send.
const (
	SendSent         SendOutcome = "sent"
	SendRetry        SendOutcome = "retry"
	SendInvalidToken SendOutcome = "invalid_token"
	SendFailed       SendOutcome = "failed"
)

// PushSent counts n pushes with outcome o.
func (m *Metrics) PushSent(o SendOutcome, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.pushSends.WithLabelValues(string(o)).Add(float64(n))
}

// SchedulerTick observes one scheduler tick that took took; ok ticks (all work done) also
// set the last-success time to end.
func (m *Metrics) SchedulerTick(took time.Duration, ok bool, end time.Time) {
	if m == nil {
		return
	}
	m.detectionTick.Observe(took.Seconds())
	if ok {
		m.detectionLastSuccess.Set(float64(end.UnixNano()) / 1e9)
	}
}

// AnswerResult is what became of an answer posted to a family check-in link.
type AnswerResult string

// The results of a family answer.
const (
	AnswerRecorded AnswerResult = "recorded"
	AnswerRefused  AnswerResult = "refused"
	AnswerLimited  AnswerResult = "limited"
)

// FamilyAnswer counts one posted answer by its result (never by the answer given).
func (m *Metrics) FamilyAnswer(r AnswerResult) {
	if m == nil {
		return
	}
	m.familyAnswers.WithLabelValues(string(r)).Inc()
}

// DatabaseUp records a readiness check's outcome for veilig_database_up (server.Readiness
// calls it after every check).
func (m *Metrics) DatabaseUp(up bool) {
	if m == nil {
		return
	}
	if up {
		m.dbUp.Store(1)
	} else {
		m.dbUp.Store(2)
	}
}

var descDatabaseUp = prometheus.NewDesc("veilig_database_up",
	"1 when the database answered the readiness check within its timeout, else 0.", nil, nil)

// upCollector reports veilig_database_up from the latest readiness outcome, absent before
// the first. Once Watch is installed, the watcher reports it instead, from the check it makes
// at each scrape before reading the backlogs (collectors run concurrently, so only one of them
// may report it).
type upCollector struct{ m *Metrics }

// Describe implements prometheus.Collector.
func (c upCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descDatabaseUp }

// Collect implements prometheus.Collector.
func (c upCollector) Collect(ch chan<- prometheus.Metric) {
	if c.m.watched.Load() {
		return
	}
	switch c.m.dbUp.Load() {
	case 1:
		ch <- prometheus.MustNewConstMetric(descDatabaseUp, prometheus.GaugeValue, 1)
	case 2:
		ch <- prometheus.MustNewConstMetric(descDatabaseUp, prometheus.GaugeValue, 0)
	}
}
