package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/metrics"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type running struct {
	url         string
	slowStarted chan struct{} // receives when the slow handler begins
	logs        *syncBuffer
	metrics     *metrics.Metrics
	cancel      context.CancelFunc
	done        chan error
}

// start serves a server with a few test routes on a loopback port.
func start(t *testing.T) *running {
	t.Helper()
	logs := &syncBuffer{}
	slowStarted := make(chan struct{}, 1)
	m := metrics.New()
	srv := server.New(server.Config{Logger: zerolog.New(logs), ShutdownTimeout: 5 * time.Second, Metrics: m}, nil)
	srv.Handle("/c/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "page")
	}))
	srv.Handle("/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	srv.Handle("/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowStarted <- struct{}{}
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "finished")
	}))
	srv.Handle("/id", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, server.RequestID(r.Context()))
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{url: "http://" + ln.Addr().String(), slowStarted: slowStarted, logs: logs, metrics: m, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func h2c() *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr}
}

func TestProtocols(t *testing.T) {
	r := start(t)
	t.Run("health over Connect with plain HTTP/1.1 JSON", func(t *testing.T) {
		res, err := http.Post(r.url+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct{ Status string }
		json.NewDecoder(res.Body).Decode(&body)
		if res.StatusCode != 200 || body.Status != "SERVING_STATUS_SERVING" {
			t.Fatalf("health = %d %+v", res.StatusCode, body)
		}
	})
	t.Run("health over gRPC on h2c", func(t *testing.T) {
		res, err := grpchealth.NewClient(h2c(), r.url, connect.WithGRPC()).Check(context.Background(), &grpchealth.CheckRequest{})
		if err != nil || res.Status != grpchealth.StatusServing {
			t.Fatalf("gRPC health = %+v, %v", res, err)
		}
	})
	t.Run("health over gRPC-Web", func(t *testing.T) {
		res, err := grpchealth.NewClient(http.DefaultClient, r.url, connect.WithGRPCWeb()).Check(context.Background(), &grpchealth.CheckRequest{})
		if err != nil || res.Status != grpchealth.StatusServing {
			t.Fatalf("gRPC-Web health = %+v, %v", res, err)
		}
	})
	t.Run("reflection lists health", func(t *testing.T) {
		stream := grpcreflect.NewClient(h2c(), r.url).NewStream(context.Background())
		defer stream.Close()
		names, err := stream.ListServices()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, n := range names {
			found = found || n == grpchealth.HealthV1ServiceName
		}
		if !found {
			t.Fatalf("reflection lists %v", names)
		}
	})
	t.Run("metrics count requests by route", func(t *testing.T) {
		b := scrape(t, r.metrics)
		if !strings.Contains(b, `route="/grpc.health.v1.Health/Check"`) {
			t.Fatalf("metrics lack the health route:\n%.3000s", b)
		}
	})
}

func TestRequestIDs(t *testing.T) {
	r := start(t)
	get := func(id string) (header, seen string) {
		req, _ := http.NewRequest(http.MethodGet, r.url+"/id", nil)
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.Header.Get("X-Request-Id"), string(b)
	}
	tests := []struct {
		name, incoming string
	}{
		{"none", ""},
		{"a safe client id", "trace-0123456789abcdef"},
		{"a client id that copies an earlier server id", "c0ffee00c0ffee00c0ffee00"},
		{"too long", strings.Repeat("a", 200)},
		{"unsafe characters", "abc def\"<script>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header, seen := get(tt.incoming)
			if header == "" || header != seen {
				t.Fatalf("response id %q, handler saw %q", header, seen)
			}
			if header == tt.incoming || !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(header) {
				t.Fatalf("incoming %q → %q, want a fresh server id", tt.incoming, header)
			}
		})
	}
	logs := r.logs.String()
	if !strings.Contains(logs, `"client_request_id":"trace-0123456789abcdef"`) {
		t.Errorf("the access log does not carry the client's request id beside the server's:\n%s", logs)
	}
	if strings.Contains(logs, `"request_id":"trace-0123456789abcdef"`) {
		t.Errorf("the client's id was logged as the request id:\n%s", logs)
	}
}

