package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/veilig/veilig/backend/server"
)

// trickle sends a request whose body comes one byte every 200 ms and returns how long the
// server took to answer or close the connection.
func trickle(t *testing.T, addr, path string) time.Duration {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: veilig.test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", path)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for range 100 {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n') // the status line, or the close
	t.Logf("%s: %q", path, strings.TrimSpace(line))
	return time.Since(start)
}

// Issue 13, point 5: a body trickled in at a byte every 200 ms is cut at the body deadline,
// on an RPC and on a plain route such as the family page. The bound is generous (the
// deadline plus 2.5 s): it shows the cut, not a timing.
func TestTrickledBodyIsCutAtTheDeadline(t *testing.T) {
	const deadline = 500 * time.Millisecond
	h := serve(t, server.Config{BodyTimeout: deadline}, nil, map[string]http.HandlerFunc{
		"/c/": func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.ReadAll(r.Body); err != nil {
				http.Error(w, "slow", http.StatusRequestTimeout)
			}
		},
	})
	for _, path := range []string{"/grpc.health.v1.Health/Check", "/c/sometoken"} {
		if took := trickle(t, h.addr, path); took < deadline || took > deadline+2500*time.Millisecond {
			t.Errorf("%s: the trickled request held the connection for %v; deadline %v", path, took, deadline)
		}
	}
	// A body that arrives in time is not affected, and neither is a stream after its body.
	res, err := http.Post(h.url+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader("{}"))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("a normal request: %v %v", res, err)
	}
	res.Body.Close()
}

// Over MaxInFlight a request is refused at once with resource_exhausted naming the limit.
func TestInFlightLimit(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := serve(t, server.Config{MaxInFlight: 1}, nil, map[string]http.HandlerFunc{
		"/block": func(w http.ResponseWriter, r *http.Request) { close(started); <-release },
	})
	go http.Get(h.url + "/block")
	<-started
	_, err := grpchealth.NewClient(http.DefaultClient, h.url).Check(context.Background(), &grpchealth.CheckRequest{})
	if connect.CodeOf(err) != connect.CodeResourceExhausted || !strings.Contains(err.Error(), "--max-in-flight") {
		t.Errorf("over the in-flight limit: %v", err)
	}
	close(release)
	time.Sleep(50 * time.Millisecond)
	if _, err := grpchealth.NewClient(http.DefaultClient, h.url).Check(context.Background(), &grpchealth.CheckRequest{}); err != nil {
		t.Errorf("after the slot freed: %v", err)
	}
}

// Over MaxConnections a new connection waits until one closes.
func TestConnectionLimit(t *testing.T) {
	h := serve(t, server.Config{MaxConnections: 1}, nil, nil)
	hog, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the server accept it
	c := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{}}
	if res, err := c.Get(h.url + "/"); err == nil {
		res.Body.Close()
		t.Fatal("a second connection was served beside the one the limit allows")
	}
	hog.Close()
	c.Timeout = 5 * time.Second
	res, err := c.Get(h.url + "/")
	if err != nil {
		t.Fatalf("after the first connection closed: %v", err)
	}
	res.Body.Close()
}

// The access log names the gRPC code, which travels in a trailer under HTTP 200.
func TestAccessLogRecordsGRPCCode(t *testing.T) {
	h := serve(t, server.Config{}, nil, nil)
	_, err := grpchealth.NewClient(h2c(), h.url, connect.WithGRPC()).Check(context.Background(), &grpchealth.CheckRequest{Service: "nope"})
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("health of an unknown service: %v", err)
	}
	h.stop()
	for _, l := range h.logLines(t) {
		if l["route"] == "/grpc.health.v1.Health/Check" {
			if l["status"] != float64(200) || l["code"] != "not_found" {
				t.Errorf("access line %v, want status 200 and code not_found", l)
			}
			return
		}
	}
	t.Error("no access line for the health check")
}

// Issue 13, point 5: an HTTP/2 rapid-reset burst (HEADERS then RST_STREAM, again and again)
// is logged as canceled, never as status 200, and its lines are sampled: the log grows by a
// bounded number of lines whatever the number of streams.
func TestRapidResetIsSampledAndCanceled(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	h := serve(t, server.Config{FailureLogRate: 10},
		[]server.Service{{Name: "veilig.v1.SyncService", Path: "/veilig.v1.SyncService/", Handler: slow}}, nil)
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	go func() { // drain what the server sends
		for {
			if _, err := fr.ReadFrame(); err != nil {
				return
			}
		}
	}()
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	var hb strings.Builder
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":authority", "veilig.test"},
		{":path", "/veilig.v1.SyncService/Push"}, {"content-type", "application/grpc"}, {"te", "trailers"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	block := []byte(hb.String())
	const streams = 3000
	sent := 0
	start := time.Now()
	for i := range streams {
		id := uint32(2*i + 1)
		if fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}) != nil ||
			fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
			break // the server may close a connection that floods it: also a pass
		}
		sent++
	}
	time.Sleep(500 * time.Millisecond)
	conn.Close()
	elapsed := time.Since(start)
	if err := h.stop(); err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("stop: %v", err)
	}
	lines, suppressed := 0, 0
	for _, l := range h.logLines(t) {
		if l["route"] != "/veilig.v1.SyncService/Push" {
			continue
		}
		lines++
		if l["status"] == float64(200) || l["code"] != "canceled" {
			t.Errorf("a reset stream logged as %v", l)
		}
		if n, ok := l["suppressed"].(float64); ok {
			suppressed += int(n)
		}
	}
	if limit := 10 * (int(elapsed.Seconds()) + 2); lines > limit {
		t.Errorf("%d streams sent in %v wrote %d log lines; the sampler allows about %d", sent, elapsed, lines, limit)
	}
	t.Logf("%d streams sent in %v: %d log lines, %d suppressed", sent, elapsed, lines, suppressed)
}

// A client that reads its answer slowly is cut at the write deadline, so it cannot hold an
// in-flight slot; the bound is generous.
func TestSlowReaderIsCutAtTheWriteDeadline(t *testing.T) {
	h := serve(t, server.Config{WriteTimeout: 300 * time.Millisecond}, nil, map[string]http.HandlerFunc{
		"/big": func(w http.ResponseWriter, r *http.Request) {
			chunk := make([]byte, 1<<20)
			for range 64 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
	})
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetReadBuffer(4 << 10)
	}
	fmt.Fprintf(conn, "GET /big HTTP/1.1\r\nHost: veilig.test\r\n\r\n")
	time.Sleep(time.Second) // not reading: the server's writes block, then hit the deadline
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _ := io.Copy(io.Discard, conn)
	if n >= 64<<20 {
		t.Errorf("a slow reader got the whole %d-byte answer", n)
	}
}
