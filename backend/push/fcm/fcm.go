// Package fcm delivers pushes through Firebase Cloud Messaging with the Firebase Admin SDK
// (firebase.google.com/go/v4): the production push.Sender.
//
// # Building a message
//
// Each push.Message becomes one FCM message to one token. Its data is push.Data (kind, opaque
// reference, digest counts) and its visible text is push.Text: fixed, neutral sentences. Nothing
// else of the push.Message reaches the payload (not its ID, never free text), because a lock
// screen may be read by the very person a household needs protection from.
//
//   - A KindSync message is data-only: no notification block, APNs "apns-push-type: background",
//     "apns-priority: 5" and "content-available: 1". Apple requires exactly that combination for
//     a silent push (priority 10 with a background push is refused), and throttles it, which is
//     fine for a "please sync" poke.
//   - A visible message is "apns-push-type: alert" with "apns-priority: 10": someone is meant
//     to see it now. Android priority is "high" only when the message is Urgent: Android wakes
//     a dozing phone for high-priority messages and demotes apps that send high priority
//     without showing something, so routine pushes go out as "normal".
//   - The collapse key becomes Android's collapse_key and APNs' apns-collapse-id (at most
//     64 bytes, Apple's limit), so a newer push replaces an older one still waiting on a phone
//     that was offline, instead of a pile of identical notices. On Android it is also the
//     notification tag, so a newer visible notice replaces one already shown, as on iOS.
//
// # Mapping outcomes
//
// Messages go out with Client.SendEach in batches of at most MaxBatch (the SDK's own limit);
// SendEach issues one HTTP v1 request per message from 50 goroutines and reports per message.
// Each answer maps to a push.Outcome that tells the outbox what to do next:
//
//   - success: Delivered.
//   - UNREGISTERED, SENDER_ID_MISMATCH: Unregistered. The token will never work again (app
//     removed, token rotated, token of another project); the caller deletes it, because FCM
//     counts sends to dead tokens against the project and they only cost time.
//   - QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL, network and unknown errors: Retry, with the
//     server's Retry-After hint in RetryAfter when it sent one. These are about FCM, not about
//     the message; hammering a rate-limited project makes the limit last longer.
//   - INVALID_ARGUMENT, THIRD_PARTY_AUTH_ERROR: Failed. Sending the same message again gives
//     the same answer; the record says why.
//
// Result.Reason is the error code only: FCM error texts may quote the request, and the token is
// a credential. The SDK itself already retries 503 answers and network errors up to four times
// (pausing 1s, 2s, 4s, or as long as Retry-After asks if that is under two minutes), so a Retry
// from this package means those retries were spent; a Send can therefore take several seconds,
// bounded by its context.
//
// # Another endpoint
//
// Config.Endpoint sends the requests to another base URL instead of Google's
// (https://fcm.googleapis.com), e.g. a local emulator or the fake FCM of the tests
// (backend/push/fcm/fcmtest), and then no credentials are loaded or sent. It uses the SDK's
// own knob, not a rewriting transport: messaging.NewClient takes the endpoint that
// google.golang.org/api/transport resolves from option.WithEndpoint (a full URL is used
// verbatim) and posts each message to {endpoint}/projects/{project}/messages:send, so
// Endpoint+"/v1" is handed over as that option. Only the send path is redirected: the SDK's
// deprecated batch endpoint and its topic management (iid.googleapis.com) are never used here.
// This package must never rewrite requests on the wire: what it sends to a host is what the SDK
// addressed to that host.
package fcm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"google.golang.org/api/option"

	"github.com/veilig/veilig/backend/push"
)

// MaxBatch is the most messages handed to one SendEach call: the SDK refuses more than 500.
const MaxBatch = 500

// maxAPNsCollapseID is Apple's limit on apns-collapse-id, in bytes.
const maxAPNsCollapseID = 64

// Config says how to reach FCM.
type Config struct {
	// ProjectID is the Firebase project that the device tokens belong to.
	ProjectID string
	// CredentialsFile is a service account key file. When empty (and HTTPClient and Endpoint
	// are not set), the application default credentials are used.
	CredentialsFile string
	// Endpoint, when set, is the base URL that requests go to instead of Google's
	// (https://fcm.googleapis.com): a local emulator, or the fake FCM of the tests
	// (fcmtest.Server.URL). Messages are posted to {Endpoint}/v1/projects/{project}/messages:send.
	// It must be an http or https URL without user, query or fragment; a path is kept as a
	// prefix and a trailing slash is dropped. No credentials are loaded or sent then, so it
	// cannot be combined with CredentialsFile. Device tokens still go out with every message,
	// so point it only at a server you trust.
	Endpoint string
	// HTTPClient, when set, is used as is for every call and no credentials are loaded: it must
	// add authorization itself. It takes precedence over CredentialsFile, and is combined with
	// Endpoint when both are set.
	HTTPClient *http.Client
}

