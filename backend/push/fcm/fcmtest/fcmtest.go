// Package fcmtest is a local stand-in for the Firebase Cloud Messaging HTTP v1 API, for tests in
// any package and in any process.
//
// It answers POST /v1/projects/{project}/messages:send the way FCM does: it decodes the
// {"message": {...}} body, records it (including the raw bytes, so tests can prove what did and
// did not leave the server) and answers {"name": "projects/{project}/messages/<n>"}. Failures are
// scripted per token with FailToken and are answered with the same status codes and error
// bodies FCM uses, down to the FcmError detail the Admin SDK reads: so the real SDK's
// messaging.IsUnregistered, IsQuotaExceeded and friends return true against the fake, and the
// code under test runs unchanged, without mocks.
//
// The sender is pointed at the fake with fcm.Config{Endpoint: s.URL}, the option production
// has for emulators; a child process (a `veilig worker` started by a test) gets the same with
// --fcm-endpoint s.URL, or with s.URL handed over in EnvURL, after the parent started the fake
// with Serve. For code that takes only an *http.Client there is Client (or Transport, or
// ClientFor in a child process): it rewrites every request for fcm.googleapis.com, and every
// https request, to the fake.
//
// Only tests may import this package: it starts servers with net/http/httptest and rewrites
// requests to any host, neither of which belongs in the binary. TestBinaryHasNoTestDoubles in
// backend/cmd/veilig fails if the veilig command depends on it.
package fcmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// EnvURL is the environment variable by which a test hands the fake's base URL (Server.URL) to a
// child process; the child builds its HTTP client with ClientFor.
const EnvURL = "VEILIG_FCM_FAKE_URL"

// FCM error codes (the errorCode of the FcmError detail) that tests script with FailToken.
const (
	// CodeUnregistered: the token is no longer valid (FCM answers 404).
	CodeUnregistered = "UNREGISTERED"
	// CodeSenderIDMismatch: the token belongs to another Firebase project (FCM answers 403).
	CodeSenderIDMismatch = "SENDER_ID_MISMATCH"
	// CodeQuotaExceeded: a sending rate limit was hit (FCM answers 429).
	CodeQuotaExceeded = "QUOTA_EXCEEDED"
	// CodeUnavailable: FCM is overloaded (FCM answers 503).
	CodeUnavailable = "UNAVAILABLE"
	// CodeInternal: an unknown FCM server error (FCM answers 500).
	CodeInternal = "INTERNAL"
	// CodeInvalidArgument: the message is malformed (FCM answers 400).
	CodeInvalidArgument = "INVALID_ARGUMENT"
	// CodeThirdPartyAuthError: the APNs certificate or key was refused (FCM answers 401).
	CodeThirdPartyAuthError = "THIRD_PARTY_AUTH_ERROR"
)

// maxBody bounds a request body: FCM itself refuses messages over 4 KB of payload, so anything
// near this limit is a bug in the sender, not a message.
const maxBody = 1 << 20

// Notification is the platform-neutral notification block of a received message.
type Notification struct {
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
	Image string `json:"image,omitempty"`
}

// Android is the android block of a received message. Its notification block is kept as
// decoded JSON: tests mostly check that it is absent or what it carries.
type Android struct {
	CollapseKey  string            `json:"collapse_key,omitempty"`
	Priority     string            `json:"priority,omitempty"`
	TTL          string            `json:"ttl,omitempty"`
	Data         map[string]string `json:"data,omitempty"`
	Notification map[string]any    `json:"notification,omitempty"`
}

// APNS is the apns block of a received message: the APNs headers and the payload as decoded
// JSON.
type APNS struct {
	Headers map[string]string `json:"headers,omitempty"`
	Payload map[string]any    `json:"payload,omitempty"`
}

// Aps returns the payload's aps dictionary, or nil.
func (a *APNS) Aps() map[string]any {
	if a == nil {
		return nil
	}
	aps, _ := a.Payload["aps"].(map[string]any)
	return aps
}

// ContentAvailable reports whether the payload asks iOS to wake the app in the background
// ("content-available": 1), which is what a silent sync push relies on.
func (a *APNS) ContentAvailable() bool {
	v, _ := a.Aps()["content-available"].(float64)
	return v == 1
}

// Received is one request the fake answered.
type Received struct {
	// Project is the {project} of the request path; empty when the path was not a send.
	Project string
	// Token is the message's registration token.
	Token string
	// Data is the message's data payload.
	Data map[string]string
	// Notification, Android and APNS are the message's blocks, nil when absent.
	Notification *Notification
	Android      *Android
	APNS         *APNS
	// ValidateOnly is set for a dry run.
	ValidateOnly bool
	// Body is the raw request body, exactly as sent.
	Body []byte
	// Status is the HTTP status the fake answered with.
	Status int
	// ErrorCode is the FCM error code answered, empty on success.
	ErrorCode string
	// Name is the message name answered on success.
	Name string
	// At is when the fake received the request.
	At time.Time
}

