package mobile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/client"
	"github.com/veilig/veilig/sync/client/clientconnect"
	"github.com/veilig/veilig/sync/client/clientsqlite"
	"github.com/veilig/veilig/sync/hlc"
)

// KeySize is the length of a replica key in bytes. The app generates the key once from a
// secure random source and keeps it in the Android Keystore or iOS Keychain.
const KeySize = clientsqlite.KeySize

// ErrLocked is returned by the methods of a locked Replica; Unlock it with its key.
var ErrLocked = errors.New("mobile: the replica is locked")

// ErrErased is returned by the methods of an erased Replica: open a new one.
var ErrErased = errors.New("mobile: the replica was erased")

// ErrLeaseExpired is returned by the reads (HouseholdsJSON, EntriesJSON, …) and edits of a
// replica whose offline lease has run out without a successful sync: the data is kept but not
// shown; the next successful Sync shows it again. The server sets the lease (default 72 h).
var ErrLeaseExpired = client.ErrLeaseExpired

// ErrNoServer is returned by Sync, Subscribe and RegisterPushToken before SetServer.
var ErrNoServer = errors.New("mobile: no server set (call SetServer)")

// TokenSource is implemented by the app: Token returns a valid bearer token for the signed-in
// professional (refreshing it with the identity provider when needed). It is called before
// every sync and stream, from a background thread.
type TokenSource interface {
	Token() (string, error)
}

// Listener is implemented by the app to hear of syncs: OnSync is called, from a background
// thread, after every sync that Subscribe or HandlePush started, with its result; the app
// reloads what its screens show. OnSyncError is called when such a sync failed; the message
// names what failed and carries no household data.
//
// OnErased is called, from a background thread, once the replica has erased all its data
// (the file is gone; every method then returns ErrErased): reason "access_ended" when the
// server ended access on this device (the device was revoked, or the account disabled; the
// app signs out), "lease_expired" when the phone went without a successful sync for the
// second, longer period of its offline lease (the app asks the user to sign in again).
type Listener interface {
	OnSync(result *SyncResult)
	OnSyncError(message string)
	OnErased(reason string)
}

// SyncResult says what one sync did.
type SyncResult struct {
	// Pushed is the number of local edits the server answered.
	Pushed int
	// Pulled is the number of households that came with changes.
	Pulled int
	// Evicted is the number of households deleted from the device because its user may no
	// longer see them.
	Evicted int
	// Pending is the number of edits still waiting to be sent.
	Pending int
}

// Replica is a phone's replica of its user's households. It is safe for concurrent use; its
// methods block on disk and (Sync, RegisterPushToken) on the network, so the app calls them
// off the main thread.
type Replica struct {
	path     string
	deviceID string
	http     *http.Client
	now      func() time.Time

	// ops is held shared by every call that uses the open replica and exclusively by Lock,
	// Unlock and Erase, so that once Lock returns no call still reads or writes the file.
	ops sync.RWMutex

	mu sync.Mutex // guards the fields below
	// The open replica: nil while locked or erased. session is cancelled when Lock or Erase
	// begins, so that a sync in flight stops at once instead of making Lock wait for its
	// timeout.
	storage    *clientsqlite.Storage
	r          *client.Replica
	session    context.Context
	endSession context.CancelFunc
	erased     bool
	// Set by SetServer and SetListener.
	baseURL    string
	tokens     TokenSource
	listener   Listener
	appVersion string // set by SetAppVersion
	// The Subscribe stream, if any: cancelStream stops it, streamDone closes when it has.
	cancelStream context.CancelFunc
	streamDone   chan struct{}
}

// Open opens the replica at path (a file in the app's private storage), creating it when
// absent, encrypted with key (KeySize bytes). deviceID names this installation in the
// replica's own records; keep it stable across app starts. A file written with another key, or
// a key of the wrong size, is an error: the app must not then start afresh over it, because it
// may hold edits not yet sent.
func Open(path string, key []byte, deviceID string) (*Replica, error) {
	m := &Replica{path: path, deviceID: deviceID, http: &http.Client{}, now: time.Now}
	if err := m.unlock(key); err != nil {
		return nil, err
	}
	return m, nil
}

// unlock opens the file and the replica; m.ops is held exclusively, or m is not shared yet.
func (m *Replica) unlock(key []byte) error {
	ctx := context.Background()
	st, err := clientsqlite.Open(ctx, m.path, clientsqlite.WithKey(key))
	if err != nil {
		return fmt.Errorf("open replica: %w", err)
	}
	r, err := client.Open(ctx, m.deviceID, st, &lazyTransport{m: m}, m.now)
	if err != nil {
		st.Close()
		return fmt.Errorf("open replica: %w", err)
	}
	session, end := context.WithCancel(context.Background())
	m.mu.Lock()
	m.storage, m.r, m.session, m.endSession = st, r, session, end
	m.mu.Unlock()
	return nil
}

// lazyTransport is the Connect transport to the server that SetServer set, read at each call
// so that SetServer may come after Open and change it later (another environment, a new
// sign-in); each call asks the TokenSource for a token. Without a server every call fails
// with ErrNoServer.
type lazyTransport struct{ m *Replica }

func (t *lazyTransport) connect() (*clientconnect.Transport, error) {
	base, tok, err := t.m.credentials()
	if err != nil {
		return nil, err
	}
	return clientconnect.New(t.m.http, base, func() string { return tok }, clientconnect.WithAppVersion(t.m.version())), nil
}