func TestLogsNameRoutesNotPaths(t *testing.T) {
	r := start(t)
	for _, path := range []string{"/c/SECRETTOKEN0123456789?x=secretvalue", "/unknown/PERSONAL-NAME"} {
		res, err := http.Get(r.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	logs := r.logs.String()
	for _, secret := range []string{"SECRETTOKEN", "secretvalue", "PERSONAL-NAME"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, `"route":"/c/"`) || !strings.Contains(logs, `"route":"other"`) {
		t.Errorf("log lacks the redacted routes:\n%s", logs)
	}
}

func TestPanicIsA500AndTheServerLives(t *testing.T) {
	r := start(t)
	res, err := http.Get(r.url + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("panic answered %d", res.StatusCode)
	}
	res, err = http.Get(r.url + "/c/x")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("after a panic: %v %v", res, err)
	}
	res.Body.Close()
	if strings.Contains(r.logs.String(), "boom") {
		t.Error("the panic value reached the log")
	}
}

func TestGracefulShutdown(t *testing.T) {
	r := start(t)
	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get(r.url + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{string(b), err}
	}()
	<-r.slowStarted // shut down while the request is in flight
	r.cancel()
	res := <-got
	if res.err != nil || res.body != "finished" {
		t.Fatalf("in-flight request during shutdown: %q, %v", res.body, res.err)
	}
	if err := <-r.done; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	r.done <- nil // for the cleanup
	if _, err := http.Get(r.url + "/c/x"); err == nil {
		t.Fatal("a new request was served after shutdown")
	}
}

// harness is a server on a loopback port, with its own registry and log buffer.
type harness struct {
	srv    *server.Server
	url    string
	addr   string
	logs   *syncBuffer
	m      *metrics.Metrics
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// serve starts a server for services plus the given extra routes, logging to a buffer; the
// server stops at the end of the test.
func serve(t *testing.T, cfg server.Config, services []server.Service, routes map[string]http.HandlerFunc) *harness {
	t.Helper()
	h := &harness{logs: &syncBuffer{}, done: make(chan error, 1)}
	cfg.Logger = zerolog.New(h.logs)
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 5 * time.Second
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	h.m = cfg.Metrics
	h.srv = server.New(cfg, services)
	for pattern, f := range routes {
		h.srv.Handle(pattern, f)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	h.url = "http://" + h.addr
	if cfg.TLSCertFile != "" {
		h.url = "https://" + h.addr
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.srv.Serve(ctx, ln) }()
	t.Cleanup(func() { h.stop() })
	return h
}

// stop shuts the server down and returns what Serve returned.
func (h *harness) stop() error {
	h.once.Do(func() {
		h.cancel()
		h.err = <-h.done
	})
	return h.err
}

// logLines returns the JSON log lines written so far.
func (h *harness) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// metrics returns the exposition text the ops listener's /metrics would serve.
func (h *harness) metrics(t *testing.T) string {
	t.Helper()
	return scrape(t, h.m)
}

// scrape returns m's exposition text.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	server.OpsHandler(server.OpsConfig{Metrics: m}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	res := rec.Result()
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics answered %d", res.StatusCode)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sample returns the value of one series in an exposition text, e.g.
// `veilig_http_requests_total{route="/c/",status="200"}`.
func sample(text, series string) (string, bool) {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			return v, true
		}
	}
	return "", false
}

func do(t *testing.T, c *http.Client, method, url string, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func text(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, s) }
}

