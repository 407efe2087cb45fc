package fcm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/veilig/veilig/backend/push"
	"github.com/veilig/veilig/backend/push/fcm/fcmtest"
)

// These tests drive the real Admin SDK against fcmtest, so what is checked is what would go over
// the wire to FCM and how the SDK's real errors are read back.

const project = "veilig-test"

func setup(t *testing.T) (*Sender, *fcmtest.Server) {
	t.Helper()
	fake := fcmtest.New()
	t.Cleanup(fake.Close)
	s, err := New(context.Background(), Config{ProjectID: project, Endpoint: fake.URL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, fake
}

// ref returns a random opaque reference, as the outbox makes them.
func ref(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func send(t *testing.T, s *Sender, msgs []push.Message) []push.Result {
	t.Helper()
	res, err := s.Send(context.Background(), msgs)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(res) != len(msgs) {
		t.Fatalf("Send returned %d results for %d messages", len(res), len(msgs))
	}
	return res
}

func TestSendDelivered(t *testing.T) {
	t.Parallel()
	s, fake := setup(t)

	// 70 bytes of two-byte runes: apns-collapse-id must be cut to 64 bytes on a rune boundary.
	longKey := "é" + strings.Repeat("ü", 34)

	tests := []struct {
		name         string
		msg          push.Message
		wantPriority string
		wantAPNs     map[string]string
		wantData     map[string]string
	}{
		{
			name:         "urgent alert with collapse key",
			msg:          push.Message{ID: "o1", Token: "tok-alert", Kind: push.KindAlert, Ref: "r-alert", Urgent: true, CollapseKey: "alert-r-alert"},
			wantPriority: "high",
			wantAPNs:     map[string]string{"apns-priority": "10", "apns-push-type": "alert", "apns-collapse-id": "alert-r-alert"},
			wantData:     map[string]string{"kind": "alert", "ref": "r-alert"},
		},
		{
			name:         "routine digest",
			msg:          push.Message{ID: "o2", Token: "tok-digest", Kind: push.KindDigest, Ref: "r-digest", Counts: push.Counts{Overdue: 3, Escalated: 1, Concerns: 2}},
			wantPriority: "normal",
			wantAPNs:     map[string]string{"apns-priority": "10", "apns-push-type": "alert"},
			wantData:     map[string]string{"kind": "digest", "ref": "r-digest", "overdue": "3", "escalated": "1", "concerns": "2"},
		},
		{
			name:         "silent sync",
			msg:          push.Message{ID: "o3", Token: "tok-sync", Kind: push.KindSync, Ref: "r-sync", CollapseKey: "sync"},
			wantPriority: "normal",
			wantAPNs:     map[string]string{"apns-priority": "5", "apns-push-type": "background", "apns-collapse-id": "sync"},
			wantData:     map[string]string{"kind": "sync", "ref": "r-sync"},
		},
		{
			name:         "urgent sync",
			msg:          push.Message{ID: "o4", Token: "tok-sync-urgent", Kind: push.KindSync, Ref: "r-sync2", Urgent: true},
			wantPriority: "high",
			wantAPNs:     map[string]string{"apns-priority": "5", "apns-push-type": "background"},
			wantData:     map[string]string{"kind": "sync", "ref": "r-sync2"},
		},
		{
			name:         "long collapse key",
			msg:          push.Message{ID: "o5", Token: "tok-long", Kind: push.KindAlert, Ref: "r-long", CollapseKey: longKey},
			wantPriority: "normal",
			wantAPNs:     map[string]string{"apns-priority": "10", "apns-push-type": "alert", "apns-collapse-id": truncate(longKey, 64)},
			wantData:     map[string]string{"kind": "alert", "ref": "r-long"},
		},
	}

	msgs := make([]push.Message, len(tests))
	for i, tc := range tests {
		msgs[i] = tc.msg
	}
	res := send(t, s, msgs)

	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if res[i].Outcome != push.Delivered {
				t.Fatalf("outcome = %v (%s), want delivered", res[i].Outcome, res[i].Reason)
			}
			got := fake.ByToken(tc.msg.Token)
			if len(got) != 1 {
				t.Fatalf("fake received %d messages for the token, want 1", len(got))
			}
			r := got[0]
			if r.Project != project {
				t.Errorf("project = %q, want %q", r.Project, project)
			}
			if !maps.Equal(r.Data, tc.wantData) {
				t.Errorf("data = %v, want %v", r.Data, tc.wantData)
			}
			title, body := push.Text(tc.msg)
			if tc.msg.Kind == push.KindSync {
				if r.Notification != nil {
					t.Errorf("sync message has a notification: %+v", r.Notification)
				}
				if !r.APNS.ContentAvailable() {
					t.Errorf("sync message lacks content-available: %v", r.APNS.Payload)
				}
			} else {
				if r.Notification == nil || r.Notification.Title != title || r.Notification.Body != body {
					t.Errorf("notification = %+v, want %q / %q", r.Notification, title, body)
				}
				if r.APNS.ContentAvailable() {
					t.Errorf("visible message asks for a background wake-up")
				}
			}
			if r.Android == nil {
				t.Fatal("no android block")
			}
			if r.Android.Priority != tc.wantPriority {
				t.Errorf("android priority = %q, want %q", r.Android.Priority, tc.wantPriority)
			}
			if r.Android.CollapseKey != tc.msg.CollapseKey {
				t.Errorf("android collapse_key = %q, want %q", r.Android.CollapseKey, tc.msg.CollapseKey)
			}
			if tag, _ := r.Android.Notification["tag"].(string); tc.msg.Kind != push.KindSync && tag != tc.msg.CollapseKey {
				t.Errorf("android notification tag = %q, want %q", tag, tc.msg.CollapseKey)
			}
			if !maps.Equal(r.APNS.Headers, tc.wantAPNs) {
				t.Errorf("apns headers = %v, want %v", r.APNS.Headers, tc.wantAPNs)
			}
			if id := r.APNS.Headers["apns-collapse-id"]; len(id) > 64 || !utf8.ValidString(id) {
				t.Errorf("apns-collapse-id %q is %d bytes or not UTF-8", id, len(id))
			}
		})
	}
}

