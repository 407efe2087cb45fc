package app_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/app"
	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/metrics"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storeopen"
	"github.com/veilig/veilig/backend/store/storepgx"
	"github.com/veilig/veilig/mobile-api/auth"
	"github.com/veilig/veilig/mobile-api/careapi"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// testNow is the fixed clock of every test: tokens are signed with the real clock, data is
// stamped with this one.
var testNow = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

// bundle is what a test needs: clients of every service, the store behind them, the demo
// region seeded into it, and a way to get tokens.
type bundle struct {
	store      *store.DB
	region     *demo.Region
	dev        *auth.DevIssuer
	baseURL    string
	http       *http.Client
	logs       *syncBuffer
	metrics    *metrics.Metrics
	ops        http.Handler // the ops listener's /metrics, /livez, /readyz
	directory  veiligv1connect.DirectoryServiceClient
	household  veiligv1connect.HouseholdServiceClient
	plan       veiligv1connect.PlanServiceClient
	checkIn    veiligv1connect.CheckInServiceClient
	sync       veiligv1connect.SyncServiceClient
	alert      veiligv1connect.AlertServiceClient
	device     veiligv1connect.DeviceServiceClient
	familyLink veiligv1connect.FamilyLinkServiceClient
	audit      veiligv1connect.AuditServiceClient
	regionAPI  veiligv1connect.RegionServiceClient
	file       veiligv1connect.HouseholdFileServiceClient
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// options change what setupWith builds.
type options struct {
	// issuers, when set, returns the trusted identity providers, given the seeded store and
	// region; the dev issuer is then not trusted (it never runs beside a real issuer), though
	// b.dev still signs tokens.
	issuers func(st *store.DB, region *demo.Region) []auth.IssuerConfig
	// database, when set, is the store's URL (a PostgreSQL database from pgtest); the default
	// is a fresh embedded SQLite file.
	database string
	// seed, when set, writes the test's own fixture instead of the demo region (region is
	// then nil).
	seed func(st *store.DB)
	// pollInterval replaces Subscribe's test poll interval of 20 ms.
	pollInterval time.Duration
	// minAppVersion is the deployment's minimum app version (app.Config.MinAppVersion).
	minAppVersion string
	// streamsPerProfessional and streamsPerDevice set the stream caps; 0 keeps the defaults.
	streamsPerProfessional, streamsPerDevice int
	// now, when set, replaces the server's fixed clock (testNow), for tests whose phones
	// stamp edits with the wall clock: a server far behind them clamps every stamp to one
	// ceiling, which hides which value an author had seen.
	now func() time.Time
	// quotas set the push and household quotas; zero fields keep the defaults.
	quotas careapi.Quotas
	// maxRequestBytes replaces the test request limit of 64 KiB.
	maxRequestBytes int
	// tracer, when set with a PostgreSQL database, sees every statement the server sends.
	tracer pgx.QueryTracer
	// bound trusts the identity providers bound in the directory (app.BoundIssuers), as veilig
	// serve does, instead of the dev issuer.
	bound bool
}

func setup(t *testing.T) *bundle {
	t.Helper()
	return setupWith(t, options{})
}

func setupWith(t *testing.T, o options) *bundle {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	url := o.database
	if url == "" {
		url = "sqlite://" + filepath.Join(dir, "veilig.db")
	}
	var st *store.DB
	var err error
	if o.tracer != nil {
		var d *storepgx.Driver
		d, err = storepgx.Open(ctx, url, storepgx.WithTracer(o.tracer))
		st = store.New(d)
	} else {
		st, err = storeopen.Open(ctx, url)
	}
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	var region *demo.Region
	if o.seed != nil {
		o.seed(st)
	} else if region, err = demo.Seed(ctx, st, testNow, nil); err != nil {
		t.Fatalf("seed: %v", err)
	}
	dev, err := auth.LoadOrCreateDevIssuer(dir)
	if err != nil {
		t.Fatalf("dev issuer: %v", err)
	}
	var issuers []auth.IssuerConfig
	trust := []auth.Option{auth.WithDevIssuer(dev)}
	if o.issuers != nil {
		issuers, trust = o.issuers(st, region), nil
	}
	if o.bound {
		trust = []auth.Option{auth.WithIssuerSource(app.BoundIssuers(st), time.Minute)}
	}
	verifier, err := auth.NewVerifier(issuers, trust...)
	if err != nil {
		t.Fatalf("verifier: %v", err)
	}
	logs := &syncBuffer{}
	log := zerolog.New(logs).Level(zerolog.DebugLevel)
	poll := 20 * time.Millisecond
	if o.pollInterval > 0 {
		poll = o.pollInterval
	}
	now := func() time.Time { return testNow }
	if o.now != nil {
		now = o.now
	}
	// As veilig serve wires them, with readiness asked afresh at every probe.
	m := metrics.New()
	ready := server.NewReadiness(server.ReadinessConfig{Ping: st.Ping, CacheFor: -1, Logger: log, Observe: m.DatabaseUp})
	m.Watch(metrics.WatchConfig{Source: st, Ready: ready.Check})
	cfg := testConfig(st, verifier, now, log, poll, o)
	cfg.Metrics = m
	srv := server.New(server.Config{Logger: log, Metrics: m, Ready: ready}, app.Services(cfg))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(runCtx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	hc := &http.Client{Timeout: 10 * time.Second}
	return &bundle{
		store: st, region: region, dev: dev, baseURL: base, http: hc, logs: logs, metrics: m,
		ops:        server.OpsHandler(server.OpsConfig{Metrics: m, Ready: ready}),
		directory:  veiligv1connect.NewDirectoryServiceClient(hc, base),
		household:  veiligv1connect.NewHouseholdServiceClient(hc, base),
		plan:       veiligv1connect.NewPlanServiceClient(hc, base),
		checkIn:    veiligv1connect.NewCheckInServiceClient(hc, base),
		sync:       veiligv1connect.NewSyncServiceClient(hc, base),
		alert:      veiligv1connect.NewAlertServiceClient(hc, base),
		device:     veiligv1connect.NewDeviceServiceClient(hc, base),
		familyLink: veiligv1connect.NewFamilyLinkServiceClient(hc, base),
		audit:      veiligv1connect.NewAuditServiceClient(hc, base),
		regionAPI:  veiligv1connect.NewRegionServiceClient(hc, base),
		file:       veiligv1connect.NewHouseholdFileServiceClient(hc, base),
	}
}

// testConfig is the app configuration of every test server: the store, verifier, clock and
// logger it is given, with the test limits and o's settings.
func testConfig(st *store.DB, verifier *auth.Verifier, now func() time.Time, log zerolog.Logger, poll time.Duration, o options) app.Config {
	maxRequest := 64 << 10
	if o.maxRequestBytes > 0 {
		maxRequest = o.maxRequestBytes
	}
	return app.Config{
		Store: st, Verifier: verifier, Now: now, Logger: log,
		MaxRequestBytes: maxRequest, PollInterval: poll, LinkSecret: []byte("test secret for family page form tokens, 32+ bytes"),
		StreamsPerProfessional: o.streamsPerProfessional, StreamsPerDevice: o.streamsPerDevice, Quotas: o.quotas,
		MinAppVersion: o.minAppVersion,
	}
}

// token signs a dev token for a professional.
func (b *bundle) token(t *testing.T, professionalID string) string {
	t.Helper()
	tok, err := b.dev.Sign(professionalID, "device-"+professionalID[:8], time.Hour)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return tok
}

// as wraps a request message with a bearer token.
func as[T any](tok string, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	if tok != "" {
		req.Header().Set("Authorization", "Bearer "+tok)
	}
	return req
}

// wantCode fails the test unless err is a Connect error with the given code.
func wantCode(t *testing.T, err error, code connect.Code) *connect.Error {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got error %v, want a Connect error with code %v", err, code)
	}
	if ce.Code() != code {
		t.Fatalf("got code %v (%v), want %v", ce.Code(), ce.Message(), code)
	}
	return ce
}
