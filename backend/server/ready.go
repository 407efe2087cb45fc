package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/rs/zerolog"
)

// DefaultReadyTimeout bounds one readiness check of the database: a database that has not
// answered a ping within it is not ready, whatever the reason.
const DefaultReadyTimeout = 2 * time.Second

// DefaultReadyCacheFor is how long a readiness answer is reused: load balancers, Prometheus
// and gRPC health clients may all ask every second, and a ping each time would add nothing.
const DefaultReadyCacheFor = time.Second

// Readiness says whether the process can do its work: whether its database answers. /readyz,
// the gRPC health service and veilig_database_up all follow it. It asks the database at most
// once a second (ReadinessConfig.CacheFor), with a timeout, and logs each change of state once (warn when the database
// goes away, info with the outage's length when it is back), never once per probe.
type Readiness struct {
	ping    func(ctx context.Context) error
	timeout time.Duration
	cache   time.Duration
	log     zerolog.Logger
	observe func(up bool)
	now     func() time.Time

	mu        sync.Mutex
	checked   time.Time
	err       error
	downSince time.Time
}

// ReadinessConfig configures a Readiness.
type ReadinessConfig struct {
	// Ping asks the database (store.DB.Ping).
	Ping func(ctx context.Context) error
	// Timeout bounds one ping (default DefaultReadyTimeout).
	Timeout time.Duration
	// Logger receives the changes of state.
	Logger zerolog.Logger
	// CacheFor is how long an answer is reused (default DefaultReadyCacheFor; negative: not
	// at all, for tests).
	CacheFor time.Duration
	// Observe, when set, is told the outcome of every ping (metrics.Metrics.DatabaseUp).
	Observe func(up bool)
}

// NewReadiness returns a Readiness that pings with cfg.Ping.
func NewReadiness(cfg ReadinessConfig) *Readiness {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultReadyTimeout
	}
	if cfg.CacheFor == 0 {
		cfg.CacheFor = DefaultReadyCacheFor
	}
	return &Readiness{ping: cfg.Ping, timeout: cfg.Timeout, cache: max(cfg.CacheFor, 0), log: cfg.Logger, observe: cfg.Observe, now: time.Now}
}

// ErrNotReady is wrapped by every error of Readiness.Check.
var ErrNotReady = errors.New("not ready")

// Check returns nil when the database answered a ping within the timeout (within the last
// second), else an error wrapping ErrNotReady whose message is a fixed reason, safe for a
// probe's answer: never the driver's message. A nil Readiness is always ready.
func (r *Readiness) Check(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if !r.checked.IsZero() && now.Sub(r.checked) < r.cache && !now.Before(r.checked) {
		return r.err
	}
	pctx, cancel := context.WithTimeout(ctx, r.timeout)
	err := r.ping(pctx)
	cancel()
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w: check canceled", ErrNotReady) // the prober went away; nothing learnt
	}
	r.checked = r.now()
	switch {
	case err == nil && r.err != nil:
		r.log.Info().Int64("outage_ms", r.checked.Sub(r.downSince).Milliseconds()).Msg("ready: database available again")
		r.err = nil
	case err != nil:
		reason := "database unreachable"
		if errors.Is(err, context.DeadlineExceeded) {
			reason = fmt.Sprintf("database did not answer within %v", r.timeout)
		}
		if r.err == nil {
			r.downSince = now
			r.log.Warn().Err(err).Msg("not ready: database unavailable")
		}
		r.err = fmt.Errorf("%w: %s", ErrNotReady, reason)
	}
	if r.observe != nil {
		r.observe(r.err == nil)
	}
	return r.err
}

// healthChecker is the gRPC health service's checker: the mounted services (and the server
// as a whole, service "") are SERVING while Readiness says ready, NOT_SERVING otherwise, so
// that a load balancer stops sending calls that could only fail.
type healthChecker struct {
	names map[string]bool
	ready *Readiness
}

func newHealthChecker(ready *Readiness, names ...string) *healthChecker {
	c := &healthChecker{names: map[string]bool{"": true}, ready: ready}
	for _, n := range names {
		c.names[n] = true
	}
	return c
}

// Check implements grpchealth.Checker.
func (c *healthChecker) Check(ctx context.Context, req *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
	if !c.names[req.Service] {
		return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("unknown service %s", req.Service))
	}
	if err := c.ready.Check(ctx); err != nil {
		return &grpchealth.CheckResponse{Status: grpchealth.StatusNotServing}, nil
	}
	return &grpchealth.CheckResponse{Status: grpchealth.StatusServing}, nil
}