// TestRoutesNameOnlyKnownProcedures: under a service prefix only real procedure names reach
// logs and metrics; anything else a client puts there is counted under the prefix, or
// every request with a new name would add a log value and a metrics series of its choosing.
func TestRoutesNameOnlyKnownProcedures(t *testing.T) {
	path, handler := veiligv1connect.NewSyncServiceHandler(veiligv1connect.UnimplementedSyncServiceHandler{})
	h := serve(t, server.Config{}, []server.Service{{Name: veiligv1connect.SyncServiceName, Path: path, Handler: handler}},
		map[string]http.HandlerFunc{"/c/": text("page"), "/exact": text("exact")})
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name, method, path string
		status             int
		route              string
	}{
		{"health check", http.MethodPost, "/grpc.health.v1.Health/Check", 200, "/grpc.health.v1.Health/Check"},
		{"a procedure of a mounted service", http.MethodPost, veiligv1connect.SyncServicePullProcedure, http.StatusNotImplemented, veiligv1connect.SyncServicePullProcedure},
		{"an unknown procedure of a mounted service", http.MethodPost, "/veilig.v1.SyncService/JanJansen0612", 404, "/veilig.v1.SyncService/"},
		{"an unknown health procedure", http.MethodPost, "/grpc.health.v1.Health/PietPuk1975", 404, "/grpc.health.v1.Health/"},
		{"a path under a service", http.MethodPost, "/veilig.v1.SyncService/Pull/SECRET1", 404, "/veilig.v1.SyncService/"},
		{"a token under a plain prefix", http.MethodGet, "/c/Abc123Token", 200, "/c/"},
		{"an exact route", http.MethodGet, "/exact", 200, "/exact"},
		{"below an exact route", http.MethodGet, "/exact/SECRET2", 404, "other"},
		{"an unknown path", http.MethodGet, "/SECRET3", 404, "other"},
		{"an unknown service", http.MethodPost, "/veilig.v1.NoSuchService/Get", 404, "other"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("route-test-%08d", i)
			header := jsonHeader.Clone()
			header.Set("X-Request-Id", id)
			res, _ := do(t, http.DefaultClient, tt.method, h.url+tt.path, "{}", header)
			if res.StatusCode != tt.status {
				t.Fatalf("%s %s answered %d, want %d", tt.method, tt.path, res.StatusCode, tt.status)
			}
			var routes []any
			for _, l := range h.logLines(t) {
				if l["client_request_id"] == id {
					routes = append(routes, l["route"])
				}
			}
			if len(routes) != 1 || routes[0] != tt.route {
				t.Fatalf("logged routes %v, want [%s]", routes, tt.route)
			}
			series := fmt.Sprintf(`veilig_http_requests_total{route=%q,status="%d"}`, tt.route, tt.status)
			if _, ok := sample(h.metrics(t), series); !ok {
				t.Fatalf("metrics lack %s", series)
			}
		})
	}
	logs, metrics := h.logs.String(), h.metrics(t)
	for _, secret := range []string{"JanJansen", "PietPuk", "SECRET", "Abc123Token"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log names %q", secret)
		}
		if strings.Contains(metrics, secret) {
			t.Errorf("the metrics name %q", secret)
		}
	}
}

func TestMetricsCountByRouteAndStatus(t *testing.T) {
	h := serve(t, server.Config{}, nil, map[string]http.HandlerFunc{
		"/c/":    text("page"),
		"/panic": func(http.ResponseWriter, *http.Request) { panic("boom") },
		"/teapot": func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		},
	})
	calls := []struct {
		path  string
		times int
	}{{"/c/a", 3}, {"/panic", 1}, {"/teapot", 2}, {"/nowhere", 2}}
	for _, c := range calls {
		for range c.times {
			do(t, http.DefaultClient, http.MethodGet, h.url+c.path, "", nil)
		}
	}
	metrics := h.metrics(t)
	tests := []struct{ series, want string }{
		{`veilig_http_requests_total{route="/c/",status="200"}`, "3"},
		{`veilig_http_requests_total{route="/panic",status="500"}`, "1"},
		{`veilig_http_requests_total{route="/teapot",status="418"}`, "2"},
		{`veilig_http_requests_total{route="other",status="404"}`, "2"},
		{`veilig_http_request_duration_seconds_count{route="/c/"}`, "3"},
		{`veilig_http_request_duration_seconds_count{route="other"}`, "2"},
	}
	for _, tt := range tests {
		if got, ok := sample(metrics, tt.series); !ok || got != tt.want {
			t.Errorf("%s = %q (present %v), want %s", tt.series, got, ok, tt.want)
		}
	}
	// The process's one registry holds the request metrics beside Go's and the process's.
	families, err := h.m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	for _, want := range []string{"veilig_http_requests_total", "go_goroutines", "process_cpu_seconds_total"} {
		if !slices.Contains(names, want) {
			t.Errorf("the registry lacks %s: %v", want, names)
		}
	}
}