func TestSendOutcomes(t *testing.T) {
	t.Parallel()
	s, fake := setup(t)

	tests := []struct {
		name       string
		status     int    // scripted HTTP status; 0 for none
		code       string // scripted FCM error code
		times      int
		want       push.Outcome
		wantReason string
		wantAfter  time.Duration
		wantReqs   int // requests the fake saw for the token, the SDK's own retries included
	}{
		{name: "delivered", want: push.Delivered, wantReqs: 1},
		{name: "unregistered", status: 404, code: fcmtest.CodeUnregistered, times: -1, want: push.Unregistered, wantReason: "UNREGISTERED", wantReqs: 1},
		{name: "sender id mismatch", status: 403, code: fcmtest.CodeSenderIDMismatch, times: -1, want: push.Unregistered, wantReason: "SENDER_ID_MISMATCH", wantReqs: 1},
		{name: "quota exceeded", status: 429, code: fcmtest.CodeQuotaExceeded, times: -1, want: push.Retry, wantReason: "QUOTA_EXCEEDED", wantAfter: time.Second, wantReqs: 1},
		// The SDK retries a 503 four times itself (pausing 0s, 1s, 2s, 4s) before giving up.
		{name: "unavailable", status: 503, code: fcmtest.CodeUnavailable, times: -1, want: push.Retry, wantReason: "UNAVAILABLE", wantReqs: 5},
		{name: "unavailable once, SDK retry succeeds", status: 503, code: fcmtest.CodeUnavailable, times: 1, want: push.Delivered, wantReqs: 2},
		{name: "internal", status: 500, code: fcmtest.CodeInternal, times: -1, want: push.Retry, wantReason: "INTERNAL", wantReqs: 1},
		{name: "invalid argument", status: 400, code: fcmtest.CodeInvalidArgument, times: -1, want: push.Failed, wantReason: "INVALID_ARGUMENT", wantReqs: 1},
		{name: "third party auth error", status: 401, code: fcmtest.CodeThirdPartyAuthError, times: -1, want: push.Failed, wantReason: "THIRD_PARTY_AUTH_ERROR", wantReqs: 1},
		// No FcmError detail: only the platform status is known, and a 403 then means our own
		// credentials, not the message: retry once they are fixed.
		{name: "permission denied without FCM code", status: 403, times: -1, want: push.Retry, wantReason: "PERMISSION_DENIED", wantReqs: 1},
	}

	// One Send for all cases: the results must come back in message order from a batch whose
	// requests the SDK sends concurrently.
	msgs := make([]push.Message, len(tests))
	for i, tc := range tests {
		token := fmt.Sprintf("tok-%02d-%s", i, strings.ReplaceAll(tc.name, " ", "-"))
		if tc.status != 0 {
			fake.FailToken(token, tc.status, tc.code, tc.times)
		}
		msgs[i] = push.Message{ID: fmt.Sprint(i), Token: token, Kind: push.KindAlert, Ref: ref(t)}
	}
	res := send(t, s, msgs)

	reqs := fake.Requests()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := res[i]
			if got.Outcome != tc.want || got.Reason != tc.wantReason || got.RetryAfter != tc.wantAfter {
				t.Errorf("result = {%v %v %q}, want {%v %v %q}", got.Outcome, got.RetryAfter, got.Reason, tc.want, tc.wantAfter, tc.wantReason)
			}
			if strings.Contains(got.Reason, msgs[i].Token) || strings.Contains(got.Reason, msgs[i].Ref) {
				t.Errorf("reason %q quotes the token or payload", got.Reason)
			}
			n := 0
			for _, r := range reqs {
				if r.Token == msgs[i].Token {
					n++
				}
			}
			if n != tc.wantReqs {
				t.Errorf("fake saw %d requests for the token, want %d", n, tc.wantReqs)
			}
		})
	}
}

