// Package server is the backend's edge: one HTTP server that serves Connect, gRPC and
// gRPC-Web on one port (HTTP/1.1 and h2c; HTTP/2 over TLS when certificates are set), with
// gRPC health checking that follows the database's readiness and server reflection (so buf
// curl and grpcurl work), Prometheus metrics of every request (package backend/metrics), a
// server-generated request id on every request and log line (a client's X-Request-Id is only
// logged beside it, sanitised), panic recovery and graceful shutdown.
//
// The metrics and the liveness and readiness probes are not on this port: the ops listener
// (OpsHandler, RunOps) serves them on an address of their own (--metrics-addr, this machine
// only by default), so that they are never as public as the family page.
//
// What it must never do: log or label anything a client controls beyond a known route name
// and a client's request id of at most 64 characters of [A-Za-z0-9._-].
// A family check-in link carries a token in its path, and query strings and headers may hold
// personal data or credentials, so unknown paths are logged and counted as "other".
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/veilig/veilig/backend/metrics"
)

// Service is one mounted Connect service, as returned by a generated NewXServiceHandler.
type Service struct {
	// Name is the fully-qualified protobuf service name, e.g. "veilig.v1.PlanService"; empty
	// for a plain HTTP handler mounted at Path (it gets no health or reflection entry).
	Name    string
	Path    string
	Handler http.Handler
	// Drain, when set, is called once the server has stopped serving at shutdown, within
	// ShutdownTimeout: for work a handler started that outlives its requests (the family
	// page's urgent alerts).
	Drain func(ctx context.Context) error
}

// Config configures a Server. The zero value serves on :8080 with a no-op logger.
type Config struct {
	Addr            string // default ":8080"
	TLSCertFile     string // TLS when both files are set
	TLSKeyFile      string
	Logger          zerolog.Logger
	ShutdownTimeout time.Duration // default 15s: how long in-flight requests may finish
	// Metrics receives the server's request metrics; nil means metrics.New() (served by
	// nobody).
	Metrics *metrics.Metrics
	// Ready decides what the gRPC health service answers: NOT_SERVING while it is not ready
	// (the database is down). Nil is always SERVING.
	Ready *Readiness

	// Resource limits (issue 13, point 5); zero means the Default of each, negative none
	// (for tests).

	// ReadHeaderTimeout bounds reading a request's headers (DefaultReadHeaderTimeout).
	ReadHeaderTimeout time.Duration
	// BodyTimeout bounds reading a request's body on every route (DefaultBodyTimeout).
	BodyTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle this long (DefaultIdleTimeout).
	IdleTimeout time.Duration
	// WriteTimeout bounds answering a request that is not a stream (DefaultWriteTimeout).
	WriteTimeout time.Duration
	// MaxConnections caps open client connections (DefaultMaxConnections).
	MaxConnections int
	// MaxInFlight caps requests handled at once, streams aside (DefaultMaxInFlight).
	MaxInFlight int
	// MaxConcurrentStreams caps the HTTP/2 streams of one connection
	// (DefaultMaxConcurrentStreams).
	MaxConcurrentStreams int
	// FailureLogRate caps failure lines a second per route and code (DefaultFailureLogRate).
	FailureLogRate int
}

// orDefault returns v, or def when v is zero; negative stays (none).
func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Server is the backend's HTTP server.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	routes  []string // known path prefixes, the only paths that reach logs and metrics
	metrics *metrics.Metrics
	addr    chan net.Addr

	// procedures are the method paths of the mounted services, the only paths below a
	// service prefix that reach logs and metrics; streams are those of them that stream
	// (not counted against MaxInFlight).
	procedures map[string]bool
	streams    map[string]bool
	failureLog *logSampler
	drains     []func(ctx context.Context) error
}

// New builds a server for services.
func New(cfg Config, services []Service) *Server {
	if cfg.Addr == "" {
		cfg.Addr = ":8080"
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	cfg.ReadHeaderTimeout = orDefault(cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	cfg.BodyTimeout = orDefault(cfg.BodyTimeout, DefaultBodyTimeout)
	cfg.IdleTimeout = orDefault(cfg.IdleTimeout, DefaultIdleTimeout)
	cfg.WriteTimeout = orDefault(cfg.WriteTimeout, DefaultWriteTimeout)
	cfg.MaxConnections = orDefault(cfg.MaxConnections, DefaultMaxConnections)
	cfg.MaxInFlight = orDefault(cfg.MaxInFlight, DefaultMaxInFlight)
	cfg.MaxConcurrentStreams = orDefault(cfg.MaxConcurrentStreams, DefaultMaxConcurrentStreams)
	cfg.FailureLogRate = orDefault(cfg.FailureLogRate, DefaultFailureLogRate)
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: cfg.Metrics, addr: make(chan net.Addr, 1),
		streams: map[string]bool{"/" + grpchealth.HealthV1ServiceName + "/Watch": true}, failureLog: newLogSampler(cfg.FailureLogRate)}
	s.procedures = map[string]bool{
		"/" + grpchealth.HealthV1ServiceName + "/Check":                       true,
		"/" + grpchealth.HealthV1ServiceName + "/Watch":                       true,
		"/" + grpcreflect.ReflectV1ServiceName + "/ServerReflectionInfo":      true,
		"/" + grpcreflect.ReflectV1AlphaServiceName + "/ServerReflectionInfo": true,
	}
	names := []string{grpchealth.HealthV1ServiceName}
	for _, svc := range services {
		s.Handle(svc.Path, svc.Handler)
		if svc.Drain != nil {
			s.drains = append(s.drains, svc.Drain)
		}
		if svc.Name == "" {
			continue // a plain HTTP mount (the family page), not a Connect service
		}
		names = append(names, svc.Name)
		if d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc.Name)); err == nil {
			if sd, ok := d.(protoreflect.ServiceDescriptor); ok {
				for i := range sd.Methods().Len() {
					m := sd.Methods().Get(i)
					s.procedures["/"+svc.Name+"/"+string(m.Name())] = true
					if m.IsStreamingClient() || m.IsStreamingServer() {
						s.streams["/"+svc.Name+"/"+string(m.Name())] = true
					}
				}
			}
		}
	}
	s.Handle(grpchealth.NewHandler(newHealthChecker(cfg.Ready, names...)))
	reflector := grpcreflect.NewStaticReflector(names...)
	s.Handle(grpcreflect.NewHandlerV1(reflector))
	s.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	return s
}

