package mobile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
	"github.com/veilig/veilig/sync/client"
	"github.com/veilig/veilig/sync/client/clientconnect"
)

// SetServer sets the server's base URL ("https://veilig.example.org") and the app's token
// source. It may be called again (a new sign-in, another environment); an open Subscribe
// stream keeps its settings until it reconnects.
func (m *Replica) SetServer(baseURL string, tokens TokenSource) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.baseURL, m.tokens = strings.TrimRight(baseURL, "/"), tokens
}

// SetAppVersion sets the app's semantic version ("1.4.2"), sent with every call to the
// server (the X-Veilig-App-Version header), which refuses apps older than its minimum with an
// error naming the minimum version. Without it no version is sent, and a server with a
// minimum refuses every call.
func (m *Replica) SetAppVersion(version string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.appVersion = version
}

func (m *Replica) version() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.appVersion
}

// setHeaders sets a request's token and app version.
func (m *Replica) setHeaders(h interface{ Set(key, value string) }, token string) {
	h.Set("Authorization", "Bearer "+token)
	if v := m.version(); v != "" {
		h.Set(clientconnect.AppVersionHeader, v)
	}
}

// SetListener sets the app's Listener (nil for none).
func (m *Replica) SetListener(l Listener) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.listener = l
}

// Sync sends the local edits and pulls every change of the user's households, within
// timeoutSeconds (at least 1). It returns what it did; on an error what was answered stays
// answered, and the next sync continues. A household the user may no longer see is deleted
// from the device by it. When the server says access has ended on this device (revoked, or
// the account disabled), everything is erased, the Listener's OnErased is called, and Sync
// returns an error wrapping ErrErased. A sync renews the offline lease.
func (m *Replica) Sync(timeoutSeconds int) (*SyncResult, error) {
	r, ctx, release, err := m.acquire()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(max(timeoutSeconds, 1))*time.Second)
	rep, err := r.Sync(ctx)
	cancel()
	res := &SyncResult{Pushed: rep.Pushed, Pulled: rep.Pulled, Evicted: rep.Evicted, Pending: r.Pending()}
	release()
	if errors.Is(err, client.ErrAccessEnded) {
		// The replica erased its data; the file goes too, and the app hears of it.
		m.erasedBy(client.ErasedAccessEnded)
		return res, fmt.Errorf("sync: %w: %w", ErrErased, err)
	}
	if err != nil {
		return res, fmt.Errorf("sync: %w", err)
	}
	return res, nil
}

// syncAndTell syncs and tells the listener; the sync of a poke or a push.
func (m *Replica) syncAndTell(timeoutSeconds int) error {
	res, err := m.Sync(timeoutSeconds)
	m.mu.Lock()
	l := m.listener
	m.mu.Unlock()
	if l != nil {
		if err != nil {
			l.OnSyncError(err.Error())
		} else {
			l.OnSync(res)
		}
	}
	return err
}

// HandlePush handles an FCM data message: kind and ref are its "kind" and "ref" entries.
// Every kind ("sync", "alert", "digest") syncs first, within timeoutSeconds, because what a
// push refers to is resolved only from synced data; it returns the sync's error. The push
// itself carries no household data, so handling it before unlock is safe, but a locked
// replica cannot sync: it returns ErrLocked, and the app syncs on unlock.
func (m *Replica) HandlePush(kind, ref string, timeoutSeconds int) error {
	_ = ref // an alert or digest id; the app opens it with AlertService after the sync
	switch kind {
	case "sync", "alert", "digest":
		return m.syncAndTell(timeoutSeconds)
	}
	return fmt.Errorf("push: unknown kind %q", kind)
}