// clone copies r so a caller can keep or change it without racing the fake; the decoded JSON
// blocks below the top level are shared and must be treated as read-only.
func (r Received) clone() Received {
	r.Data = maps.Clone(r.Data)
	r.Body = bytes.Clone(r.Body)
	return r
}

type failure struct {
	status int
	code   string
	times  int // remaining; -1 is always
}

// Server is a running fake. All methods are safe for concurrent use: the Admin SDK sends a
// batch from 50 goroutines at once.
type Server struct {
	// URL is the base URL of the fake, e.g. http://127.0.0.1:41234.
	URL string

	seq     atomic.Int64
	closeFn func()
	tr      *http.Transport

	mu    sync.Mutex
	reqs  []Received
	fails map[string]*failure
	delay time.Duration
}

// SetDelay makes the fake wait d before answering each send, as a slow FCM would: a test can
// then stop a sender while its batch is in flight. A request whose client goes away during
// the wait is not recorded, because it was never answered.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

func newServer() *Server {
	return &Server{
		fails: make(map[string]*failure),
		// A batch arrives on up to 50 connections at once; the default of 2 idle connections
		// per host would make most of them reconnect and burn ephemeral ports.
		tr: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        128,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

// New starts a fake on a loopback port. Close it when done (t.Cleanup(s.Close)).
func New() *Server {
	s := newServer()
	ts := httptest.NewServer(s)
	s.URL = ts.URL
	s.closeFn = ts.Close
	return s
}

// Serve starts a fake listening on addr (e.g. "127.0.0.1:0"), for tests that run the sender in
// another process: pass s.URL to the child in EnvURL.
func Serve(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fcmtest: listen on %s: %w", addr, err)
	}
	s := newServer()
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }() // returns http.ErrServerClosed on Close
	s.URL = "http://" + ln.Addr().String()
	s.closeFn = func() { _ = hs.Close() }
	return s, nil
}

// Close stops the fake.
func (s *Server) Close() {
	s.tr.CloseIdleConnections()
	s.closeFn()
}

// Transport returns a RoundTripper that sends every request for fcm.googleapis.com, and every
// https request, to the fake instead.
func (s *Server) Transport() http.RoundTripper {
	u, _ := url.Parse(s.URL) // s.URL is built by this package
	return &rewriter{target: u, base: s.tr}
}

// Client returns an HTTP client that talks to the fake; hand it to the Admin SDK with
// option.WithHTTPClient (no credentials are needed then).
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: s.Transport(), Timeout: 30 * time.Second}
}

// ClientFor returns an HTTP client that talks to the fake at baseURL (a Server.URL, typically
// read from EnvURL in a child process).
func ClientFor(baseURL string) (*http.Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("fcmtest: bad base URL %q", baseURL)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return &http.Client{Transport: &rewriter{target: u, base: tr}, Timeout: 30 * time.Second}, nil
}

// rewriter redirects requests to the fake. It clones the request, as a RoundTripper must not
// change the one it is given.
type rewriter struct {
	target *url.URL
	base   http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (rw *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" && req.URL.Hostname() != "fcm.googleapis.com" {
		return rw.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme = rw.target.Scheme
	r.URL.Host = rw.target.Host
	r.Host = rw.target.Host
	return rw.base.RoundTrip(r)
}

// FailToken scripts the answer for token: the next times requests for it (-1: every request,
// 0: clear the script) are answered with the HTTP status and an FCM v1 error body carrying code
// (e.g. 404 UNREGISTERED, 403 SENDER_ID_MISMATCH, 429 QUOTA_EXCEEDED, 503 UNAVAILABLE,
// 400 INVALID_ARGUMENT). A 429 also carries "Retry-After: 1", as FCM sends a backoff hint with
// it. Note that the SDK itself retries a 503 up to four times (with 1s, 2s, 4s pauses), so
// times: 1 with 503 ends in a delivered message.
func (s *Server) FailToken(token string, status int, code string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if times == 0 {
		delete(s.fails, token)
		return
	}
	s.fails[token] = &failure{status: status, code: code, times: times}
}

// takeFailure consumes one scripted failure for token, if any.
func (s *Server) takeFailure(token string) (failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.fails[token]
	if !ok {
		return failure{}, false
	}
	if f.times > 0 {
		f.times--
		if f.times == 0 {
			delete(s.fails, token)
		}
	}
	return *f, true
}

// Messages returns the messages the fake accepted (answered 200), in arrival order.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Received
	for _, r := range s.reqs {
		if r.Status == http.StatusOK {
			out = append(out, r.clone())
		}
	}
	return out
}

// Count returns the number of accepted messages.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.Status == http.StatusOK {
			n++
		}
	}
	return n
}

