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
type Listener interface {
	OnSync(result *SyncResult)
	OnSyncError(message string)
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
	mu       sync.Mutex
	path     string
	deviceID string
	storage  *clientsqlite.Storage
	r        *client.Replica // nil while locked or erased
	erased   bool
	// set by SetServer
	baseURL  string
	tokens   TokenSource
	http     *http.Client
	listener Listener
	// the Subscribe stream, if any: cancel stops it, done closes when it has stopped
	cancelStream context.CancelFunc
	streamDone   chan struct{}
	now          func() time.Time
}

// Open opens the replica at path (a file in the app's private storage), creating it when
// absent, encrypted with key (KeySize bytes). deviceID names this installation in the audit
// log and in conflicts; keep it stable across app starts. A file written with another key, or
// a key of the wrong size, is an error: the app must not then start afresh over it, because it
// may hold edits not yet sent.
func Open(path string, key []byte, deviceID string) (*Replica, error) {
	m := &Replica{path: path, deviceID: deviceID, http: &http.Client{}, now: time.Now}
	if err := m.unlock(key); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Replica) unlock(key []byte) error {
	ctx := context.Background()
	st, err := clientsqlite.Open(ctx, m.path, clientsqlite.WithKey(key))
	if err != nil {
		return fmt.Errorf("open replica: %w", err)
	}
	r, err := client.Open(ctx, m.deviceID, st, m.transportLocked(), m.now)
	if err != nil {
		st.Close()
		return fmt.Errorf("open replica: %w", err)
	}
	m.storage, m.r = st, r
	return nil
}

// transportLocked is the Connect transport to the server set by SetServer; every call asks
// the TokenSource for the token. Without a server it fails every call with ErrNoServer.
func (m *Replica) transportLocked() client.Transport { return &lazyTransport{m: m} }

// lazyTransport reads the server settings at each call, so SetServer may come after Open and
// change them later (another environment, a new sign-in).
type lazyTransport struct{ m *Replica }

func (t *lazyTransport) connect() (*clientconnect.Transport, error) {
	t.m.mu.Lock()
	base, tokens, hc := t.m.baseURL, t.m.tokens, t.m.http
	t.m.mu.Unlock()
	if base == "" || tokens == nil {
		return nil, ErrNoServer
	}
	tok, err := tokens.Token()
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	return clientconnect.New(hc, base, func() string { return tok }), nil
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

// replica returns the open client.Replica, or why there is none.
func (m *Replica) replica() (*client.Replica, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.erased:
		return nil, ErrErased
	case m.r == nil:
		return nil, ErrLocked
	}
	return m.r, nil
}

// Lock stops the Subscribe stream, closes the file and drops every household from memory.
// Call it when the app goes to the background for longer than its policy allows, or when the
// user signs out without erasing. Locking a locked replica does nothing.
func (m *Replica) Lock() error {
	m.stopStream()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.r == nil {
		return nil
	}
	m.r = nil
	st := m.storage
	m.storage = nil
	if err := st.Close(); err != nil {
		return fmt.Errorf("lock replica: %w", err)
	}
	return nil
}

// Unlock opens a locked replica again with its key. Unlocking an open replica does nothing;
// a wrong key is an error and leaves it locked.
func (m *Replica) Unlock(key []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.erased {
		return ErrErased
	}
	if m.r != nil {
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

// Erase deletes the replica from the device: it stops the stream, closes the file and removes
// it with its log, unsent edits included. Use it on sign-out, when the server revokes the
// device, or for a remote wipe. The Replica cannot be used afterwards (ErrErased); erasing
// twice does nothing.
func (m *Replica) Erase() error {
	m.stopStream()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.erased {
		return nil
	}
	m.erased, m.r = true, nil
	var errs []error
	if m.storage != nil {
		errs = append(errs, m.storage.Close())
		m.storage = nil
	}
	errs = append(errs, clientsqlite.Remove(m.path))
	if err := errors.Join(errs...); err != nil {
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
