package main_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/grpcreflect"

	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/store/pgtest"
)

// binary is the veilig command built once for all tests: the tests run what a user runs.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "veilig-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "veilig")
	build := exec.Command("go", "build", "-race", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build veilig:", err)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// lockedBuffer collects a process's output while it runs.
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

// cleanEnv is the environment without VEILIG_* settings, as on a new user's machine, but for
// the ops listener on a port of the system's choice: the default 127.0.0.1:9090 would be
// taken by the first of the tests' servers.
func cleanEnv() []string {
	env := []string{"VEILIG_METRICS_ADDR=127.0.0.1:0"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VEILIG_") {
			env = append(env, kv)
		}
	}
	return env
}

// veilig runs a short command in dir and returns its stdout.
func veilig(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env = dir, cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("veilig %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is a running `veilig serve`.
type server struct {
	cmd  *exec.Cmd
	addr string
	logs *lockedBuffer
	done chan struct{} // closed when the process has exited
	err  error         // the exit status, set before done is closed
}

// startServe starts `veilig serve` in dir and waits until health answers SERVING; it returns
// how long that took.
func startServe(t *testing.T, dir string, args ...string) (*server, time.Duration) {
	t.Helper()
	addr := freeAddr(t)
	return startServeEnv(t, dir, addr, cleanEnv(), append([]string{"--addr", addr}, args...)...)
}

// startServeEnv starts `veilig serve ARGS` in dir with the environment env, listening on addr
// (given by args or env), and waits until it is healthy.
func startServeEnv(t *testing.T, dir, addr string, env []string, args ...string) (*server, time.Duration) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, addr: addr, logs: logs, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
	})
	for time.Since(start) < 30*time.Second {
		if body, err := healthCheck(addr); err == nil && strings.Contains(body, "SERVING_STATUS_SERVING") {
			return s, time.Since(start)
		}
		select {
		case <-s.done:
			t.Fatalf("veilig serve exited: %v\n%s", s.err, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("veilig serve not healthy after 30s\n%s", logs.String())
	return nil, 0
}

// healthCheck is the README's curl command: the gRPC health check over the Connect protocol.
func healthCheck(addr string) (string, error) {
	res, err := http.Post("http://"+addr+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader("{}"))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// call makes a Connect JSON call to procedure ("Service/Method" of veilig.v1) with a token.
func (s *server) call(t *testing.T, token, procedure, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+s.addr+"/veilig.v1."+procedure, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
		if s.err != nil {
			t.Fatalf("veilig serve exited with %v after SIGTERM\n%s", s.err, s.logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("veilig serve did not stop after SIGTERM")
	}
}

func TestServeRunsWithNoSetup(t *testing.T) {
	dir := t.TempDir() // a fresh folder: no data, no configuration
	opsAddr := freeAddr(t)
	s, took := startServe(t, dir, "--metrics-addr", opsAddr)
	t.Logf("healthy %v after start", took)
	if took > 10*time.Second {
		t.Errorf("serve took %v to become healthy, want under 10s", took)
	}
	if _, err := os.Stat(filepath.Join(dir, "veilig-data", "veilig.db")); err != nil {
		t.Errorf("embedded database not created in the data folder: %v", err)
	}

	t.Run("reflection lists every service", func(t *testing.T) {
		client := grpcreflect.NewClient(&http.Client{Transport: h2cTransport()}, "http://"+s.addr)
		stream := client.NewStream(context.Background())
		defer stream.Close()
		names, err := stream.ListServices()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, n := range names {
			got[string(n)] = true
		}
		for _, want := range []string{
			"veilig.v1.DirectoryService", "veilig.v1.HouseholdService", "veilig.v1.PlanService",
			"veilig.v1.CheckInService", "grpc.health.v1.Health",
		} {
			if !got[want] {
				t.Errorf("reflection does not list %s (got %v)", want, names)
			}
		}
	})
	t.Run("the ops listener serves metrics and probes, the API port none", func(t *testing.T) {
		for _, tt := range []struct {
			url  string
			want int
			body string
		}{
			{"http://" + opsAddr + "/metrics", http.StatusOK, "veilig_database_up 1"},
			{"http://" + opsAddr + "/livez", http.StatusOK, "ok"},
			{"http://" + opsAddr + "/readyz", http.StatusOK, "ok"},
			{"http://" + s.addr + "/metrics", http.StatusNotFound, ""},
		} {
			res, err := http.Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.want || !strings.Contains(string(b), tt.body) {
				t.Errorf("%s answered %d %.200q, want %d with %q", tt.url, res.StatusCode, b, tt.want, tt.body)
			}
		}
	})
	s.stop(t)
}

func h2cTransport() *http.Transport {
	tr := &http.Transport{}
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetUnencryptedHTTP2(true)
	return tr
}

var userFlag = regexp.MustCompile(`--user ([0-9a-f-]{36})`)

// TestDemoSessionLogsNoPersonalData seeds the demo region, runs a session of calls with dev
// tokens (good and bad), and reads every line the server logged: no household or person
// name, no phone number and no token may appear.
func TestDemoSessionLogsNoPersonalData(t *testing.T) {
	dir := t.TempDir()
	out := veilig(t, dir, "demo")
	users := userFlag.FindAllStringSubmatch(out, -1)
	if len(users) < 3 {
		t.Fatalf("demo printed no usable commands:\n%s", out)
	}
	s, _ := startServe(t, dir, "--log-format", "json", "--log-level", "debug")

	var tokens []string
	for _, u := range users {
		tokens = append(tokens, strings.TrimSpace(veilig(t, dir, "token", "--user", u[1])))
	}
	call := func(tok, procedure, body string) string {
		_, b := s.call(t, tok, procedure, body)
		return b
	}
	hid := regexp.MustCompile(`"householdId": "([0-9a-f-]{36})"`).FindStringSubmatch(out)
	if hid == nil {
		t.Fatalf("demo printed no household id:\n%s", out)
	}
	for _, tok := range tokens {
		call(tok, "DirectoryService/GetMe", `{}`)
		call(tok, "HouseholdService/ListHouseholds", `{"pageSize": 50}`)
		call(tok, "HouseholdService/GetHousehold", `{"householdId": "`+hid[1]+`"}`)
		call(tok, "PlanService/GetPlan", `{"householdId": "`+hid[1]+`"}`)
		call(tok, "CheckInService/ListCheckIns", `{"householdId": "`+hid[1]+`"}`)
	}
	// Writes that carry personal data, invalid input that echoes it, and bad tokens.
	name := demo.PersonalData()[0]
	call(tokens[0], "PlanService/UpsertPlanEntry", `{"householdId": "`+hid[1]+`", "entry": {"id": "8d1f7c1e-93a4-4a63-9d0e-1f2a3b4c5d6e", "networkPerson": {"name": "`+name+`", "phone": "+31201112233"}}}`)
	call(tokens[0], "PlanService/UpsertPlanEntry", `{"householdId": "`+hid[1]+`", "entry": {"id": "`+name+`", "networkPerson": {"name": "`+name+`", "phone": "not a phone +31209998877"}}}`)
	call(tokens[0][:len(tokens[0])-4]+"AAAA", "DirectoryService/GetMe", `{}`)
	call("garbage."+tokens[1], "DirectoryService/GetMe", `{}`)
	s.stop(t)

	logs := s.logs.String()
	if !strings.Contains(logs, "request_id") {
		t.Fatalf("the server logged no request lines; the test would prove nothing:\n%.2000s", logs)
	}
	secrets := append(demo.PersonalData(), "+31201112233", "+31209998877")
	for _, tok := range tokens {
		secrets = append(secrets, tok, strings.Split(tok, ".")[2])
	}
	for _, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the server log contains personal data or a token: %q", secret)
		}
	}
}

// TestPostgres runs the binary on PostgreSQL: serve refuses a schema it does not know, migrate
// brings it up to date, and then the demo region is served.
func TestPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()

	cmd := exec.Command(binary, "serve", "--addr", freeAddr(t), "--database-url", url, "--dev-issuer", "on")
	cmd.Dir, cmd.Env = dir, cleanEnv()
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "veilig migrate") {
		t.Fatalf("serve on an unmigrated database: err %v, want a failure that says to run 'veilig migrate':\n%s", err, out)
	}
	if strings.Contains(string(out), url) {
		t.Errorf("the error output repeats the database URL:\n%s", out)
	}

	if got := veilig(t, dir, "migrate", "--database-url", url); !strings.Contains(got, "applied") || !strings.Contains(got, "retention") {
		t.Errorf("migrate printed %q", got)
	}
	demoOut := veilig(t, dir, "demo", "--database-url", url)
	lead := userFlag.FindStringSubmatch(demoOut)
	if lead == nil {
		t.Fatalf("demo printed no usable commands:\n%s", demoOut)
	}
	s, _ := startServe(t, dir, "--database-url", url, "--dev-issuer", "on")
	tok := strings.TrimSpace(veilig(t, dir, "token", "--user", lead[1]))
	status, body := s.call(t, tok, "HouseholdService/ListHouseholds", `{"pageSize": 100}`)
	if status != http.StatusOK || !strings.Contains(body, `"households"`) {
		t.Fatalf("ListHouseholds on PostgreSQL: %d %s", status, body)
	}
	if !strings.Contains(s.logs.String(), `"database":"postgres"`) {
		t.Errorf("serve did not report the PostgreSQL engine:\n%s", s.logs.String())
	}
	s.stop(t)
}