// Sender is the push.Sender on FCM. It is safe for concurrent use once configured.
type Sender struct {
	client *messaging.Client

	// OnBatch, when set, is called with the size of each batch just before it is sent; tests
	// use it to see the batching. Set it before the first Send.
	OnBatch func(n int)
}

var _ push.Sender = (*Sender)(nil)

// New creates a Sender for cfg's project.
func New(ctx context.Context, cfg Config) (*Sender, error) {
	if cfg.ProjectID == "" {
		return nil, errors.New("fcm: project id is required")
	}
	var opts []option.ClientOption
	if cfg.Endpoint != "" {
		base, err := endpointBase(cfg.Endpoint)
		if err != nil {
			return nil, err
		}
		if cfg.CredentialsFile != "" {
			return nil, errors.New("fcm: Endpoint sends without credentials; CredentialsFile must be empty")
		}
		// The SDK appends /projects/{project}/messages:send to the endpoint it is given.
		opts = append(opts, option.WithEndpoint(base+"/v1"))
	}
	switch {
	case cfg.HTTPClient != nil:
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	case cfg.CredentialsFile != "":
		// WithAuthCredentialsFile rather than the deprecated WithCredentialsFile: it accepts
		// only a service account key, so a file swapped for another credential type (one that
		// would make the process fetch tokens from elsewhere) is refused.
		opts = append(opts, option.WithAuthCredentialsFile(option.ServiceAccount, cfg.CredentialsFile))
	case cfg.Endpoint != "":
		// Not the application default credentials either: an emulator needs none, and
		// Google's tokens must not be handed to another host.
		opts = append(opts, option.WithoutAuthentication())
	}
	app, err := firebase.NewApp(ctx, &firebase.Config{ProjectID: cfg.ProjectID}, opts...)
	if err != nil {
		return nil, fmt.Errorf("fcm: create firebase app for project %s: %w", cfg.ProjectID, err)
	}
	client, err := app.Messaging(ctx)
	if err != nil {
		return nil, fmt.Errorf("fcm: create messaging client for project %s: %w", cfg.ProjectID, err)
	}
	return &Sender{client: client}, nil
}