// Handle mounts h on pattern (a path prefix when it ends in "/"). The pattern becomes a
// route name in logs and metrics; so must never contain anything secret.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	s.routes = append(s.routes, pattern)
}

// route names a request for logs and metrics: a mounted pattern, the procedure for a method
// of a mounted service, or "other".
func (s *Server) route(r *http.Request) string {
	for _, p := range s.routes {
		switch {
		case p == r.URL.Path:
			return p
		case strings.HasSuffix(p, "/") && strings.HasPrefix(r.URL.Path, p):
			// A method of a mounted service is safe to name. Anything else under a prefix is
			// client-chosen: a family link's /c/<token>, or a made-up method name that would
			// add a log value and a metrics series per request.
			if s.procedures[r.URL.Path] {
				return r.URL.Path
			}
			return p
		}
	}
	return "other"
}

// Handler is the full handler chain, for tests that serve it themselves.
func (s *Server) Handler() http.Handler {
	return withBodyDeadline(s.cfg.BodyTimeout, withWriteDeadline(s.cfg.WriteTimeout, s.streams,
		s.withRequestID(s.withAccessLog(withInFlightLimit(s.cfg.MaxInFlight, s.streams, s.withRecovery(s.mux))))))
}

// Addr returns the bound address once the server listens.
func (s *Server) Addr() net.Addr {
	a := <-s.addr
	s.addr <- a
	return a
}

// Run listens on the configured address and serves until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, then shuts down gracefully: it stops accepting
// connections and lets in-flight requests finish, for at most ShutdownTimeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	protocols.SetHTTP2(true)
	// No ReadTimeout or WriteTimeout: both would end SyncService.Subscribe streams. The
	// body deadline (withBodyDeadline) bounds what ReadTimeout would, per request.
	hs := &http.Server{
		Handler:           s.Handler(),
		Protocols:         protocols,
		ReadHeaderTimeout: max(s.cfg.ReadHeaderTimeout, 0),
		IdleTimeout:       max(s.cfg.IdleTimeout, 0),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: max(s.cfg.MaxConcurrentStreams, 0)},
	}
	if s.cfg.MaxConnections > 0 {
		ln = newLimitListener(ln, s.cfg.MaxConnections)
	}
	// Streams (SyncService.Subscribe) never end by themselves; they watch this channel so
	// that a shutdown ends them instead of waiting out ShutdownTimeout.
	stopping := make(chan struct{})
	hs.RegisterOnShutdown(func() { close(stopping) })
	hs.BaseContext = func(net.Listener) context.Context {
		return context.WithValue(context.Background(), stoppingKey{}, (<-chan struct{})(stopping))
	}
	s.addr <- ln.Addr()
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLSCertFile != "" && s.cfg.TLSKeyFile != "" {
			errc <- hs.ServeTLS(ln, s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.cfg.Logger.Info().Msg("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	for _, drain := range s.drains {
		if err := drain(sctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

type stoppingKey struct{}

// ShuttingDown returns a channel that is closed when the server serving ctx's request begins
// a graceful shutdown: long-lived streams end on it. Outside a server it never closes.
func ShuttingDown(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(stoppingKey{}).(<-chan struct{})
	return ch
}

type requestIDKey struct{}

// safeClientRequestID is what a client's X-Request-Id must look like to be logged, as
// client_request_id, beside the server's own id; anything else is dropped.
var safeClientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// RequestID returns the id of the request ctx belongs to, or "". The server generates it for
// every request; a client's X-Request-Id never becomes it (so a client cannot choose the id
// that audit rows and log lines carry, or make two requests share one).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withRequestID gives every request a fresh id: in the X-Request-Id response header, in the
// context (RequestID) and on every line logged for it. A client's own X-Request-Id, when it is
// at most 64 characters of [A-Za-z0-9._-], is logged beside it as client_request_id, so that a
// client's trace can be found in the server's log; it is used for nothing else.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		logCtx := s.cfg.Logger.With().Str("request_id", id)
		if client := r.Header.Get("X-Request-Id"); safeClientRequestID.MatchString(client) {
			logCtx = logCtx.Str("client_request_id", client)
		}
		log := logCtx.Logger()
		ctx := context.WithValue(log.WithContext(r.Context()), requestIDKey{}, id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				zerolog.Ctx(r.Context()).Error().Str("route", s.route(r)).Msg(fmt.Sprintf("panic: %T", v))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
