// Package push is the contract between the notification outbox and whatever delivers pushes to
// phones: Firebase Cloud Messaging in production (package fcm), a log line in embedded mode.
//
// A Message is neutral by construction. It has no free-text field: its visible text is one of a
// few fixed, neutral sentences chosen by Kind and Language (see Text), and its data carries only an opaque
// reference that the app resolves after the user has unlocked it and synced. A phone's lock
// screen may be read by the person the household needs protection from, so no name, address,
// organization or word about violence may ever reach a payload; keeping free text out of the
// type makes that impossible rather than a matter of care.
package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Kind says why a push is sent. It selects the neutral text and tells the app what the
// reference points at.
type Kind string

const (
	// KindAlert asks a professional to look at an alert (a missed check, an escalation).
	KindAlert Kind = "alert"
	// KindDigest is a supervisor's periodic overview.
	KindDigest Kind = "digest"
	// KindSync is a silent "please sync" poke for a backgrounded app.
	KindSync Kind = "sync"
)

// Message is one push to one device.
type Message struct {
	// ID names the outbox row; it is echoed in logs and results, never shown.
	ID string
	// Token is the device's FCM registration token. It is a credential: never log it (use
	// TokenRef).
	Token string
	// Kind selects the text and the meaning of Ref.
	Kind Kind
	// Ref is the opaque reference the app resolves after unlock and sync (an alert id, a
	// digest id). It must be a random or derived id, never a household code or a name.
	Ref string
	// Urgent asks for immediate delivery (Android high priority, APNs priority 10) and lets
	// the push through quiet hours.
	Urgent bool
	// CollapseKey lets a newer push replace an older one still waiting on the device.
	CollapseKey string
	// Counts are a digest's figures; zero for other kinds. Counts are not personal data.
	Counts Counts
	// Language is the BCP 47 tag of the language the professional chose (their preferences);
	// it selects the translation of the fixed text, never adds words. Empty, or a language
	// without a translation, is Dutch.
	Language string
}

// Counts are the figures of a supervisor digest.
type Counts struct {
	Overdue   int
	Escalated int
	Concerns  int
}

// texts are the visible sentences by base language and kind: each says the same neutral
// thing, nothing about who or what. Dutch ("nl") is the fallback.
var texts = map[string]map[Kind]string{
	"nl": {KindAlert: "Er staat iets voor je klaar. Open de app.", KindDigest: "Je overzicht staat klaar."},
	"en": {KindAlert: "Something is waiting for you. Open the app.", KindDigest: "Your overview is ready."},
}

// Text returns the visible title and body of m: fixed, neutral sentences that say nothing
// about who or what, in m.Language's base language when there is a translation ("en-GB"
// reads "en"), else in Dutch. A KindSync message has no visible text.
func Text(m Message) (title, body string) {
	if m.Kind != KindAlert && m.Kind != KindDigest {
		return "", ""
	}
	base, _, _ := strings.Cut(strings.ToLower(m.Language), "-")
	t, ok := texts[base]
	if !ok {
		t = texts["nl"]
	}
	return "Veilig", t[m.Kind]
}

// Data returns the data payload of m: the kind, the opaque reference and, for a digest, the
// counts. The app uses it to fetch what it needs after unlock and sync, and to sync at once.
func Data(m Message) map[string]string {
	d := map[string]string{"kind": string(m.Kind), "ref": m.Ref}
	if m.Kind == KindDigest {
		d["overdue"] = strconv.Itoa(m.Counts.Overdue)
		d["escalated"] = strconv.Itoa(m.Counts.Escalated)
		d["concerns"] = strconv.Itoa(m.Counts.Concerns)
	}
	return d
}

// TokenRef returns a short, stable reference to a device token that is safe to log: the first
// 12 hex digits of its SHA-256.
func TokenRef(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

// Outcome is what happened to one message.
type Outcome int

const (
	// Delivered: the push service accepted the message.
	Delivered Outcome = iota
	// Unregistered: the token is no longer valid (app uninstalled, token rotated, wrong
	// project). Remove the device token; do not retry.
	Unregistered
	// Retry: a transient failure (quota, unavailable, internal, network). Retry with backoff,
	// no sooner than RetryAfter when that is set.
	Retry
	// Failed: the push service refused this message for good (an invalid argument). Record it;
	// do not retry.
	Failed
)

// String names the outcome as recorded in the outbox.
func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Unregistered:
		return "unregistered"
	case Retry:
		return "retry"
	case Failed:
		return "failed"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Result is the outcome of one message.
type Result struct {
	Outcome Outcome
	// RetryAfter is the push service's own backoff hint (a Retry-After header); zero when it
	// gave none.
	RetryAfter time.Duration
	// Reason is a short, neutral description for the outbox record (an error code), with no
	// token and no payload in it.
	Reason string
}

// Sender delivers messages. Send returns exactly one Result per message, in order; it returns
// an error only when it could not try at all (then every message is retried). Implementations
// must be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, msgs []Message) ([]Result, error)
}
