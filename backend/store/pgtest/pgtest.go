// Package pgtest gives tests a real PostgreSQL: a throwaway cluster started from the
// installed binaries (initdb + postgres on a temporary folder and a free port), one per test
// binary, and a fresh database per test.
//
// Set VEILIG_TEST_DATABASE_URL to use an existing server instead (its user needs CREATEDB),
// and VEILIG_PGTEST_DURABLE=1 to keep fsync and synchronous commits on (for benchmarks).
// When neither is available the tests skip with a loud "POSTGRES TESTS SKIPPED" message, and
// with VEILIG_REQUIRE_POSTGRES=1 (as .ci/run sets) they fail instead.
//
// A package that uses NewDatabase must call Main (or Run) from its TestMain so that the cluster is
// stopped when its tests end. NewCluster gives one test a server of its own that it may stop
// and start again, to test a database outage.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Main runs the tests of a package, stops its throwaway cluster and exits.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run runs the tests of a package, stops its throwaway cluster and returns the exit code, for
// a TestMain that has more to do.
func Run(m *testing.M) int {
	code := m.Run()
	shared.stop()
	return code
}

// IsCockroachDB reports whether the server behind url is CockroachDB, for the few tests that
// observe engine-specific behaviour (lock waits, for one).
func IsCockroachDB(t testing.TB, url string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
		t.Fatalf("server version: %v", err)
	}
	return strings.Contains(v, "CockroachDB")
}

// NewDatabase creates an empty database for t and returns its URL; the database is dropped
// when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base, err := shared.url()
	if errors.Is(err, errNoPostgres) {
		msg := "POSTGRES TESTS SKIPPED: " + err.Error()
		if os.Getenv("VEILIG_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg + " (VEILIG_REQUIRE_POSTGRES=1 makes this a failure)")
		}
		fmt.Fprintln(os.Stderr, "\n*** "+msg+" ***")
		t.Skip(msg)
	}
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("veilig_test_%d_%d", os.Getpid(), dbCounter.Add(1))
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("connect to drop test database: %v", err)
			return
		}
		defer admin.Close(ctx)
		// Plain DROP is what CockroachDB runs; WITH (FORCE) (PostgreSQL ≥ 13) ends connections a
		// test leaked.
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Errorf("drop test database: %v", err)
			}
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse database URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

var (
	dbCounter atomic.Int64
	shared    cluster
)

var errNoPostgres = errors.New("no PostgreSQL server binaries (initdb, postgres) found; install postgresql or set VEILIG_TEST_DATABASE_URL")

// cluster is the process-wide throwaway server, started on first use.
type cluster struct {
	once    sync.Once
	baseURL string
	err     error
	dir     string
	cmd     *exec.Cmd
	exited  chan struct{}
	// What start chose, so that Cluster.Start can run the same server again.
	bin, data string
	port      int
	cred      *syscall.Credential
}

func (c *cluster) url() (string, error) {
	c.once.Do(func() {
		if u := os.Getenv("VEILIG_TEST_DATABASE_URL"); u != "" {
			c.baseURL = u
			return
		}
		c.baseURL, c.err = c.start()
	})
	return c.baseURL, c.err
}

// binDir finds the newest installed PostgreSQL server binaries.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_config"); err == nil {
		if out, err := exec.Command(p, "--bindir").Output(); err == nil {
			dir := strings.TrimSpace(string(out))
			if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
				return dir, nil
			}
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errNoPostgres
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// start runs initdb and postgres. PostgreSQL refuses to run as root, so as root both run as
// the "postgres" system user (created by the Debian package).
func (c *cluster) start() (string, error) {
	bin, err := binDir()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "veilig-pgtest-")
	if err != nil {
		return "", err
	}
	c.dir = dir
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return "", fmt.Errorf("running as root needs the postgres system user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "--pgdata", data, "--username", "postgres",
		"--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %w\n%s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return "", err
		}
		if lastErr = c.run(bin, data, dir, port, cred); lastErr == nil {
			c.bin, c.data, c.port, c.cred = bin, data, port, cred
			return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), nil
		}
	}
	return "", lastErr
}

// run starts postgres on port and waits until it accepts connections. Durability is off (the
// cluster lives as long as one test binary) unless VEILIG_PGTEST_DURABLE=1, for benchmarks
// whose figures must compare with a real server.
func (c *cluster) run(bin, data, dir string, port int, cred *syscall.Credential) error {
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	if cred != nil {
		_ = os.Chown(logPath, int(cred.Uid), int(cred.Gid))
	}
	args := []string{"-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir,
		"-c", "max_connections=200", "-c", "shared_buffers=128MB"}
	if os.Getenv("VEILIG_PGTEST_DURABLE") != "1" {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Pdeathsig stops the server if the test binary dies without running Main's cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres exited during start:\n%s", log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, url)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			c.cmd, c.exited = cmd, exited
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return errors.New("postgres did not accept connections within 30s")
}

// stop shuts the cluster down (fast mode) and removes its folder.
func (c *cluster) stop() {
	c.halt()
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
}

// halt shuts the server down in fast mode (open connections are ended with SQLSTATE 57P01,
// as an operator's restart ends them) and keeps its data.
func (c *cluster) halt() {
	if c.cmd != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(20 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
		c.cmd = nil
	}
}

// Cluster is a throwaway PostgreSQL server of one test that the test may stop and start
// again, on the same port with the same data: for outages. NewDatabase's shared server is
// never stopped, since other tests use it.
type Cluster struct {
	c   cluster
	url string
}

// NewCluster starts a server for t alone and returns it; it is removed when t ends. Like
// NewDatabase it skips t (or fails it, with VEILIG_REQUIRE_POSTGRES=1) when no PostgreSQL
// binaries are installed; with VEILIG_TEST_DATABASE_URL set it skips t, since a server it did
// not start is not its to stop.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	if os.Getenv("VEILIG_TEST_DATABASE_URL") != "" {
		t.Skip("pgtest.NewCluster: VEILIG_TEST_DATABASE_URL names a server this test may not stop")
	}
	c := &Cluster{}
	url, err := c.c.start()
	t.Cleanup(c.c.stop)
	if errors.Is(err, errNoPostgres) {
		msg := "POSTGRES TESTS SKIPPED: " + err.Error()
		if os.Getenv("VEILIG_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg + " (VEILIG_REQUIRE_POSTGRES=1 makes this a failure)")
		}
		t.Skip(msg)
	}
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	c.url = url
	return c
}

// URL is the URL of the server's postgres database, the test's own.
func (c *Cluster) URL() string { return c.url }

// Stop shuts the server down (fast mode: open connections end at once) and waits until it
// has exited; its data stays for Start.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	c.c.halt()
}

// Start starts the stopped server again on its port and waits until it accepts
// connections.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if c.c.cmd != nil {
		t.Fatal("pgtest: Start of a cluster that runs")
	}
	if err := c.c.run(c.c.bin, c.c.data, c.c.dir, c.c.port, c.c.cred); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
