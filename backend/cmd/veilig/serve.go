package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/veilig/veilig/backend/app"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/mobile-api/auth"
	"github.com/veilig/veilig/mobile-api/careapi"
)

func runServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	addr := fs.String("addr", envDefault("ADDR", "127.0.0.1:8080"), "address to listen on; the default accepts connections from this machine only, :8080 listens on every interface (VEILIG_ADDR)")
	tlsCert := fs.String("tls-cert", envDefault("TLS_CERT", ""), "TLS certificate file; TLS is on when both cert and key are set (VEILIG_TLS_CERT)")
	tlsKey := fs.String("tls-key", envDefault("TLS_KEY", ""), "TLS private key file (VEILIG_TLS_KEY)")
	devIssuer := fs.String("dev-issuer", envDefault("DEV_ISSUER", "auto"), "trust tokens from 'veilig token', for demos and tests: on, off, or auto (on only with no --issuer, the embedded database and a loopback-only --addr); on with --issuer is an error (VEILIG_DEV_ISSUER)")
	maxLifetime, err := maxTokenLifetime(fs)
	if err != nil {
		return err
	}
	streamsPerProfessional, streamsPerDevice, err := streamLimits(fs)
	if err != nil {
		return err
	}
	maxBytes := fs.Int("max-request-bytes", envInt("MAX_REQUEST_BYTES", app.DefaultMaxRequestBytes), "largest request message accepted (VEILIG_MAX_REQUEST_BYTES)")
	shutdown := fs.Duration("shutdown-timeout", 15*time.Second, "how long in-flight requests may finish after SIGTERM")
	runScheduler := fs.String("scheduler", envDefault("SCHEDULER", "on"), "run the scheduler (overdue checks, escalation, digests, pushes) in this process: on or off; any number of replicas may (VEILIG_SCHEDULER)")
	var sf schedulerFlags
	sf.register(fs)
	var lf linkFlags
	lf.register(fs)
	var limits limitFlags
	limits.register(fs)
	var of opsFlags
	of.register(fs)
	minAppVersion := fs.String("min-app-version", envDefault("MIN_APP_VERSION", ""), "refuse apps older than this semantic version (e.g. 1.4.0), and apps that send no X-Veilig-App-Version header, with failed_precondition; empty: no minimum (VEILIG_MIN_APP_VERSION)")
	leaseLock := fs.Duration("lease-lock-after", envDuration("LEASE_LOCK_AFTER", careapi.DefaultLeaseLockAfter), "offline lease: a phone that has not pulled for this long locks its data (VEILIG_LEASE_LOCK_AFTER)")
	leaseErase := fs.Duration("lease-erase-after", envDuration("LEASE_ERASE_AFTER", careapi.DefaultLeaseEraseAfter), "offline lease: a phone that has not pulled for this long erases its data; longer than --lease-lock-after (VEILIG_LEASE_ERASE_AFTER)")
	corsOrigins := fs.String("cors-origins", envDefault("CORS_ORIGINS", ""), "browser origins allowed to call the API from another origin, comma-separated, each scheme://host[:port] (https, or http on a loopback host; no *); empty: no CORS (VEILIG_CORS_ORIGINS)")
	var issuers issuerList
	if v := os.Getenv("VEILIG_ISSUERS"); v != "" {
		if err := issuers.Set(v); err != nil {
			return fmt.Errorf("VEILIG_ISSUERS (--issuer): %w", err)
		}
	}
	fs.Var(&issuers, "issuer", "trusted identity provider as ISSUER,JWKS_URL,AUDIENCE,ORGANIZATION_ID: it signs in professionals of that organization only; repeatable (VEILIG_ISSUERS, ';'-separated)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runScheduler != "on" && *runScheduler != "off" {
		return fmt.Errorf("--scheduler: want on or off, got %q", *runScheduler)
	}
	if err := checkRetention(sf.retention); err != nil {
		return err
	}
	if err := checkAuditRetention(sf.auditRetention); err != nil {
		return err
	}
	if lf.trustProxy != "on" && lf.trustProxy != "off" {
		return fmt.Errorf("--trust-proxy: want on or off, got %q", lf.trustProxy)
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}

	if err := checkMaxTokenLifetime(*maxLifetime); err != nil {
		return err
	}
	if err := checkStreamLimits(*streamsPerProfessional, *streamsPerDevice); err != nil {
		return err
	}
	if err := limits.check(); err != nil {
		return err
	}
	if *minAppVersion != "" {
		if err := careapi.CheckAppVersion(*minAppVersion); err != nil {
			return fmt.Errorf("--min-app-version: %w", err)
		}
	}
	if err := server.CheckCORSOrigins(splitOrigins(*corsOrigins)); err != nil {
		return fmt.Errorf("--cors-origins: %w", err)
	}
	if err := careapi.CheckLease(*leaseLock, *leaseErase); err != nil {
		return fmt.Errorf("--lease-lock-after, --lease-erase-after: %w", err)
	}
	devOn, why, err := auth.DevIssuerWanted(*devIssuer, auth.Deployment{Issuers: len(issuers), EmbeddedDatabase: c.embedded(), ListenAddr: *addr})
	if err != nil {
		return err
	}
	verifierOpts := []auth.Option{auth.WithMaxTokenLifetime(*maxLifetime)}
	if devOn {
		dev, err := auth.LoadOrCreateDevIssuer(c.dataDir)
		if err != nil {
			return fmt.Errorf("dev issuer: %w", err)
		}
		verifierOpts = append(verifierOpts, auth.WithDevIssuer(dev))
		log.Warn().Str("why", why).Msg("dev issuer enabled: tokens from 'veilig token' are trusted for any professional of any organization; for demos and tests only, never in production")
	}
	noIssuer := func(detail string) error {
		return fmt.Errorf("no token issuer configured (%s): set --issuer ISSUER,JWKS_URL,AUDIENCE,ORGANIZATION_ID (or VEILIG_ISSUERS), "+
			"or bind one with 'veilig admin init --issuer …'; for a try-out on this machine, use the embedded database on a loopback "+
			"--addr such as the default 127.0.0.1:8080, or --dev-issuer=on%s", why, detail)
	}
	st, err := c.openStore(ctx, log, false)
	if err != nil {
		if len(issuers) == 0 && !devOn {
			return noIssuer(fmt.Sprintf(" (and the issuers bound in the database could not be read: %v)", err))
		}
		return err
	}
	defer st.Close() // opening pinged the database already
	if !devOn {
		// Identity providers bound in the directory (RegionService.BindIssuer, veilig admin
		// init) are trusted beside the configured ones, read again every minute.
		bound, err := st.OrganizationIssuerList(ctx)
		if err != nil {
			return fmt.Errorf("list issuer bindings: %w", err)
		}
		if len(issuers) == 0 && len(bound) == 0 {
			return noIssuer("")
		}
		verifierOpts = append(verifierOpts, auth.WithIssuerSource(app.BoundIssuers(st), time.Minute))
	}
	verifier, err := auth.NewVerifier(issuers, verifierOpts...)
	if err != nil {
		return fmt.Errorf("token verifier: %w", err)
	}
	for _, iss := range issuers {
		_, err := st.OrganizationGet(ctx, iss.OrganizationID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			log.Warn().Str("issuer", iss.Issuer).Str("organization_id", iss.OrganizationID).
				Msg("identity provider bound to an organization that is not in the directory: its tokens sign in nobody until it is")
		case err != nil:
			return fmt.Errorf("check the organization of issuer %q: %w", iss.Issuer, err)
		default:
			log.Info().Str("issuer", iss.Issuer).Str("organization_id", iss.OrganizationID).
				Msg("trusting identity provider for the professionals of one organization")
		}
	}
	linkSecret, err := lf.secret(&c, log)
	if err != nil {
		return err
	}

	m, ready := observability(st, log)
	srv := server.New(limits.serverConfig(server.Config{
		Addr:            *addr,
		TLSCertFile:     *tlsCert,
		TLSKeyFile:      *tlsKey,
		Logger:          log,
		ShutdownTimeout: *shutdown,
		Metrics:         m,
		Ready:           ready,
		CORSOrigins:     splitOrigins(*corsOrigins),
	}), app.Services(limits.appConfig(app.Config{Store: st, Verifier: verifier, MaxRequestBytes: *maxBytes, Logger: log, Metrics: m,
		PublicURL: lf.publicURL, LinkSecret: linkSecret, TrustProxy: lf.trustProxy == "on",
		StreamsPerProfessional: *streamsPerProfessional, StreamsPerDevice: *streamsPerDevice,
		MinAppVersion: *minAppVersion, LeaseLockAfter: *leaseLock, LeaseEraseAfter: *leaseErase})))
	engine := "postgres"
	if c.embedded() {
		engine = "sqlite"
	}
	log.Info().Str("addr", *addr).Str("database", engine).Str("max_token_lifetime", maxLifetime.String()).
		Int("max_streams_per_professional", *streamsPerProfessional).Int("max_streams_per_device", *streamsPerDevice).Str("version", version).Msg("veilig serving")
	// The ops listener stops with the server.
	opsCtx, stopOps := context.WithCancel(ctx)
	defer stopOps()
	if *runScheduler == "off" {
		waitOps, err := of.start(opsCtx, m, ready, log)
		if err != nil {
			return err
		}
		err = srv.Run(ctx)
		stopOps()
		return errors.Join(err, waitOps())
	}
	sched, err := sf.scheduler(ctx, &c, st, m, log)
	if err != nil {
		return err
	}
	waitOps, err := of.start(opsCtx, m, ready, log)
	if err != nil {
		return err
	}
	// The scheduler stops with the server: on SIGTERM, and when the server fails to start.
	schedCtx, stopSched := context.WithCancel(ctx)
	schedDone := make(chan error, 1)
	go func() { schedDone <- sched.Run(schedCtx) }()
	err = srv.Run(ctx)
	stopSched()
	stopOps()
	return errors.Join(err, <-schedDone, waitOps())
}

