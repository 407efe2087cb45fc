package server

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/time/rate"

	"github.com/rs/zerolog"
)

// Recorder wraps a ResponseWriter and remembers the status and size a handler wrote, for the
// access log and for anyone else who must tell what a handler answered (the family page's
// answer counts); it keeps streaming and http.ResponseController working.
type Recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the status.
func (r *Recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write counts the bytes written.
func (r *Recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush keeps server streams and gRPC trailers working through the recorder.
func (r *Recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Status is the status written so far: 0 before anything was written, 200 after a Write
// without WriteHeader.
func (r *Recorder) Status() int { return r.status }

// withAccessLog writes one line per request: method, route, status, the RPC's Connect code
// (for gRPC an error travels in a trailer under HTTP status 200, so the HTTP status alone
// would say 200 for every failure), duration in milliseconds (took_ms), size. Never headers, bodies, query strings or
// unknown paths. A request whose client went away before anything was written is logged with
// status 499 and code canceled, not as a 200, and only at debug level (nothing failed here);
// an unavailable answer (a database outage) at warn, other 5xx at error. Failure lines are sampled per (route, code):
// at most FailureLogRate a second each, the rest counted in the next line's suppressed field,
// so a flood of failures (an HTTP/2 rapid reset, a credential-stuffing run) cannot fill the
// disk.
func (s *Server) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &Recorder{ResponseWriter: w}
		out := &rpcOutcome{}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), rpcOutcomeKey{}, out)))
		if rec.status == 0 {
			rec.status = http.StatusOK
			if r.Context().Err() != nil && rec.bytes == 0 {
				rec.status = statusClientClosed
			}
		}
		route := s.route(r)
		took := time.Since(start)
		code := ""
		if s.procedures[r.URL.Path] {
			code = out.codeOf(r, rec)
		}
		s.metrics.HTTPRequest(route, rec.status, took)
		lvl := zerolog.InfoLevel
		switch {
		case code == connect.CodeCanceled.String() || rec.status == statusClientClosed:
			// The client went away: nothing failed here.
			lvl = zerolog.DebugLevel
		case code == connect.CodeUnavailable.String() || rec.status == http.StatusServiceUnavailable:
			// A database outage or a shutdown: transient, and reported once by readiness.
			lvl = zerolog.WarnLevel
		case rec.status >= 500:
			lvl = zerolog.ErrorLevel
		}
		failed := rec.status >= 400 || (code != "" && code != "ok")
		suppressed := 0
		if failed {
			var ok bool
			if ok, suppressed = s.failureLog.allow(route+"\x00"+code+"\x00"+strconv.Itoa(rec.status), start); !ok {
				return
			}
		}
		ev := zerolog.Ctx(r.Context()).WithLevel(lvl).
			Str("method", r.Method).Str("route", route).Int("status", rec.status)
		if code != "" {
			ev = ev.Str("code", code)
		}
		if suppressed > 0 {
			ev = ev.Int("suppressed", suppressed)
		}
		ev.Float64("took_ms", float64(took.Microseconds())/1000).Int64("bytes", rec.bytes).Msg("request")
	})
}

// statusClientClosed is the access log's status for a request whose client went away before
// an answer was written (nginx's 499).
const statusClientClosed = 499

type rpcOutcomeKey struct{}

// rpcOutcome carries an RPC's Connect code from CodeInterceptor to the access log.
type rpcOutcome struct {
	mu   sync.Mutex
	code string
}

func (o *rpcOutcome) set(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err == nil {
		o.code = "ok"
		return
	}
	o.code = connect.CodeOf(err).String()
}

// codeOf is the RPC's code: as CodeInterceptor saw it, else (errors raised before the
// interceptors run, such as an undecodable or oversized message) from the gRPC status or the
// Connect protocol's HTTP status.
func (o *rpcOutcome) codeOf(r *http.Request, rec *Recorder) string {
	o.mu.Lock()
	code := o.code
	o.mu.Unlock()
	if code != "" {
		return code
	}
	if rec.status == statusClientClosed {
		return connect.CodeCanceled.String()
	}
	h := rec.Header()
	if gs := firstNonEmpty(h.Get("Grpc-Status"), h.Get(http.TrailerPrefix+"Grpc-Status")); gs != "" {
		if n, err := strconv.Atoi(gs); err == nil {
			if n == 0 {
				return "ok"
			}
			return connect.Code(n).String()
		}
	}
	if c, ok := connectCodeOfStatus[rec.status]; ok {
		return c.String()
	}
	if rec.status < 400 {
		return "ok"
	}
	return connect.CodeUnknown.String()
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// connectCodeOfStatus reads the Connect protocol's HTTP status of an error back into its
// code, where the mapping is one to one enough to be useful in a log.
var connectCodeOfStatus = map[int]connect.Code{
	http.StatusBadRequest:            connect.CodeInvalidArgument,
	http.StatusUnauthorized:          connect.CodeUnauthenticated,
	http.StatusForbidden:             connect.CodePermissionDenied,
	http.StatusNotFound:              connect.CodeNotFound,
	http.StatusConflict:              connect.CodeAborted,
	http.StatusRequestEntityTooLarge: connect.CodeResourceExhausted,
	http.StatusTooManyRequests:       connect.CodeResourceExhausted,
	http.StatusNotImplemented:        connect.CodeUnimplemented,
	http.StatusServiceUnavailable:    connect.CodeUnavailable,
	http.StatusGatewayTimeout:        connect.CodeDeadlineExceeded,
	http.StatusInternalServerError:   connect.CodeInternal,
}

// CodeInterceptor records each RPC's outcome (its Connect code, or ok) for the access log.
// It must be the outermost interceptor, so that it also sees what authentication refuses.
func CodeInterceptor() connect.Interceptor { return codeInterceptor{} }

type codeInterceptor struct{}

func (codeInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		if o, ok := ctx.Value(rpcOutcomeKey{}).(*rpcOutcome); ok {
			o.set(err)
		}
		return res, err
	}
}

func (codeInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (codeInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		err := next(ctx, conn)
		if o, ok := ctx.Value(rpcOutcomeKey{}).(*rpcOutcome); ok {
			o.set(err)
		}
		return err
	}
}

// logSampler lets through, per key, at most rate lines a second (burst rate) and counts the
// rest. Keys are route names, codes and statuses: a bounded set.
type logSampler struct {
	rate    int
	mu      sync.Mutex
	buckets map[string]*sampleBucket
}

type sampleBucket struct {
	lim        *rate.Limiter
	suppressed int
}

func newLogSampler(perSecond int) *logSampler {
	return &logSampler{rate: perSecond, buckets: make(map[string]*sampleBucket)}
}

// allow reports whether a line for key may be written at now, and how many were suppressed
// since the last one that was.
func (l *logSampler) allow(key string, now time.Time) (bool, int) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= 10_000 {
			clear(l.buckets) // cannot happen with bounded keys; a safety net for memory
		}
		b = &sampleBucket{lim: rate.NewLimiter(rate.Limit(l.rate), l.rate)}
		l.buckets[key] = b
	}
	if !b.lim.AllowN(now, 1) {
		b.suppressed++
		return false, 0
	}
	n := b.suppressed
	b.suppressed = 0
	return true, n
}