func TestAccessLog(t *testing.T) {
	h := serve(t, server.Config{}, nil, map[string]http.HandlerFunc{
		"/c/":    text("page"),
		"/panic": func(http.ResponseWriter, *http.Request) { panic(errors.New("db password hunter2")) },
	})
	do(t, http.DefaultClient, http.MethodGet, h.url+"/c/SECRET-TOKEN?x=secret", "", http.Header{
		"X-Request-Id": {"access-log-0001"}, "Authorization": {"Bearer bearer-secret"}, "Cookie": {"session=cookie-secret"},
	})
	do(t, http.DefaultClient, http.MethodPost, h.url+"/panic?q=secret", "body-secret", http.Header{"X-Request-Id": {"access-log-0002"}})
	h.metrics(t)

	byID := map[string][]map[string]any{}
	for _, l := range h.logLines(t) {
		id, _ := l["client_request_id"].(string)
		byID[id] = append(byID[id], l)
	}
	page := byID["access-log-0001"]
	if len(page) != 1 {
		t.Fatalf("log lines of the page request: %v", page)
	}
	want := map[string]any{"level": "info", "method": "GET", "route": "/c/", "status": float64(200), "bytes": float64(4), "message": "request"}
	for k, v := range want {
		if page[0][k] != v {
			t.Errorf("page log %s = %v, want %v (line %v)", k, page[0][k], v, page[0])
		}
	}
	if _, ok := page[0]["took_ms"].(float64); !ok {
		t.Errorf("the log line lacks the duration: %v", page[0])
	}
	panicked := byID["access-log-0002"]
	if len(panicked) != 2 {
		t.Fatalf("log lines of the panicking request: %v", panicked)
	}
	for _, l := range panicked {
		if l["level"] != "error" || l["route"] != "/panic" {
			t.Errorf("panic log line %v", l)
		}
	}
	logs := h.logs.String()
	for _, secret := range []string{"SECRET-TOKEN", "secret", "hunter2"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q:\n%s", secret, logs)
		}
	}
}

// TestRequestIDShapes: whatever a client sends as X-Request-Id, the request's id is a fresh
// one of the server's; the client's is logged beside it as client_request_id only when it is
// at most 64 characters of [A-Za-z0-9._-], and otherwise dropped.
func TestRequestIDShapes(t *testing.T) {
	h := serve(t, server.Config{}, nil, map[string]http.HandlerFunc{
		"/id": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, server.RequestID(r.Context())) },
	})
	tests := []struct {
		name, incoming string
		logged         bool // as client_request_id
	}{
		{"1 character", "a", true},
		{"8 characters", "abcd1234", true},
		{"64 characters", strings.Repeat("x", 64), true},
		{"dots, dashes, underscores", "a.b-c_d.E-F_G", true},
		{"a UUID", "0b6f3f9e-4a8f-4d2b-9f7e-1c2d3e4f5a6b", true},
		{"65 characters", strings.Repeat("x", 65), false},
		{"200 characters", strings.Repeat("y", 200), false},
		{"a tab", "abcd\t1234", false},
		{"a space", "abcd 1234", false},
		{"a slash", "../../etc/passwd", false},
		{"JSON breaking", `abcd","admin":true`, false},
		{"non-ASCII", "ïdéntïfïcätïön", false},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := do(t, http.DefaultClient, http.MethodGet, h.url+"/id", "", http.Header{"X-Request-Id": {tt.incoming}})
			got := res.Header.Get("X-Request-Id")
			if got != body {
				t.Fatalf("response id %q, handler saw %q", got, body)
			}
			if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(got) || got == tt.incoming {
				t.Fatalf("incoming %q answered with %q, want a fresh server id", tt.incoming, got)
			}
			if seen[got] {
				t.Fatalf("fresh id %q given twice", got)
			}
			seen[got] = true
			var line map[string]any
			for _, l := range h.logLines(t) {
				if l["request_id"] == got {
					line = l
				}
			}
			if line == nil {
				t.Fatalf("no log line for request %s", got)
			}
			client, has := line["client_request_id"]
			if tt.logged && client != tt.incoming {
				t.Fatalf("client_request_id = %v, want %q", client, tt.incoming)
			}
			if !tt.logged && has {
				t.Fatalf("an unsafe client id was logged as %q", client)
			}
		})
	}

	// A header folded over two lines is the nearest a newline gets to the handler: net/http
	// joins the lines with a space, which is then dropped.
	t.Run("a folded header", func(t *testing.T) {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /id HTTP/1.1\r\nHost: x\r\nX-Request-Id: abcd1234\r\n injected-line\r\nConnection: close\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		got := res.Header.Get("X-Request-Id")
		if res.StatusCode != 200 || got != string(b) || strings.Contains(got, "injected") || strings.Contains(got, "abcd1234") {
			t.Fatalf("folded id answered %d with id %q, handler saw %q", res.StatusCode, got, b)
		}
	})
	if logs := h.logs.String(); strings.Contains(logs, "passwd") || strings.Contains(logs, "admin") || strings.Contains(logs, "injected") {
		t.Errorf("an unsafe request id reached the log:\n%s", logs)
	}
}

