package server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
)

// Defaults of Config's resource limits (issue 13, point 5). Every one is a `veilig serve`
// flag; these are what a single replica of the performance budget handles comfortably.
const (
	// DefaultReadHeaderTimeout bounds reading a request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultBodyTimeout bounds reading a request's body, from its first byte to its last.
	// Our largest request (1 MiB) takes well under a second on a phone network; a body
	// trickled in byte by byte is cut here, on every route.
	DefaultBodyTimeout = 30 * time.Second
	// DefaultIdleTimeout is how long a keep-alive connection may sit idle between requests.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultWriteTimeout bounds writing the response of a request that is not a stream: a
	// 4 MiB pull page reaches a slow phone well within it, and a client that reads its
	// answer a byte at a time cannot hold an in-flight slot for longer.
	DefaultWriteTimeout = 60 * time.Second
	// DefaultMaxConnections caps open client connections: more wait in the listen backlog.
	DefaultMaxConnections = 4096
	// DefaultMaxInFlight caps requests being handled at once, long-lived streams aside
	// (those have their own per-professional and per-device caps); more are refused at once
	// with resource_exhausted.
	DefaultMaxInFlight = 1024
	// DefaultMaxConcurrentStreams caps the HTTP/2 streams of one connection. It is also
	// what bounds an HTTP/2 rapid-reset flood per connection: Go's server runs at most this
	// many handlers of one connection at once and closes a connection whose peer queues
	// more, so resetting streams buys an attacker no extra concurrency.
	DefaultMaxConcurrentStreams = 100
	// DefaultFailureLogRate is how many failure lines per second one (route, code) pair may
	// write; the rest are counted and summarised, so a flood cannot fill the disk.
	DefaultFailureLogRate = 10
)

// limitListener caps the connections a listener has open at once. Accept waits for a free
// slot, so excess clients queue in the kernel's backlog instead of costing a goroutine and
// buffers each.
type limitListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

// Accept waits for a free slot, then accepts.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

// Close closes the listener and wakes an Accept waiting for a slot.
func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// withBodyDeadline sets a read deadline on each request for reading its body, and lifts it
// once the body has been read to its end, so that a long-lived stream whose request has
// arrived is not cut. http.Server's ReadTimeout cannot do this: on HTTP/1.1 it stays on the
// connection and would end a stream.
func withBodyDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d <= 0 || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(d)); err != nil {
			next.ServeHTTP(w, r) // a writer without deadlines (tests): nothing to lift
			return
		}
		r.Body = &deadlineBody{ReadCloser: r.Body, lift: func() { _ = rc.SetReadDeadline(time.Time{}) }}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the body deadline when the body ends.
type deadlineBody struct {
	io.ReadCloser
	once sync.Once
	lift func()
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.once.Do(b.lift)
	}
	return n, err
}

// withWriteDeadline bounds the time to answer each request that is not one of streams (those
// live as long as their token; http.Server's WriteTimeout would end them).
func withWriteDeadline(d time.Duration, streams map[string]bool, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !streams[r.URL.Path] {
			// Not every ResponseWriter supports deadlines (httptest's does not).
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
		}
		next.ServeHTTP(w, r)
	})
}

// errBusy is the answer over MaxInFlight. It names the limit, so an operator reading a
// client's error knows which flag to look at.
var errBusy = errors.New("server busy: too many requests in flight (limit --max-in-flight); retry shortly")

// withInFlightLimit refuses requests beyond max handled at once with resource_exhausted, in
// the caller's protocol (Connect, gRPC, gRPC-Web), or a 503 for plain HTTP routes. streams
// are the procedures not counted: long-lived, capped elsewhere.
func withInFlightLimit(max int, streams map[string]bool, next http.Handler) http.Handler {
	if max <= 0 {
		return next
	}
	slots := make(chan struct{}, max)
	errw := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if streams[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			zerolog.Ctx(r.Context()).Debug().Msg("request refused: in-flight limit")
			if errw.IsSupported(r) {
				_ = errw.Write(w, r, connect.NewError(connect.CodeResourceExhausted, errBusy))
				return
			}
			w.Header().Set("Retry-After", "1")
			http.Error(w, errBusy.Error(), http.StatusServiceUnavailable)
			return
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}
