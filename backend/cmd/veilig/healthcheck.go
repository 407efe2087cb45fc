package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// runHealthcheck GETs --url and exits 0 on a 2xx answer, else non-zero with a one-line
// reason: the HEALTHCHECK of an image without a shell or curl (distroless). The default
// URL is the readiness endpoint of the ops listener (--metrics-addr, 127.0.0.1:9090).
func runHealthcheck(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlagSet("healthcheck", "[flags]", "GET --url and exit 0 when it answers 2xx, else non-zero with a one-line reason (for Docker HEALTHCHECK).")
	target := fs.String("url", "http://127.0.0.1:9090/readyz", "URL to GET: the ops listener's readiness endpoint")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the whole answer")
	src, err := parseFlags(fs, args, envSpec{prefix: "VEILIG_HEALTHCHECK"}, stdout)
	if err != nil {
		return err
	}
	if err := errors.Join(noArguments(fs), wantHTTPURL(src, "url", *target), wantPositive(src, "timeout", *timeout)); err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	status, err := healthcheck(ctx, *target, *timeout)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	fmt.Fprintf(stdout, "healthcheck: %s: %s\n", *target, status)
	return nil
}

// healthcheck GETs url within timeout; a status outside 2xx is an error with the status and
// the first line of the body (a readiness endpoint says there what is not ready).
func healthcheck(ctx context.Context, url string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("GET %s: no answer within %s", url, timeout)
		}
		return "", err // *url.Error: "Get "…": dial tcp …: connection refused"
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		if len(line) > 200 {
			line = line[:200] + "…"
		}
		if line != "" {
			return "", fmt.Errorf("GET %s: %s: %s", url, res.Status, line)
		}
		return "", fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return res.Status, nil
}