func (t *lazyTransport) Push(ctx context.Context, batch []client.Mutation) ([]change.Result, hlc.Timestamp, error) {
	c, err := t.connect()
	if err != nil {
		return nil, 0, err
	}
	return c.Push(ctx, batch)
}

func (t *lazyTransport) Pull(ctx context.Context, cursors map[string]int64, maxBytes int) (*client.PullPage, error) {
	c, err := t.connect()
	if err != nil {
		return nil, err
	}
	return c.Pull(ctx, cursors, maxBytes)
}

// acquire returns the open replica and the context of its session, or why there is none. The
// caller must call release when done; until then Lock and Erase wait.
func (m *Replica) acquire() (r *client.Replica, ctx context.Context, release func(), err error) {
	m.ops.RLock()
	m.mu.Lock()
	r, ctx, erased := m.r, m.session, m.erased
	m.mu.Unlock()
	switch {
	case erased:
		m.ops.RUnlock()
		return nil, nil, nil, ErrErased
	case r == nil:
		m.ops.RUnlock()
		return nil, nil, nil, ErrLocked
	}
	return r, ctx, m.ops.RUnlock, nil
}

// acquireShown is acquire for a read of the data: it refuses while the offline lease has run
// out (ErrLeaseExpired), and erases the replica (telling the Listener) once its second period
// has (ErrErased).
func (m *Replica) acquireShown() (r *client.Replica, ctx context.Context, release func(), err error) {
	r, ctx, release, err = m.acquire()
	if err != nil {
		return nil, nil, nil, err
	}
	switch err := r.CheckLease(ctx); {
	case errors.Is(err, client.ErrErased):
		reason := r.Erased()
		release()
		m.erasedBy(reason)
		return nil, nil, nil, ErrErased
	case err != nil:
		release()
		return nil, nil, nil, err
	}
	return r, ctx, release, nil
}

// erasedBy erases the replica's file after the replica erased its data for reason, and tells
// the Listener. It must be called without holding acquire's release.
func (m *Replica) erasedBy(reason string) {
	if err := m.Erase(); err != nil {
		m.tellError(err)
	}
	m.mu.Lock()
	l := m.listener
	m.mu.Unlock()
	if l != nil {
		l.OnErased(reason)
	}
}

// shutdown begins a Lock or Erase: it stops the stream (without waiting for it, so that a
// Listener callback, which runs on the stream's goroutine, may call Lock) and cancels the
// session, so that a sync in flight ends now.
func (m *Replica) shutdown() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancelStream != nil {
		m.cancelStream()
		m.cancelStream, m.streamDone = nil, nil
	}
	if m.endSession != nil {
		m.endSession()
	}
}

// closeFile closes the open replica, if any; m.ops is held exclusively.
func (m *Replica) closeFile() error {
	m.mu.Lock()
	st := m.storage
	m.storage, m.r, m.session, m.endSession = nil, nil, nil, nil
	m.mu.Unlock()
	if st == nil {
		return nil
	}
	return st.Close()
}

// Lock stops the Subscribe stream, ends a sync in flight, closes the file and drops every
// household from memory; it returns when no call uses the replica any more. Call it when the
// app goes to the background for longer than its policy allows. Locking a locked replica does
// nothing. A Listener callback may call it.
func (m *Replica) Lock() error {
	m.shutdown()
	m.ops.Lock()
	defer m.ops.Unlock()
	if err := m.closeFile(); err != nil {
		return fmt.Errorf("lock replica: %w", err)
	}
	return nil
}

// Unlock opens a locked replica again with its key. Unlocking an open replica does nothing;
// a wrong key is an error and leaves it locked. A stream that Lock stopped is not restarted:
// call Subscribe again.
func (m *Replica) Unlock(key []byte) error {
	m.ops.Lock()
	defer m.ops.Unlock()
	m.mu.Lock()
	erased, open := m.erased, m.r != nil
	m.mu.Unlock()
	switch {
	case erased:
		return ErrErased
	case open:
		return nil
	}
	return m.unlock(key)
}

// IsLocked reports whether the replica is locked (or erased).
func (m *Replica) IsLocked() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.r == nil
}

// Erase deletes the replica from the device: it stops the stream, ends a sync in flight,
// closes the file and removes it with its log, unsent edits included. Use it on sign-out,
// when the server revokes the device, or for a remote wipe. The Replica cannot be used
// afterwards (ErrErased); erasing twice does nothing. A Listener callback may call it.
func (m *Replica) Erase() error {
	m.shutdown()
	m.ops.Lock()
	defer m.ops.Unlock()
	m.mu.Lock()
	if m.erased {
		m.mu.Unlock()
		return nil
	}
	m.erased = true
	m.mu.Unlock()
	if err := errors.Join(m.closeFile(), clientsqlite.Remove(m.path)); err != nil {
		return fmt.Errorf("erase replica: %w", err)
	}
	return nil
}

// Close stops the stream and closes the file; the app calls it when it terminates. It is
// Lock under the name a platform's lifecycle expects: the file stays, and Unlock opens it.
func (m *Replica) Close() error { return m.Lock() }

// NewRecordID returns a fresh id for a plan entry the user creates.
func NewRecordID() string { return client.NewID() }

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}