func TestSendNetworkErrorRetries(t *testing.T) {
	t.Parallel()
	fake := fcmtest.New()
	fake.Close() // connections are now refused
	s, err := New(context.Background(), Config{ProjectID: project, Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	// The SDK retries network errors four times (7s in all) before reporting one.
	res := send(t, s, []push.Message{{Token: "tok", Kind: push.KindAlert, Ref: "r"}})
	if res[0].Outcome != push.Retry || res[0].Reason != "UNAVAILABLE" || res[0].RetryAfter != 0 {
		t.Errorf("result = %+v, want retry UNAVAILABLE without a hint", res[0])
	}
}

func TestSendBatches(t *testing.T) {
	t.Parallel()
	s, fake := setup(t)
	var mu sync.Mutex
	var sizes []int
	s.OnBatch = func(n int) {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, n)
	}

	const n = 1201
	msgs := make([]push.Message, n)
	for i := range msgs {
		msgs[i] = push.Message{ID: fmt.Sprint(i), Token: fmt.Sprintf("tok-%04d", i), Kind: push.KindSync, Ref: fmt.Sprintf("r-%04d", i)}
	}
	res := send(t, s, msgs)

	if want := []int{500, 500, 201}; !slices.Equal(sizes, want) {
		t.Errorf("batches = %v, want %v", sizes, want)
	}
	for i, r := range res {
		if r.Outcome != push.Delivered {
			t.Fatalf("message %d: outcome %v (%s)", i, r.Outcome, r.Reason)
		}
	}
	tokens := make(map[string]bool)
	for _, r := range fake.Messages() {
		tokens[r.Token] = true
	}
	if fake.Count() != n || len(tokens) != n {
		t.Errorf("fake got %d messages with %d distinct tokens, want %d", fake.Count(), len(tokens), n)
	}
	for _, m := range msgs {
		if !tokens[m.Token] {
			t.Fatalf("token %s never arrived", m.Token)
		}
	}
}

// TestPayloadsAreNeutral proves that whatever the outbox puts in a push.Message, only the neutral
// text and the data reach FCM: the sample names and words below stand for what a household's
// record holds and must never be on a lock screen.
func TestPayloadsAreNeutral(t *testing.T) {
	t.Parallel()
	s, fake := setup(t)
	forbidden := []string{"Jansen", "Fatima", "de Vries", "Mohammed", "geweld", "mishandeling", "Veilig Thuis", "Kerkstraat", "politie", "huisverbod"}

	kinds := []push.Kind{push.KindAlert, push.KindDigest, push.KindSync}
	var msgs []push.Message
	for i, word := range forbidden {
		for _, k := range kinds {
			msgs = append(msgs, push.Message{
				// The outbox ID is the only free string besides token and ref; it must stay out.
				ID:     "outbox-" + word,
				Token:  fmt.Sprintf("tok-%d-%s", i, k),
				Kind:   k,
				Ref:    ref(t),
				Urgent: i%2 == 0,
				Counts: push.Counts{Overdue: i, Escalated: 1, Concerns: 2},
			})
		}
	}
	send(t, s, msgs)

	allowedText := map[string]bool{}
	for _, k := range kinds {
		title, body := push.Text(push.Message{Kind: k})
		allowedText[title], allowedText[body] = true, true
	}
	allowedData := map[string]bool{"kind": true, "ref": true, "overdue": true, "escalated": true, "concerns": true}

	reqs := fake.Requests()
	if len(reqs) != len(msgs) {
		t.Fatalf("fake saw %d requests, want %d", len(reqs), len(msgs))
	}
	for _, r := range reqs {
		body := strings.ToLower(string(r.Body))
		for _, w := range forbidden {
			if strings.Contains(body, strings.ToLower(w)) {
				t.Errorf("payload for %s contains %q: %s", r.Token, w, r.Body)
			}
		}
		if n := r.Notification; n != nil && (!allowedText[n.Title] || !allowedText[n.Body]) {
			t.Errorf("notification text %q / %q is not one of push.Text's sentences", n.Title, n.Body)
		}
		for k := range r.Data {
			if !allowedData[k] {
				t.Errorf("unexpected data key %q", k)
			}
		}
	}
}

func TestSendMissingTokenFailsAlone(t *testing.T) {
	t.Parallel()
	s, fake := setup(t)
	res := send(t, s, []push.Message{
		{Token: "tok-a", Kind: push.KindAlert, Ref: "a"},
		{Token: "", Kind: push.KindAlert, Ref: "b"},
		{Token: "tok-c", Kind: push.KindAlert, Ref: "c"},
	})
	want := []push.Outcome{push.Delivered, push.Failed, push.Delivered}
	for i, r := range res {
		if r.Outcome != want[i] {
			t.Errorf("message %d: outcome %v (%s), want %v", i, r.Outcome, r.Reason, want[i])
		}
	}
	if fake.Count() != 2 {
		t.Errorf("fake got %d messages, want 2", fake.Count())
	}
}

func TestSendCanceledContext(t *testing.T) {
	t.Parallel()
	s, fake := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Send(ctx, []push.Message{{Token: "tok", Kind: push.KindAlert, Ref: "r"}}); err == nil {
		t.Error("Send with a canceled context returned no error")
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("fake saw %d requests, want 0", n)
	}
}

func TestSendEmpty(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	res, err := s.Send(context.Background(), nil)
	if err != nil || len(res) != 0 {
		t.Errorf("Send(nil) = %v, %v; want no results, no error", res, err)
	}
}

func TestNewRequiresProject(t *testing.T) {
	t.Parallel()
	if _, err := New(context.Background(), Config{HTTPClient: http.DefaultClient}); err == nil {
		t.Error("New without a project id returned no error")
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"1", time.Second},
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"99999999999999", 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tc := range tests {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// childEnv marks the child process of TestSendFromChildProcess.
const childEnv = "VEILIG_FCM_TEST_CHILD"

// TestSendFromChildProcess runs the sender in another process pointed at a fake started with
// fcmtest.Serve, the way an end-to-end test runs the server binary.
func TestSendFromChildProcess(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		s, err := New(context.Background(), Config{ProjectID: project, Endpoint: os.Getenv(fcmtest.EnvURL)})
		if err != nil {
			t.Fatal(err)
		}
		res := send(t, s, []push.Message{{Token: "tok-child", Kind: push.KindAlert, Ref: "r-child"}})
		if res[0].Outcome != push.Delivered {
			t.Fatalf("child: outcome %v (%s)", res[0].Outcome, res[0].Reason)
		}
		return
	}
	t.Parallel()
	fake, err := fcmtest.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)

	cmd := exec.Command(os.Args[0], "-test.run=^TestSendFromChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1", fcmtest.EnvURL+"="+fake.URL)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	if got := fake.ByToken("tok-child"); len(got) != 1 || got[0].Data["ref"] != "r-child" {
		t.Errorf("fake got %+v from the child, want one message with ref r-child", got)
	}
}
