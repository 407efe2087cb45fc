package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/veilig/veilig/backend/app"
	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/mobile-api/auth"
	"github.com/veilig/veilig/mobile-api/careapi"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "[flags]", "Run the backend: the API, the family page and, unless --scheduler=off, the scheduler.\n"+
		"With no --database-url it runs on embedded SQLite in --data-dir, trusting 'veilig token' on a loopback --addr.")
	var c common
	c.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; the default accepts connections from this machine only, :8080 listens on every interface")
	tlsCert := fs.String("tls-cert", "", "TLS certificate file; TLS is on when both --tls-cert and --tls-key are set, and one without the other is an error")
	tlsKey := fs.String("tls-key", "", "TLS private key file, with --tls-cert")
	devIssuer := fs.String("dev-issuer", "auto", "trust tokens from 'veilig token', for demos and tests: on, off, or auto (on only with no --issuer, the embedded database and a loopback-only --addr); on with --issuer is an error")
	maxLifetime := maxTokenLifetime(fs)
	streamsPerProfessional, streamsPerDevice := streamLimits(fs)
	maxBytes := fs.Int("max-request-bytes", app.DefaultMaxRequestBytes, "largest request message accepted")
	shutdown := fs.Duration("shutdown-timeout", 15*time.Second, "how long in-flight requests may finish after SIGTERM")
	runScheduler := fs.String("scheduler", "on", "run the scheduler (overdue checks, escalation, digests, pushes) in this process: on or off; any number of replicas may")
	var sf schedulerFlags
	sf.register(fs)
	var lf linkFlags
	lf.register(fs)
	var limits limitFlags
	limits.register(fs)
	var of opsFlags
	of.register(fs)
	minAppVersion := fs.String("min-app-version", "", "refuse apps older than this semantic version (e.g. 1.4.0), and apps that send no X-Veilig-App-Version header, with failed_precondition; empty: no minimum")
	leaseLock := fs.Duration("lease-lock-after", household.DefaultLeaseLockAfter, "offline lease: a phone that has not pulled for this long locks its data")
	leaseErase := fs.Duration("lease-erase-after", household.DefaultLeaseEraseAfter, "offline lease: a phone that has not pulled for this long erases its data; longer than --lease-lock-after")
	corsOrigins := fs.String("cors-origins", "", "browser origins allowed to call the API from another origin, comma-separated, each scheme://host[:port] (https, or http on a loopback host; no *); empty: no CORS")
	var issuers issuerList
	fs.Var(&issuers, "issuer", "trusted identity provider as ISSUER,JWKS_URL,AUDIENCE,ORGANIZATION_ID: it signs in professionals of that organization only; repeatable ($VEILIG_ISSUERS, ';'-separated; $VEILIG_ISSUER works too)")
	src, err := parseFlags(fs, args, envSpec{prefix: "VEILIG", aliases: map[string]string{"VEILIG_ISSUERS": "issuer"}}, stdout)
	if err != nil {
		return err
	}
	of.src = src
	if err := noArguments(fs); err != nil {
		return err
	}
	if err := c.check(src); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		given, missing := "tls-cert", "tls-key"
		if *tlsCert == "" {
			given, missing = missing, given
		}
		return fmt.Errorf("serve: %s is set but --%s (VEILIG_%s) is not: TLS needs both, or neither for plain HTTP", src.of(given), missing, strings.ToUpper(strings.ReplaceAll(missing, "-", "_")))
	}
	if err := errors.Join(
		wantOneOf(src, "scheduler", *runScheduler, "on", "off"),
		lf.check(src),
		wantOneOf(src, "dev-issuer", *devIssuer, "on", "off", "auto"),
		sf.check(src),
		checkMaxTokenLifetime(src, *maxLifetime),
		checkStreamLimits(src, *streamsPerProfessional, *streamsPerDevice),
		wantAtLeast(src, "max-request-bytes", int64(*maxBytes), 1),
		wantPositive(src, "shutdown-timeout", *shutdown),
		limits.check(src),
	); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if *minAppVersion != "" {
		if err := careapi.CheckAppVersion(*minAppVersion); err != nil {
			return fmt.Errorf("serve: %s: %w", src.of("min-app-version"), err)
		}
	}
	if err := household.CheckLease(*leaseLock, *leaseErase); err != nil {
		return fmt.Errorf("serve: %s, %s: %w", src.of("lease-lock-after"), src.of("lease-erase-after"), err)
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	if err := server.CheckCORSOrigins(splitOrigins(*corsOrigins)); err != nil {
		return fmt.Errorf("serve: %s: %w", src.of("cors-origins"), err)
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

// streamLimits registers --max-streams-per-professional and --max-streams-per-device
// (VEILIG_MAX_STREAMS_PER_PROFESSIONAL, VEILIG_MAX_STREAMS_PER_DEVICE): the caps on concurrent
// SyncService.Subscribe streams of one professional and of one of their devices, per server
// process. Without a cap one account can tie up a server, so a cap below 1 is refused.
func streamLimits(fs *flag.FlagSet) (perProfessional, perDevice *int) {
	perProfessional = fs.Int("max-streams-per-professional", careapi.DefaultStreamsPerProfessional, "most concurrent SyncService/Subscribe streams of one professional on this server; more are refused")
	perDevice = fs.Int("max-streams-per-device", careapi.DefaultStreamsPerDevice, "most concurrent SyncService/Subscribe streams of one device (the token's device_id) on this server; more are refused")
	return perProfessional, perDevice
}

// checkStreamLimits validates the parsed stream caps: a cap below 1 would refuse every stream.
func checkStreamLimits(src flagSources, perProfessional, perDevice int) error {
	return errors.Join(wantAtLeast(src, "max-streams-per-professional", int64(perProfessional), 1),
		wantAtLeast(src, "max-streams-per-device", int64(perDevice), 1))
}