func TestRequestIDOutsideAServer(t *testing.T) {
	if id := server.RequestID(context.Background()); id != "" {
		t.Fatalf("RequestID of a bare context = %q", id)
	}
	if ch := server.ShuttingDown(context.Background()); ch != nil {
		t.Fatal("ShuttingDown of a bare context is not the never-closing nil channel")
	}
}

// TestHandlerChain serves Handler() with httptest, as tests of other packages may.
func TestHandlerChain(t *testing.T) {
	srv := server.New(server.Config{}, nil)
	srv.Handle("/stopping", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-server.ShuttingDown(r.Context()):
			io.WriteString(w, "closed")
		default:
			io.WriteString(w, "open")
		}
	}))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	res, err := grpchealth.NewClient(ts.Client(), ts.URL).Check(context.Background(), &grpchealth.CheckRequest{})
	if err != nil || res.Status != grpchealth.StatusServing {
		t.Fatalf("health through Handler() = %+v, %v", res, err)
	}
	r, body := do(t, ts.Client(), http.MethodGet, ts.URL+"/stopping", "", nil)
	if body != "open" || r.Header.Get("X-Request-Id") == "" {
		t.Fatalf("through Handler(): %q, id %q", body, r.Header.Get("X-Request-Id"))
	}
}

func TestAbortHandlerPanicAbortsOnlyThatRequest(t *testing.T) {
	h := serve(t, server.Config{}, nil, map[string]http.HandlerFunc{
		"/abort": func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		},
		"/ok": text("ok"),
	})
	res, err := http.Get(h.url + "/abort")
	if err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err == nil {
		t.Fatal("an aborted response was read completely")
	}
	if _, body := do(t, http.DefaultClient, http.MethodGet, h.url+"/ok", "", nil); body != "ok" {
		t.Fatalf("after an abort: %q", body)
	}
}

// TestGracefulShutdownH2C: in-flight HTTP/2 streams finish during a shutdown as HTTP/1.1
// requests do.
func TestGracefulShutdownH2C(t *testing.T) {
	started := make(chan struct{}, 1)
	h := serve(t, server.Config{}, nil, map[string]http.HandlerFunc{
		"/slow": func(w http.ResponseWriter, r *http.Request) {
			started <- struct{}{}
			time.Sleep(300 * time.Millisecond)
			fmt.Fprintf(w, "finished over %s", r.Proto)
		},
	})
	client := h2c()
	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		res, err := client.Get(h.url + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{string(b), err}
	}()
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop() }()
	res := <-got
	if res.err != nil || res.body != "finished over HTTP/2.0" {
		t.Fatalf("in-flight h2c request during shutdown: %q, %v", res.body, res.err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if c, err := net.Dial("tcp", h.addr); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted after shutdown")
	}
}