// ByToken returns the accepted messages for token.
func (s *Server) ByToken(token string) []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Received
	for _, r := range s.reqs {
		if r.Status == http.StatusOK && r.Token == token {
			out = append(out, r.clone())
		}
	}
	return out
}

// Requests returns every request the fake answered, failed ones included (the SDK's own
// retries show up here as separate requests).
func (s *Server) Requests() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = r.clone()
	}
	return out
}

// Reset forgets all recorded requests and all scripted failures.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
	s.fails = make(map[string]*failure)
}

func (s *Server) record(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
}

// wireRequest is the body of messages:send.
type wireRequest struct {
	ValidateOnly bool `json:"validate_only"`
	Message      *struct {
		Token        string            `json:"token"`
		Data         map[string]string `json:"data"`
		Notification *Notification     `json:"notification"`
		Android      *Android          `json:"android"`
		APNS         *APNS             `json:"apns"`
	} `json:"message"`
}

// ServeHTTP answers the FCM v1 send endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	rec := Received{Body: body, At: time.Now()}

	project, ok := sendPath(r.URL.Path)
	if r.Method != http.MethodPost || !ok {
		rec.Status = http.StatusNotFound
		s.record(rec)
		writeError(w, http.StatusNotFound, "", "fcmtest: only POST /v1/projects/{project}/messages:send is served")
		return
	}
	rec.Project = project
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}

	var req wireRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Message == nil {
		s.reject(w, rec, http.StatusBadRequest, CodeInvalidArgument)
		return
	}
	m := req.Message
	rec.Token, rec.Data, rec.Notification, rec.Android, rec.APNS = m.Token, m.Data, m.Notification, m.Android, m.APNS
	rec.ValidateOnly = req.ValidateOnly
	if m.Token == "" {
		s.reject(w, rec, http.StatusBadRequest, CodeInvalidArgument)
		return
	}
	if f, ok := s.takeFailure(m.Token); ok {
		if f.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		s.reject(w, rec, f.status, f.code)
		return
	}

	rec.Status = http.StatusOK
	rec.Name = fmt.Sprintf("projects/%s/messages/%d", project, s.seq.Add(1))
	s.record(rec)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(map[string]string{"name": rec.Name})
}

func (s *Server) reject(w http.ResponseWriter, rec Received, status int, code string) {
	rec.Status, rec.ErrorCode = status, code
	s.record(rec)
	writeError(w, status, code, errorMessages[code])
}

// sendPath returns the project of a /v1/projects/{project}/messages:send path.
func sendPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/v1/projects/")
	if !ok {
		return "", false
	}
	project, ok := strings.CutSuffix(rest, "/messages:send")
	if !ok || project == "" || strings.Contains(project, "/") {
		return "", false
	}
	return project, true
}

// errorMessages are the texts FCM answers with; like FCM's, they never echo the token or payload.
var errorMessages = map[string]string{
	CodeUnregistered:        "Requested entity was not found.",
	CodeSenderIDMismatch:    "SenderId mismatch",
	CodeQuotaExceeded:       "Quota exceeded for the device.",
	CodeUnavailable:         "The service is currently unavailable.",
	CodeInternal:            "Internal error encountered.",
	CodeInvalidArgument:     "Request contains an invalid argument.",
	CodeThirdPartyAuthError: "Auth error from APNS or Web Push Service",
}

// grpcStatus is the google.rpc status name FCM pairs with each HTTP status; the SDK maps it to
// its platform error codes (errorutils.IsNotFound and so on).
var grpcStatus = map[int]string{
	http.StatusBadRequest:          "INVALID_ARGUMENT",
	http.StatusUnauthorized:        "UNAUTHENTICATED",
	http.StatusForbidden:           "PERMISSION_DENIED",
	http.StatusNotFound:            "NOT_FOUND",
	http.StatusTooManyRequests:     "RESOURCE_EXHAUSTED",
	http.StatusInternalServerError: "INTERNAL",
	http.StatusServiceUnavailable:  "UNAVAILABLE",
}

// writeError writes an FCM v1 error body. The SDK reads error.status for the platform code and
// the FcmError detail's errorCode for the messaging code (IsUnregistered and friends); without
// the detail only the platform code is known.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	type detail struct {
		Type      string `json:"@type"`
		ErrorCode string `json:"errorCode"`
	}
	var body struct {
		Error struct {
			Code    int      `json:"code"`
			Message string   `json:"message"`
			Status  string   `json:"status"`
			Details []detail `json:"details,omitempty"`
		} `json:"error"`
	}
	body.Error.Code = status
	body.Error.Message = msg
	if body.Error.Message == "" {
		body.Error.Message = http.StatusText(status)
	}
	body.Error.Status = grpcStatus[status]
	if body.Error.Status == "" {
		body.Error.Status = "UNKNOWN"
	}
	if code != "" {
		body.Error.Details = []detail{{Type: "type.googleapis.com/google.firebase.fcm.v1.FcmError", ErrorCode: code}}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
