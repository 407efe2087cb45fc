package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/metrics"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/backend/store"
)

// fakeDatabase answers pings as up says; the real database's outage is tested in package app.
type fakeDatabase struct{ down atomic.Bool }

func (d *fakeDatabase) Ping(ctx context.Context) error {
	if d.down.Load() {
		return store.Unavailable("connection refused", errors.New("dial tcp 10.0.0.1:5432: connection refused"))
	}
	return nil
}

// The ops listener serves liveness, readiness and metrics; readiness, the gRPC health
// service and veilig_database_up follow the database, and each change is logged once.
func TestOpsListenerFollowsTheDatabase(t *testing.T) {
	db := &fakeDatabase{}
	m := metrics.New()
	logs := &syncBuffer{}
	ready := server.NewReadiness(server.ReadinessConfig{Ping: db.Ping, CacheFor: -1, Logger: zerolog.New(logs), Observe: m.DatabaseUp})
	h := serve(t, server.Config{Metrics: m, Ready: ready}, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.ServeOps(ctx, ln, server.OpsConfig{Metrics: m, Ready: ready}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeOps: %v", err)
		}
	})
	ops := "http://" + ln.Addr().String()
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(ops + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	health := func() grpchealth.Status {
		t.Helper()
		res, err := grpchealth.NewClient(h2c(), h.url, connect.WithGRPC()).Check(context.Background(), &grpchealth.CheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Status
	}
	for _, step := range []struct {
		name       string
		down       bool
		readyz     int
		health     grpchealth.Status
		databaseUp string
	}{
		{"database up", false, http.StatusOK, grpchealth.StatusServing, "1"},
		{"database down", true, http.StatusServiceUnavailable, grpchealth.StatusNotServing, "0"},
		{"still down", true, http.StatusServiceUnavailable, grpchealth.StatusNotServing, "0"},
		{"database back", false, http.StatusOK, grpchealth.StatusServing, "1"},
	} {
		db.down.Store(step.down)
		if code, _ := get("/livez"); code != http.StatusOK {
			t.Errorf("%s: /livez answered %d", step.name, code)
		}
		code, body := get("/readyz")
		if code != step.readyz {
			t.Errorf("%s: /readyz answered %d %q, want %d", step.name, code, body, step.readyz)
		}
		if step.down && (!strings.Contains(body, "database unreachable") || strings.Contains(body, "10.0.0.1")) {
			t.Errorf("%s: /readyz says %q: want the reason, never the driver's message", step.name, body)
		}
		if got := health(); got != step.health {
			t.Errorf("%s: gRPC health %v, want %v", step.name, got, step.health)
		}
		_, text := get("/metrics")
		if got, _ := sample(text, "veilig_database_up"); got != step.databaseUp {
			t.Errorf("%s: veilig_database_up = %q, want %s", step.name, got, step.databaseUp)
		}
	}
	if n := strings.Count(logs.String(), "not ready: database unavailable"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logs)
	}
	if n := strings.Count(logs.String(), "ready: database available again"); n != 1 {
		t.Errorf("the recovery was logged %d times, want once:\n%s", n, logs)
	}
	if code, _ := get("/nowhere"); code != http.StatusNotFound {
		t.Errorf("/nowhere answered %d", code)
	}
	// The API port serves no metrics.
	res, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("the API port answered /metrics with %d, want 404", res.StatusCode)
	}
}

// A readiness check that outlasts its timeout is not ready, with a reason that says so.
func TestReadinessTimesOut(t *testing.T) {
	ready := server.NewReadiness(server.ReadinessConfig{Timeout: 20 * time.Millisecond, CacheFor: -1,
		Ping: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }})
	err := ready.Check(context.Background())
	if !errors.Is(err, server.ErrNotReady) || !strings.Contains(err.Error(), "did not answer within 20ms") {
		t.Fatalf("Check = %v", err)
	}
}
