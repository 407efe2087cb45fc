package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/metrics"
	"github.com/veilig/veilig/backend/push"
	"github.com/veilig/veilig/backend/push/fcm"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/backend/store"
)

// schedulerFlags configure the scheduler and push delivery, in serve and in worker.
type schedulerFlags struct {
	interval    time.Duration
	lease       time.Duration
	retention   time.Duration
	fcmProject  string
	fcmCreds    string
	fcmEndpoint string
	// auditKey and checkpointEvery configure the access log's periodic signed checkpoints.
	auditKey        auditKeyFlag
	checkpointEvery time.Duration
	// auditRetention is how long the access log is kept before the scheduler cuts it.
	auditRetention time.Duration
}

func (f *schedulerFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&f.interval, "scheduler-interval", 10*time.Second, "how often to look for overdue checks, escalations, digests and pushes")
	fs.DurationVar(&f.lease, "push-lease", time.Minute, "how long a replica holds a push it is sending before another may send it again")
	fs.DurationVar(&f.retention, "retention", reminders.DefaultRetention,
		"how long a closed household's data is kept from its closing before the scheduler erases it; at least 1h (default the statutory 20 years, 175200h)")
	fs.DurationVar(&f.checkpointEvery, "audit-checkpoint-interval", 24*time.Hour, "how often the scheduler signs a checkpoint of the access log's chain heads with the audit key; 0 disables")
	fs.DurationVar(&f.auditRetention, "audit-retention", reminders.DefaultAuditRetention,
		"how long an access-log entry is kept before the scheduler cuts it (only what a checkpoint signed with the audit key covers); at least 1 year, 8760h (default 5 years, 43800h)")
	f.auditKey.register(fs)
	fs.StringVar(&f.fcmProject, "fcm-project", "", "Firebase project id; empty means pushes are written to the log")
	fs.StringVar(&f.fcmCreds, "fcm-credentials", "", "Firebase service account key file; empty means Google application default credentials")
	fs.StringVar(&f.fcmEndpoint, "fcm-endpoint", "", "send FCM requests to this base URL instead of Google's, e.g. a local emulator; no credentials are used")
}

// check validates the parsed scheduler flags, before anything is opened.
func (f *schedulerFlags) check(src flagSources) error {
	errs := []error{wantPositive(src, "scheduler-interval", f.interval), wantPositive(src, "push-lease", f.lease)}
	if f.checkpointEvery < 0 {
		errs = append(errs, fmt.Errorf("%s=%s: want 0 (off) or a positive duration", src.of("audit-checkpoint-interval"), f.checkpointEvery))
	}
	if f.retention < time.Hour {
		// A slip of unit (20m, 20s) would erase closed files almost at once, so no value that
		// short is taken.
		errs = append(errs, fmt.Errorf("%s=%s: want at least 1h", src.of("retention"), f.retention))
	}
	if f.auditRetention < minAuditRetention {
		errs = append(errs, fmt.Errorf("%s=%s: want at least 8760h (1 year)", src.of("audit-retention"), f.auditRetention))
	}
	if f.fcmEndpoint != "" {
		errs = append(errs, wantHTTPURL(src, "fcm-endpoint", f.fcmEndpoint))
	}
	if f.fcmProject == "" && (f.fcmEndpoint != "" || f.fcmCreds != "") {
		errs = append(errs, errors.New("--fcm-endpoint and --fcm-credentials need --fcm-project"))
	}
	return errors.Join(errs...)
}

// sender builds the push sender: FCM when a project is configured, else the log sender of
// the embedded mode.
func (f *schedulerFlags) sender(ctx context.Context, log zerolog.Logger) (push.Sender, error) {
	if f.fcmProject == "" {
		log.Warn().Msg("no Firebase project configured: pushes are written to the log, not sent")
		return push.LogSender{Log: log}, nil
	}
	s, err := fcm.New(ctx, fcm.Config{ProjectID: f.fcmProject, CredentialsFile: f.fcmCreds, Endpoint: f.fcmEndpoint})
	if err != nil {
		return nil, err
	}
	if f.fcmEndpoint != "" {
		// fcm.New refused a URL with a user or password, so the address can be logged.
		log.Warn().Str("fcm_endpoint", f.fcmEndpoint).Msg("FCM requests go to --fcm-endpoint instead of Google's, without credentials")
	}
	return s, nil
}