// splitOrigins splits a comma-separated --cors-origins value, leaving out spaces around each
// origin and empty entries.
func splitOrigins(v string) []string {
	var out []string
	for _, o := range strings.Split(v, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// envDuration is VEILIG_<name> as a duration, or def when it is unset or malformed (the flag
// check then sees def).
func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(envDefault(name, "")); err == nil {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(envDefault(name, "")); err == nil {
		return v
	}
	return def
}

// streamLimits registers --max-streams-per-professional and --max-streams-per-device
// (VEILIG_MAX_STREAMS_PER_PROFESSIONAL, VEILIG_MAX_STREAMS_PER_DEVICE): the caps on concurrent
// SyncService.Subscribe streams of one professional and of one of their devices, per server
// process. A malformed environment value is an error, not a silent default: without a cap one
// account can tie up a server.
func streamLimits(fs *flag.FlagSet) (perProfessional, perDevice *int, err error) {
	def := func(name string, d int) (int, error) {
		v, ok := os.LookupEnv("VEILIG_" + name)
		if !ok {
			return d, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("VEILIG_%s: want a whole number such as %d: %w", name, d, err)
		}
		return n, nil
	}
	p, err := def("MAX_STREAMS_PER_PROFESSIONAL", careapi.DefaultStreamsPerProfessional)
	if err != nil {
		return nil, nil, err
	}
	d, err := def("MAX_STREAMS_PER_DEVICE", careapi.DefaultStreamsPerDevice)
	if err != nil {
		return nil, nil, err
	}
	perProfessional = fs.Int("max-streams-per-professional", p, "most concurrent SyncService/Subscribe streams of one professional on this server; more are refused (VEILIG_MAX_STREAMS_PER_PROFESSIONAL)")
	perDevice = fs.Int("max-streams-per-device", d, "most concurrent SyncService/Subscribe streams of one device (the token's device_id) on this server; more are refused (VEILIG_MAX_STREAMS_PER_DEVICE)")
	return perProfessional, perDevice, nil
}

// checkStreamLimits validates the parsed stream caps: a cap below 1 would refuse every stream.
func checkStreamLimits(perProfessional, perDevice int) error {
	if perProfessional < 1 {
		return fmt.Errorf("--max-streams-per-professional: want at least 1, got %d", perProfessional)
	}
	if perDevice < 1 {
		return fmt.Errorf("--max-streams-per-device: want at least 1, got %d", perDevice)
	}
	return nil
}
