package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/app"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storeopen"
	"github.com/veilig/veilig/mobile-api/auth"
	"github.com/veilig/veilig/mobile-api/careapi"
)

// Engines the bench runs on.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// target is one server under test on one fresh database: the store behind it (for seeding,
// the retry counter and the raw baseline's URL), the dev issuer that signs the devices'
// tokens, and the base URL the clients call.
type target struct {
	engine   string
	st       *store.DB
	dbURL    string // the store's URL: sqlite://path or postgres://…
	dev      *auth.DevIssuer
	baseURL  string
	external bool // the server runs elsewhere (--url): no in-process figures
	fix      *fixture
	closers  []func()
}

// close stops the server and releases the database, newest first.
func (t *target) close() {
	for i := len(t.closers) - 1; i >= 0; i-- {
		t.closers[i]()
	}
}

// engines holds what the engines need across rounds: the throwaway PostgreSQL cluster (or
// the server of --database-url), started once.
type engines struct {
	cfg     *Config
	pgBase  string
	cluster *cluster
	seq     int
}

// close stops the throwaway cluster, if one was started.
func (e *engines) close() {
	if e.cluster != nil {
		e.cluster.stop()
	}
}

// postgres returns the base URL of a server the bench may create databases on.
func (e *engines) postgres(ctx context.Context) (string, error) {
	if e.pgBase != "" {
		return e.pgBase, nil
	}
	if e.cfg.DatabaseURL != "" {
		e.pgBase = e.cfg.DatabaseURL
		return e.pgBase, nil
	}
	e.progress("starting a throwaway PostgreSQL cluster (durable commits)")
	c, err := startCluster(ctx)
	if err != nil {
		return "", err
	}
	e.cluster, e.pgBase = c, c.url
	return e.pgBase, nil
}

func (e *engines) progress(msg string) {
	if e.cfg.Progress != nil {
		fmt.Fprintf(e.cfg.Progress, "bench: %s\n", msg)
	}
}

// open returns a fresh, migrated database of engine with the fixture's directory, and a
// server in front of it (or the server at Config.URL).
func (e *engines) open(ctx context.Context, engine string) (*target, error) {
	e.seq++
	t := &target{engine: engine}
	if err := e.openStore(ctx, t); err != nil {
		t.close()
		return nil, err
	}
	fix, err := newFixture(ctx, t.st)
	if err != nil {
		t.close()
		return nil, err
	}
	t.fix = fix
	if err := e.startServer(ctx, t); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

func (e *engines) openStore(ctx context.Context, t *target) error {
	switch {
	case e.cfg.URL != "":
		if e.cfg.DatabaseURL == "" {
			return errors.New("--url needs --database-url: the bench seeds its devices into the server's database")
		}
		t.dbURL = e.cfg.DatabaseURL
	case t.engine == EngineSQLite:
		dir, err := os.MkdirTemp("", "veilig-bench-sqlite-")
		if err != nil {
			return fmt.Errorf("sqlite folder: %w", err)
		}
		t.closers = append(t.closers, func() { os.RemoveAll(dir) })
		t.dbURL = "sqlite://" + filepath.Join(dir, "veilig.db")
	case t.engine == EnginePostgres:
		base, err := e.postgres(ctx)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("veilig_bench_%d_%d", os.Getpid(), e.seq)
		if t.dbURL, err = createDatabase(ctx, base, name); err != nil {
			return err
		}
		t.closers = append(t.closers, func() { dropDatabase(base, name) })
	default:
		return fmt.Errorf("unknown engine %q: want sqlite or postgres", t.engine)
	}
	st, err := storeopen.Open(ctx, t.dbURL)
	if err != nil {
		return fmt.Errorf("open %s: %w", t.engine, err)
	}
	t.st = st
	t.closers = append(t.closers, func() { st.Close() })
	if e.cfg.URL != "" {
		return nil // a shared server's schema is its operator's: veilig migrate
	}
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", t.engine, err)
	}
	return nil
}

// startServer starts the backend in process, assembled as veilig serve assembles it
// (app.Services behind server.New) on a loopback listener with an OS-chosen port; with
// Config.URL it loads the dev issuer of that server's data folder instead.
func (e *engines) startServer(ctx context.Context, t *target) error {
	if e.cfg.URL != "" {
		dev, err := auth.LoadOrCreateDevIssuer(e.cfg.DataDir)
		if err != nil {
			return fmt.Errorf("dev issuer of %s: %w", e.cfg.DataDir, err)
		}
		t.dev, t.baseURL, t.external = dev, e.cfg.URL, true
		return nil
	}
	dir, err := os.MkdirTemp("", "veilig-bench-key-")
	if err != nil {
		return fmt.Errorf("key folder: %w", err)
	}
	t.closers = append(t.closers, func() { os.RemoveAll(dir) })
	if t.dev, err = auth.LoadOrCreateDevIssuer(dir); err != nil {
		return fmt.Errorf("dev issuer: %w", err)
	}
	verifier, err := auth.NewVerifier(nil, auth.WithDevIssuer(t.dev))
	if err != nil {
		return fmt.Errorf("token verifier: %w", err)
	}
	log := zerolog.Nop()
	srv := server.New(server.Config{Logger: log, MaxConnections: 1 << 16, MaxInFlight: 1 << 16}, app.Services(app.Config{
		Store: t.st, Verifier: verifier, Logger: log, Quotas: benchQuotas,
		StreamsPerProfessional: 1 << 20, StreamsPerDevice: 1 << 20,
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(runCtx, ln) }()
	t.closers = append(t.closers, func() { cancel(); <-done })
	t.baseURL = "http://" + ln.Addr().String()
	return nil
}

// benchQuotas lift the per-device quotas far above what the bench sends: the bench
// measures throughput, and a device's per-minute mutation quota would measure the quota.
var benchQuotas = careapi.Quotas{MutationsPerPush: 1000, MutationsPerMinute: 1 << 30, PushBytesPerMinute: 1 << 40, HouseholdBytes: 1 << 40}

// retries returns the store's serialization retries so far, when its driver counts them.
func (t *target) retries() (int64, bool) {
	r, ok := t.st.Driver().(interface{ Retries() int64 })
	if !ok {
		return 0, false
	}
	return r.Retries(), true
}

// token signs a dev token for professional i's device.
func (t *target) token(i int, device string) (string, error) {
	tok, err := t.dev.Sign(t.fix.professionals[i], device, time.Hour)
	if err != nil {
		return "", fmt.Errorf("sign a dev token: %w", err)
	}
	return tok, nil
}

// engineVersion asks the database for its version.
func (t *target) engineVersion(ctx context.Context) string {
	kind, rest := storeopen.Parse(t.dbURL)
	var v string
	var err error
	if kind == storeopen.KindSQLite {
		var db *sql.DB
		if db, err = sql.Open("sqlite", rest); err == nil {
			err = db.QueryRowContext(ctx, "SELECT 'SQLite ' || sqlite_version()").Scan(&v)
			db.Close()
		}
	} else {
		err = queryPostgres(ctx, t.dbURL, "SELECT version()", &v)
	}
	if err != nil {
		return "unknown"
	}
	return v
}

// httpClient is a client for one device: HTTP/1.1 keep-alive, or h2c when streams share
// connections.
func httpClient(transport http.RoundTripper) *http.Client {
	return &http.Client{Transport: transport, Timeout: 5 * time.Minute}
}
