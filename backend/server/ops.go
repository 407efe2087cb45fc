package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/metrics"
)

// DefaultOpsAddr is where the ops listener listens by default: this machine only, apart
// from the API port, so that metrics and probes are never public by accident.
const DefaultOpsAddr = "127.0.0.1:9090"

// OpsConfig configures an ops listener.
type OpsConfig struct {
	// Addr is the address to listen on (DefaultOpsAddr in veilig serve and worker).
	Addr string
	// Metrics is served on /metrics.
	Metrics *metrics.Metrics
	// Ready answers /readyz; nil is always ready.
	Ready  *Readiness
	Logger zerolog.Logger
}

// OpsHandler serves the ops endpoints, for an operator's network only:
//
//	/metrics  the Prometheus metrics of the process
//	/livez    200 while the process runs (a liveness probe: restart it when this fails)
//	/readyz   200 when the database answers within a short timeout, else 503 with the reason
//	          (a readiness probe: send it no traffic while this fails, but do not restart it)
func OpsHandler(cfg OpsConfig) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", cfg.Metrics.Handler())
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := cfg.Ready.Check(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintln(w, err.Error())
			return
		}
		_, _ = fmt.Fprintln(w, "ok")
	})
	return mux
}

// RunOps serves OpsHandler on cfg.Addr until ctx is done, then closes it; the listener does
// not wait for scrapes in flight, which are cheap and repeat.
func RunOps(ctx context.Context, cfg OpsConfig) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (--metrics-addr): %w", cfg.Addr, err)
	}
	return ServeOps(ctx, ln, cfg)
}

// ServeOps is RunOps on a listener the caller opened (tests: ":0").
func ServeOps(ctx context.Context, ln net.Listener, cfg OpsConfig) error {
	hs := &http.Server{Handler: OpsHandler(cfg), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
	cfg.Logger.Info().Str("addr", ln.Addr().String()).Msg("ops listener serving /metrics, /livez and /readyz")
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("ops listener: %w", err)
	case <-ctx.Done():
	}
	_ = hs.Close()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ops listener: %w", err)
	}
	return nil
}
