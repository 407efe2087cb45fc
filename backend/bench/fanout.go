package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/push"
	"github.com/veilig/veilig/backend/push/fcm"
)

// runFanout sends FanoutNotifications alert pushes through the production sender (package fcm,
// the real Firebase Admin SDK: SendEach in batches of fcm.MaxBatch, 50 requests at a time)
// to a local FCM sink, and reports notifications/s. The sender is pointed at the sink with
// fcm.Config.Endpoint, the SDK's own endpoint option that production has for emulators:
// nothing rewrites requests on the wire. The figure does not depend on the engine; it is
// measured in every engine's round so that each column is complete.
func (r *runner) runFanout(ctx context.Context) error {
	sink, err := startFCMSink()
	if err != nil {
		return err
	}
	defer sink.close()
	tr := &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	sender, err := fcm.New(ctx, fcm.Config{ProjectID: "veilig-bench", Endpoint: sink.url, HTTPClient: &http.Client{Transport: tr, Timeout: time.Minute}})
	if err != nil {
		return fmt.Errorf("fcm sender: %w", err)
	}
	msgs := make([]push.Message, r.cfg.FanoutNotifications)
	for i := range msgs {
		msgs[i] = push.Message{ID: uuid.NewString(), Token: fmt.Sprintf("bench-token-%d", i), Kind: push.KindAlert, Ref: uuid.NewString(), Urgent: true}
	}
	start := time.Now()
	results, err := sender.Send(ctx, msgs)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	took := time.Since(start)
	for i, res := range results {
		if res.Outcome != push.Delivered {
			return fmt.Errorf("notification %d: outcome %v (%s)", i, res.Outcome, res.Reason)
		}
	}
	if got := sink.received.Load(); got != int64(len(msgs)) {
		return fmt.Errorf("the FCM sink received %d notifications, want %d", got, len(msgs))
	}
	r.record(ScenarioFanout, fmt.Sprintf("%d notifications", len(msgs)), "notifications/s", "/s", float64(len(msgs))/took.Seconds())
	return nil
}

// fcmSink answers the FCM HTTP v1 send endpoint (POST /v1/projects/{project}/messages:send)
// with a message name, as FCM does on success, and counts what it accepted. It is a load
// target for the bench only, on a loopback port for the duration of one scenario: it
// scripts no failures, keeps no messages (device tokens are credentials) and is never
// reachable from veilig serve or worker, which take their endpoint from their own flags.
type fcmSink struct {
	url      string
	srv      *http.Server
	received atomic.Int64
}

func startFCMSink() (*fcmSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fcm sink: listen: %w", err)
	}
	s := &fcmSink{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }() // returns http.ErrServerClosed on close
	return s, nil
}

func (s *fcmSink) close() { _ = s.srv.Close() }

// ServeHTTP implements http.Handler.
func (s *fcmSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Message *struct {
			Token string `json:"token"`
		} `json:"message"`
	}
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/messages:send") {
		http.Error(w, `{"error":{"code":404,"status":"NOT_FOUND"}}`, http.StatusNotFound)
		return
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || body.Message == nil || body.Message.Token == "" {
		http.Error(w, `{"error":{"code":400,"status":"INVALID_ARGUMENT"}}`, http.StatusBadRequest)
		return
	}
	n := s.received.Add(1)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	fmt.Fprintf(w, `{"name":"projects/veilig-bench/messages/%d"}`, n)
}