// endpointBase checks a Config.Endpoint and returns it without a trailing slash.
func endpointBase(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		// Not quoted: a mistyped URL may carry a password.
		return "", errors.New("fcm: endpoint is not a URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("fcm: endpoint %q is not an http or https base URL without user, query or fragment (such as http://127.0.0.1:9099)", u.Redacted())
	}
	return strings.TrimRight(endpoint, "/"), nil
}

// Send delivers msgs and returns one Result per message, in order. It returns an error only when
// nothing could be tried: the context was already done, or the SDK refused the first batch as a
// whole. A later batch that fails as a whole turns into Retry results instead, because returning
// an error would make the caller resend the batches FCM already accepted.
func (s *Sender) Send(ctx context.Context, msgs []push.Message) ([]push.Result, error) {
	results := make([]push.Result, len(msgs))
	if len(msgs) == 0 {
		return results, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fcm: send %d messages: %w", len(msgs), err)
	}

	// A message without a token would make SendEach refuse its whole batch (the SDK validates
	// every message first), so it is failed here, alone.
	idx := make([]int, 0, len(msgs))
	out := make([]*messaging.Message, 0, len(msgs))
	for i, m := range msgs {
		if m.Token == "" {
			results[i] = push.Result{Outcome: push.Failed, Reason: "MISSING_TOKEN"}
			continue
		}
		idx = append(idx, i)
		out = append(out, build(m))
	}

	for start := 0; start < len(out); start += MaxBatch {
		end := min(start+MaxBatch, len(out))
		batch := out[start:end]
		if err := ctx.Err(); err != nil {
			// Batches before this one went out; the rest waits for the next attempt.
			for _, i := range idx[start:] {
				results[i] = push.Result{Outcome: push.Retry, Reason: contextReason(err)}
			}
			break
		}
		if s.OnBatch != nil {
			s.OnBatch(len(batch))
		}
		br, err := s.client.SendEach(ctx, batch)
		if err == nil && len(br.Responses) != len(batch) {
			err = fmt.Errorf("%d responses for %d messages", len(br.Responses), len(batch))
		}
		if err != nil {
			if start == 0 {
				return nil, fmt.Errorf("fcm: send batch of %d messages: %w", len(batch), err)
			}
			for _, i := range idx[start:end] {
				results[i] = push.Result{Outcome: push.Retry, Reason: "BATCH_ERROR"}
			}
			continue
		}
		for j, r := range br.Responses {
			results[idx[start+j]] = result(r)
		}
	}
	return results, nil
}

// build turns m into an FCM message. Only push.Text and push.Data reach the payload.
func build(m push.Message) *messaging.Message {
	title, body := push.Text(m)
	// Silent when there is no text: KindSync by definition, and any kind Text does not know,
	// rather than a notification with an empty title.
	silent := m.Kind == push.KindSync || (title == "" && body == "")

	fm := &messaging.Message{
		Token: m.Token,
		Data:  push.Data(m),
		Android: &messaging.AndroidConfig{
			Priority:    "normal",
			CollapseKey: m.CollapseKey,
		},
		APNS: &messaging.APNSConfig{Headers: map[string]string{}},
	}
	if m.Urgent {
		fm.Android.Priority = "high"
	}
	if silent {
		fm.APNS.Headers["apns-priority"] = "5"
		fm.APNS.Headers["apns-push-type"] = "background"
		fm.APNS.Payload = &messaging.APNSPayload{Aps: &messaging.Aps{ContentAvailable: true}}
	} else {
		fm.Notification = &messaging.Notification{Title: title, Body: body}
		fm.APNS.Headers["apns-priority"] = "10"
		fm.APNS.Headers["apns-push-type"] = "alert"
		if m.CollapseKey != "" {
			fm.Android.Notification = &messaging.AndroidNotification{Tag: m.CollapseKey}
		}
	}
	if m.CollapseKey != "" {
		fm.APNS.Headers["apns-collapse-id"] = truncate(m.CollapseKey, maxAPNsCollapseID)
	}
	return fm
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence, which APNs would
// refuse as an invalid header.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// result maps one SDK response to a push.Result.
func result(r *messaging.SendResponse) push.Result {
	if r.Success {
		return push.Result{Outcome: push.Delivered}
	}
	outcome, reason := classify(r.Error)
	res := push.Result{Outcome: outcome, Reason: reason}
	if outcome == push.Retry {
		res.RetryAfter = retryAfter(r.Error, time.Now())
	}
	return res
}

// classify maps an SDK error to an outcome and a short code. The SDK's predicates inspect the
// error's concrete type, so err must be passed exactly as the SDK returned it, not wrapped.
func classify(err error) (push.Outcome, string) {
	switch {
	case messaging.IsUnregistered(err):
		return push.Unregistered, "UNREGISTERED"
	case messaging.IsSenderIDMismatch(err):
		return push.Unregistered, "SENDER_ID_MISMATCH"
	case messaging.IsQuotaExceeded(err):
		return push.Retry, "QUOTA_EXCEEDED"
	case messaging.IsUnavailable(err):
		return push.Retry, "UNAVAILABLE"
	case messaging.IsInternal(err):
		return push.Retry, "INTERNAL"
	case messaging.IsInvalidArgument(err):
		return push.Failed, "INVALID_ARGUMENT"
	case messaging.IsThirdPartyAuthError(err):
		return push.Failed, "THIRD_PARTY_AUTH_ERROR"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return push.Retry, contextReason(err)
	}
	// No FCM error code: a network error, or an answer without the FcmError detail. Only a
	// plain invalid argument is about the message; everything else (our credentials refused,
	// FCM misbehaving, the network) is about the sender, so the message is retried later.
	for _, c := range platformCodes {
		if c.is(err) {
			if c.code == "INVALID_ARGUMENT" {
				return push.Failed, c.code
			}
			return push.Retry, c.code
		}
	}
	return push.Retry, "UNKNOWN"
}

// platformCodes are the SDK's platform-wide error codes (the google.rpc status of the answer,
// or the SDK's reading of a network error), for errors without an FCM error code.
var platformCodes = []struct {
	is   func(error) bool
	code string
}{
	{errorutils.IsInvalidArgument, "INVALID_ARGUMENT"},
	{errorutils.IsUnauthenticated, "UNAUTHENTICATED"},
	{errorutils.IsPermissionDenied, "PERMISSION_DENIED"},
	{errorutils.IsNotFound, "NOT_FOUND"},
	{errorutils.IsResourceExhausted, "RESOURCE_EXHAUSTED"},
	{errorutils.IsUnavailable, "UNAVAILABLE"},
	{errorutils.IsInternal, "INTERNAL"},
	{errorutils.IsDeadlineExceeded, "DEADLINE_EXCEEDED"},
	{errorutils.IsFailedPrecondition, "FAILED_PRECONDITION"},
	{errorutils.IsUnknown, "UNKNOWN"},
}

func contextReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "DEADLINE_EXCEEDED"
	}
	return "CANCELLED"
}

// retryAfter reads the Retry-After header of the HTTP answer behind err: the SDK keeps a
// buffered copy of the last answer in its errors (errorutils.HTTPResponse), nil for network
// errors.
func retryAfter(err error, now time.Time) time.Duration {
	resp := errorutils.HTTPResponse(err)
	if resp == nil {
		return 0
	}
	return parseRetryAfter(resp.Header.Get("Retry-After"), now)
}

// maxRetryAfterSecs caps a Retry-After hint at a day: a longer wait is surely a broken header,
// and the cap keeps a huge value from overflowing a Duration.
const maxRetryAfterSecs = 24 * 60 * 60

// parseRetryAfter parses a Retry-After value: delay seconds or an HTTP date. Anything else, or
// a date in the past, gives zero (no hint).
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, maxRetryAfterSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfterSecs*time.Second)
	}
	return 0
}
