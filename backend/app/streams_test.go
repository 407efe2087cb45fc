package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// openStream is one Subscribe stream of a test, confirmed by its first (empty) message.
type openStream struct {
	*connect.ServerStreamForClient[veiligv1.SubscribeResponse]
	close func() // ends the stream from the client's side
}

// subscribe opens a Subscribe stream with tok through the real client and waits for the
// confirmation. It returns the error that refused the stream instead, if one did. The stream
// is closed when the test ends.
func (b *bundle) subscribe(t *testing.T, tok string) (*openStream, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := b.sync.Subscribe(ctx, as(tok, &veiligv1.SubscribeRequest{}))
	if err != nil {
		cancel()
		return nil, err
	}
	end := func() { cancel(); stream.Close() }
	if !stream.Receive() {
		err := stream.Err()
		end()
		if err == nil {
			t.Fatal("a stream ended without a message and without an error")
		}
		return nil, err
	}
	if ids := stream.Msg().GetHouseholdIds(); len(ids) != 0 {
		t.Fatalf("the first message names %v; want the empty confirmation", ids)
	}
	t.Cleanup(end)
	return &openStream{ServerStreamForClient: stream, close: end}, nil
}

// mustSubscribe is subscribe that fails the test on a refusal.
func (b *bundle) mustSubscribe(t *testing.T, tok string) *openStream {
	t.Helper()
	s, err := b.subscribe(t, tok)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return s
}

// sign signs a dev token for a professional on a device ("" for none), valid for ttl.
func (b *bundle) sign(t *testing.T, professionalID, deviceID string, ttl time.Duration) string {
	t.Helper()
	tok, err := b.dev.Sign(professionalID, deviceID, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// expiry is a token's exp claim.
func expiry(t *testing.T, tok string) time.Time {
	t.Helper()
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil || c.ExpiresAt == nil {
		t.Fatalf("token without a readable exp: %v", err)
	}
	return c.ExpiresAt.Time
}

// wantMessage fails the test unless err is a Connect error with code whose message has want.
func wantMessage(t *testing.T, err error, code connect.Code, want string) {
	t.Helper()
	if ce := wantCode(t, err, code); !strings.Contains(ce.Message(), want) {
		t.Fatalf("message %q does not say %q", ce.Message(), want)
	}
}

// TestSubscribeEndsWhenItsTokenExpires: a stream ends with Unauthenticated at its token's
// exp, although it polls only once an hour (so a timer ends it, not a tick), and its slot
// under the cap comes back, so the client can subscribe again at once with a fresh token.
func TestSubscribeEndsWhenItsTokenExpires(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{pollInterval: time.Hour, streamsPerProfessional: 1, streamsPerDevice: 1})
	lead := b.region.LeadID
	short := b.sign(t, lead, "phone-1", 2*time.Second)
	exp := expiry(t, short)
	stream := b.mustSubscribe(t, short)

	// The configured cap of one is taken: a second stream, even with a fresh token, is refused.
	fresh := b.sign(t, lead, "phone-1", time.Hour)
	_, err := b.subscribe(t, fresh)
	wantMessage(t, err, connect.CodeResourceExhausted, "at most 1")

	ended := make(chan error, 1)
	go func() {
		for stream.Receive() {
			ended <- nil // a poke: nothing writes, so there must be none
			return
		}
		ended <- stream.Err()
	}()
	select {
	case err := <-ended:
		at := time.Now()
		if err == nil {
			t.Fatal("the stream delivered a message instead of ending")
		}
		wantMessage(t, err, connect.CodeUnauthenticated, "token expired; subscribe again with a fresh token")
		// exp has whole seconds; the server ends the stream at exp on the same clock.
		if at.Before(exp.Add(-50*time.Millisecond)) || at.After(exp.Add(time.Second)) {
			t.Errorf("the stream ended at %v, want at its token's expiry %v", at.Format(time.StampMilli), exp.Format(time.StampMilli))
		}
	case <-time.After(6 * time.Second):
		t.Fatalf("the stream outlived its token (exp %v) by more than 4s", exp.Format(time.StampMilli))
	}

	// The slot was given back before the stream's end reached the client.
	b.mustSubscribe(t, fresh)
	if logs := b.logs.String(); strings.Contains(logs, `"level":"error"`) || strings.Contains(logs, strings.Split(short, ".")[2]) {
		t.Errorf("the expiry was logged as an error, or a token was logged:\n%s", logs)
	}
}

// TestSubscribeRefusesATokenPastItsExpiry: the verifier accepts a token up to auth.Leeway
// after its exp (clock skew), but a stream does not start on one: it would end at once.
func TestSubscribeRefusesATokenPastItsExpiry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	late := b.sign(t, b.region.LeadID, "phone-1", -5*time.Second)
	_, err := b.subscribe(t, late)
	wantMessage(t, err, connect.CodeUnauthenticated, "token expired; subscribe again with a fresh token")
}

// TestSubscribeCapsStreams: with the default caps, a device holds two streams and a
// professional eight; more are refused with ResourceExhausted and logged with ids only, other
// professionals are not affected, and a stream the client closes gives its slot back.
func TestSubscribeCapsStreams(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead := b.region.LeadID
	onDevice := func(device string) string { return b.sign(t, lead, device, time.Hour) }

	first := b.mustSubscribe(t, onDevice("phone-1"))
	b.mustSubscribe(t, onDevice("phone-1"))
	refusedToken := onDevice("phone-1")
	_, err := b.subscribe(t, refusedToken)
	wantMessage(t, err, connect.CodeResourceExhausted, "for this device (at most 2)")

	for _, device := range []string{"phone-2", "phone-2", "tablet", "tablet", "laptop", "laptop"} {
		b.mustSubscribe(t, onDevice(device))
	}
	_, err = b.subscribe(t, onDevice("phone-3"))
	wantMessage(t, err, connect.CodeResourceExhausted, "for this account (at most 8)")
	// A token without a device id counts against the professional's cap.
	_, err = b.subscribe(t, onDevice(""))
	wantMessage(t, err, connect.CodeResourceExhausted, "for this account (at most 8)")
	// Somebody else's streams are counted apart.
	b.mustSubscribe(t, b.token(t, b.region.SupervisorID))

	logs := b.logs.String()
	for _, want := range []string{`"message":"stream refused: too many concurrent Subscribe streams"`, `"professional_id":"` + lead + `"`,
		`"device_id":"phone-1"`, `"cap":"device"`, `"cap":"professional"`, `"limit":8`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, strings.Split(refusedToken, ".")[2]) {
		t.Error("a refused stream's token was logged")
	}

	// The client closes a stream: once the server has seen it go, its slot is free again.
	first.close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := b.subscribe(t, onDevice("phone-1"))
		if err == nil {
			break
		}
		wantCode(t, err, connect.CodeResourceExhausted)
		if time.Now().After(deadline) {
			t.Fatal("a closed stream's slot was not given back within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
