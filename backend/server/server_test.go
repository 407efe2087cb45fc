package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/server"
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
	cancel      context.CancelFunc
	done        chan error
}

// start serves a server with a few test routes on a loopback port.
func start(t *testing.T) *running {
	t.Helper()
	logs := &syncBuffer{}
	slowStarted := make(chan struct{}, 1)
	srv := server.New(server.Config{Logger: zerolog.New(logs), ShutdownTimeout: 5 * time.Second}, nil)
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
	r := &running{url: "http://" + ln.Addr().String(), slowStarted: slowStarted, logs: logs, cancel: cancel, done: make(chan error, 1)}
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
		res, err := http.Get(r.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if !strings.Contains(string(b), `route="/grpc.health.v1.Health/Check"`) {
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
		kept           bool
	}{
		{"none: a new id", "", false},
		{"a safe id is kept", "trace-0123456789abcdef", true},
		{"too long: replaced", strings.Repeat("a", 200), false},
		{"unsafe characters: replaced", "abc def\"<script>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header, seen := get(tt.incoming)
			if header == "" || header != seen {
				t.Fatalf("response id %q, handler saw %q", header, seen)
			}
			if (header == tt.incoming) != tt.kept {
				t.Fatalf("incoming %q → %q", tt.incoming, header)
			}
		})
	}
	if !strings.Contains(r.logs.String(), `"request_id":"trace-0123456789abcdef"`) {
		t.Errorf("the access log does not carry the request id:\n%s", r.logs.String())
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
