package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHealthcheck: 2xx succeeds; any other answer, no answer in time and no listener fail
// with one line that says why.
func TestHealthcheck(t *testing.T) {
	unsetVeiligEnv(t)
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/notready", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "database: not reachable\nmore detail", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/readyz"
	ln.Close()

	tests := []struct {
		name string
		args []string
		want string // in stdout on success, in the error otherwise
		ok   bool
	}{
		{"ready", []string{"--url", srv.URL + "/readyz"}, "200 OK", true},
		{"not ready", []string{"--url", srv.URL + "/notready"}, "503 Service Unavailable: database: not reachable", false},
		{"not found", []string{"--url", srv.URL + "/nothing"}, "404 Not Found", false},
		{"no answer in time", []string{"--url", srv.URL + "/slow", "--timeout", "100ms"}, "no answer within 100ms", false},
		{"nobody listening", []string{"--url", closed}, "connection refused", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			stdout, _, err := veiligRun(append([]string{"healthcheck"}, tt.args...)...)
			switch {
			case tt.ok && err != nil:
				t.Fatalf("healthcheck: %v", err)
			case tt.ok && !strings.Contains(stdout, tt.want):
				t.Errorf("healthcheck printed %q, want %q", stdout, tt.want)
			case !tt.ok && err == nil:
				t.Fatalf("healthcheck succeeded: %s", stdout)
			case !tt.ok && (!strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n")):
				t.Errorf("healthcheck error %q, want one line with %q", err, tt.want)
			}
			if time.Since(start) > 10*time.Second {
				t.Errorf("healthcheck took %v", time.Since(start))
			}
		})
	}
	t.Setenv("VEILIG_HEALTHCHECK_URL", srv.URL+"/notready")
	if _, _, err := veiligRun("healthcheck"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("healthcheck with VEILIG_HEALTHCHECK_URL: %v, want the 503", err)
	}
}