// scheduler builds the scheduler on st; with an audit key (auditKeyFlag.key) and a positive
// --audit-checkpoint-interval it signs the access log's checkpoints.
func (f *schedulerFlags) scheduler(ctx context.Context, c *common, st *store.DB, m *metrics.Metrics, log zerolog.Logger) (*reminders.Scheduler, error) {
	sender, err := f.sender(ctx, log)
	if err != nil {
		return nil, err
	}
	cfg := reminders.Config{Interval: f.interval, Lease: f.lease, Retention: f.retention, CheckpointEvery: f.checkpointEvery,
		AuditRetention: f.auditRetention, Metrics: m}
	if f.checkpointEvery > 0 {
		if cfg.AuditKey, err = f.auditKey.key(c); err != nil {
			return nil, err
		}
	}
	return reminders.New(st, sender, time.Now, log.With().Str("component", "scheduler").Logger(), cfg)
}

// opsFlags configure the ops listener of serve and worker: /metrics, /livez, /readyz.
type opsFlags struct {
	addr string
	src  flagSources // where the parsed flags came from, for errors
}

func (f *opsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "metrics-addr", server.DefaultOpsAddr, "address of the ops listener: /metrics, /livez and /readyz; the default accepts connections from this machine only, empty turns it off")
}

// observability builds the process's metrics and the database's readiness, which the gRPC
// health service (serve), /readyz and veilig_database_up follow.
func observability(st *store.DB, log zerolog.Logger) (*metrics.Metrics, *server.Readiness) {
	m := metrics.New()
	ready := server.NewReadiness(server.ReadinessConfig{Ping: st.Ping, Logger: log.With().Str("component", "readiness").Logger(),
		Observe: m.DatabaseUp})
	m.Watch(metrics.WatchConfig{Source: st, Ready: ready.Check})
	return m, ready
}

// start opens the ops listener, so that an address in use fails the command at once, and
// serves it until ctx ends; wait returns what serving returned. With --metrics-addr empty it
// does nothing.
func (f *opsFlags) start(ctx context.Context, m *metrics.Metrics, ready *server.Readiness, log zerolog.Logger) (wait func() error, err error) {
	if f.addr == "" {
		log.Info().Msg("ops listener off (--metrics-addr is empty): no /metrics, /livez or /readyz")
		return func() error { return nil }, nil
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.src.of("metrics-addr"), err)
	}
	done := make(chan error, 1)
	go func() { done <- server.ServeOps(ctx, ln, server.OpsConfig{Metrics: m, Ready: ready, Logger: log}) }()
	return func() error { return <-done }, nil
}

// minAuditRetention is the shortest --audit-retention taken: NEN 7513 asks for the access log
// to be kept for years, so a slip of unit (5h for 5 years) must not cut it at once.
const minAuditRetention = 8760 * time.Hour

// runWorker runs only the scheduler: for deployments that keep it apart from the API servers.
// Any number of workers and servers can run it at once; the database coordinates them.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("worker", "[flags]", "Run only the scheduler (overdue checks, escalation, digests, pushes), beside servers started with --scheduler=off.")
	var c common
	c.register(fs)
	var sf schedulerFlags
	sf.register(fs)
	var of opsFlags
	of.register(fs)
	src, err := parseFlags(fs, args, veiligEnv, stdout)
	if err != nil {
		return err
	}
	of.src = src
	if err := errors.Join(noArguments(fs), c.check(src), sf.check(src)); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	st, err := c.openStore(ctx, log, false)
	if err != nil {
		return err
	}
	defer st.Close()
	m, ready := observability(st, log)
	sched, err := sf.scheduler(ctx, &c, st, m, log)
	if err != nil {
		return err
	}
	opsCtx, stopOps := context.WithCancel(ctx)
	defer stopOps()
	waitOps, err := of.start(opsCtx, m, ready, log)
	if err != nil {
		return err
	}
	log.Info().Int64("interval_ms", sf.interval.Milliseconds()).Str("version", version).Msg("veilig worker running the scheduler")
	err = sched.Run(ctx)
	stopOps()
	return errors.Join(err, waitOps())
}