// RegisterPushToken registers the FCM registration token of this device with the server,
// for reminders and "please sync" pokes. platform is "android" or "ios". A token that another
// account holds is refused: ask Firebase for a new one and register that.
func (m *Replica) RegisterPushToken(token, platform string) error {
	p, ok := map[string]veiligv1.Platform{"android": veiligv1.Platform_PLATFORM_ANDROID, "ios": veiligv1.Platform_PLATFORM_IOS}[platform]
	if !ok {
		return fmt.Errorf("register push token: unknown platform %q", platform)
	}
	_, ctx, release, err := m.acquire()
	if err != nil {
		return err
	}
	defer release()
	base, tok, err := m.credentials()
	if err != nil {
		return fmt.Errorf("register push token: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req := connect.NewRequest(&veiligv1.RegisterDeviceRequest{Token: token, Platform: p, AppVersion: m.version()})
	m.setHeaders(req.Header(), tok)
	if _, err := veiligv1connect.NewDeviceServiceClient(m.http, base).RegisterDevice(ctx, req); err != nil {
		return fmt.Errorf("register push token: %w", err)
	}
	return nil
}

// credentials returns the server URL and a fresh token.
func (m *Replica) credentials() (base, token string, err error) {
	m.mu.Lock()
	base, tokens := m.baseURL, m.tokens
	m.mu.Unlock()
	if base == "" || tokens == nil {
		return "", "", ErrNoServer
	}
	token, err = tokens.Token()
	if err != nil {
		return "", "", fmt.Errorf("token: %w", err)
	}
	return base, token, nil
}

// Subscribe keeps a SyncService/Subscribe stream open in the background while the app is in
// the foreground: it syncs at once, and again whenever the server says one of the user's
// households changed, telling the Listener each time. A dropped stream (no signal, an
// expired token, a server restart) is opened again after Backoff, with a fresh token. Call
// Unsubscribe when the app goes to the background (FCM pushes take over then). Subscribing
// twice keeps the first stream.
func (m *Replica) Subscribe() error {
	_, session, release, err := m.acquire()
	if err != nil {
		return err
	}
	defer release()
	if _, _, err := m.credentials(); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancelStream != nil {
		return nil
	}
	// The stream belongs to the session: Lock and Erase end it with the session.
	ctx, cancel := context.WithCancel(session)
	done := make(chan struct{})
	m.cancelStream, m.streamDone = cancel, done
	go func() {
		defer close(done)
		m.subscribeLoop(ctx)
	}()
	return nil
}

// Unsubscribe closes the Subscribe stream and waits until its goroutine has stopped. It must
// not be called from a Listener callback, which runs on that goroutine (Lock and Erase may be).
func (m *Replica) Unsubscribe() { m.stopStream() }

func (m *Replica) stopStream() {
	m.mu.Lock()
	cancel, done := m.cancelStream, m.streamDone
	m.cancelStream, m.streamDone = nil, nil
	m.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// subscribeLoop runs streams until ctx ends, with a backoff after each failure. A stream that
// delivered at least one poke counts as a success, so a phone whose stream ends every hour
// (token expiry) reconnects at once rather than after a growing wait.
func (m *Replica) subscribeLoop(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		if m.stream(ctx) {
			failures = 0
		} else {
			failures++
		}
		if ctx.Err() != nil {
			return
		}
		wait := time.Duration(0)
		if failures > 0 {
			wait = client.Backoff(failures)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// stream runs one Subscribe stream: it syncs on the confirming first message and on every
// poke, until the stream or ctx ends. It reports whether the stream was confirmed.
func (m *Replica) stream(ctx context.Context) (confirmed bool) {
	base, tok, err := m.credentials()
	if err != nil {
		m.tellError(fmt.Errorf("subscribe: %w", err))
		return false
	}
	req := connect.NewRequest(&veiligv1.SubscribeRequest{})
	m.setHeaders(req.Header(), tok)
	s, err := veiligv1connect.NewSyncServiceClient(m.http, base).Subscribe(ctx, req)
	if err != nil {
		m.tellError(fmt.Errorf("subscribe: %w", err))
		return false
	}
	defer s.Close()
	for s.Receive() {
		confirmed = true
		if err := m.syncAndTell(60); errors.Is(err, ErrLocked) || errors.Is(err, ErrErased) {
			return confirmed
		}
	}
	err = s.Err()
	if _, ended := clientconnect.AccessEnded(err); ended {
		// The stream ended because access ended on this device: erase, as a sync would.
		m.erasedBy(client.ErasedAccessEnded)
		return confirmed
	}
	if err != nil && ctx.Err() == nil {
		m.tellError(fmt.Errorf("subscribe: %w", err))
	}
	return confirmed
}

func (m *Replica) tellError(err error) {
	m.mu.Lock()
	l := m.listener
	m.mu.Unlock()
	if l != nil {
		l.OnSyncError(err.Error())
	}
}