// TestShuttingDownEndsStreams: a long-lived response that watches ShuttingDown ends when
// the shutdown begins, so Serve returns without waiting out ShutdownTimeout (which would
// make it return a deadline error).
func TestShuttingDownEndsStreams(t *testing.T) {
	for _, c := range []struct {
		name   string
		client *http.Client
	}{{"HTTP/1.1", &http.Client{Transport: &http.Transport{}}}, {"h2c", h2c()}} {
		t.Run(c.name, func(t *testing.T) {
			h := serve(t, server.Config{ShutdownTimeout: 5 * time.Second}, nil, map[string]http.HandlerFunc{
				"/stream": func(w http.ResponseWriter, r *http.Request) {
					io.WriteString(w, "open\n")
					w.(http.Flusher).Flush()
					select {
					case <-server.ShuttingDown(r.Context()):
						io.WriteString(w, "server stopping\n")
					case <-r.Context().Done():
					}
				},
			})
			res, err := c.client.Get(h.url + "/stream")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			rd := bufio.NewReader(res.Body)
			if line, err := rd.ReadString('\n'); err != nil || line != "open\n" {
				t.Fatalf("first line %q, %v", line, err)
			}
			stopped := make(chan error, 1)
			go func() { stopped <- h.stop() }()
			rest, err := io.ReadAll(rd)
			if err != nil || string(rest) != "server stopping\n" {
				t.Fatalf("the stream ended with %q, %v", rest, err)
			}
			if err := <-stopped; err != nil {
				t.Fatalf("Serve returned %v: the stream held up the shutdown", err)
			}
		})
	}
}

func TestRunAndAddr(t *testing.T) {
	srv := server.New(server.Config{Addr: "127.0.0.1:0"}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	addr := srv.Addr()
	if again := srv.Addr(); again.String() != addr.String() {
		t.Fatalf("Addr changed from %v to %v", addr, again)
	}
	if tcp, ok := addr.(*net.TCPAddr); !ok || tcp.Port == 0 || !tcp.IP.IsLoopback() {
		t.Fatalf("Addr = %v", addr)
	}
	res, err := grpchealth.NewClient(http.DefaultClient, "http://"+addr.String()).Check(context.Background(), &grpchealth.CheckRequest{})
	if err != nil || res.Status != grpchealth.StatusServing {
		t.Fatalf("health on the Run address = %+v, %v", res, err)
	}

	// The port is taken now: a second server on it fails to start.
	other := server.New(server.Config{Addr: addr.String()}, nil)
	if err := other.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Run on a taken port = %v", err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	done <- nil
}

// TestTLS: with certificates the server speaks HTTP/2 over TLS, and gRPC works on it.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	h := serve(t, server.Config{TLSCertFile: certFile, TLSKeyFile: keyFile}, nil, map[string]http.HandlerFunc{
		"/proto": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) },
	})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	defer client.CloseIdleConnections()
	if _, body := do(t, client, http.MethodGet, h.url+"/proto", "", nil); body != "HTTP/2.0" {
		t.Fatalf("over TLS the handler saw %q, want HTTP/2.0", body)
	}
	res, err := grpchealth.NewClient(client, h.url, connect.WithGRPC()).Check(context.Background(), &grpchealth.CheckRequest{})
	if err != nil || res.Status != grpchealth.StatusServing {
		t.Fatalf("gRPC health over TLS = %+v, %v", res, err)
	}
	// Plain HTTP to the TLS port is not served.
	plain, err := http.Get("http://" + h.addr + "/proto")
	if err == nil {
		b, _ := io.ReadAll(plain.Body)
		plain.Body.Close()
		if plain.StatusCode == http.StatusOK {
			t.Fatalf("plain HTTP on the TLS port answered %d %q", plain.StatusCode, b)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "veilig test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
