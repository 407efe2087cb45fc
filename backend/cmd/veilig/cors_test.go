package main_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestServeCORSOriginsConfiguration: an origin that cannot be allowed stops the server at
// start with an error naming the setting, from the flag and from the environment.
func TestServeCORSOriginsConfiguration(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		args  []string
		names string // the setting as the error must name it: the flag, or the variable it came from
	}{
		{"any origin", nil, []string{"--cors-origins", "*"}, "--cors-origins"},
		{"a path after a good origin", nil, []string{"--cors-origins", "https://care.example.org,https://app.example.org/web"}, "--cors-origins"},
		{"plain http to another host in VEILIG_CORS_ORIGINS", []string{"VEILIG_CORS_ORIGINS=http://care.example.org"}, nil, "VEILIG_CORS_ORIGINS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", freeAddr(t)}, tt.args...)
			_, stderr, err := run(t, t.TempDir(), tt.env, args...)
			if err == nil {
				t.Fatalf("serve started:\n%s", stderr)
			}
			if !strings.Contains(stderr, tt.names) {
				t.Errorf("the error does not name %s:\n%s", tt.names, stderr)
			}
		})
	}
}

// TestServeCORSOriginsFlag: --cors-origins reaches the server: a browser's preflight from a
// listed origin is answered, one from another origin is not allowed.
func TestServeCORSOriginsFlag(t *testing.T) {
	s, _ := startServe(t, t.TempDir(), "--cors-origins", "https://care.example.org, http://localhost:5173")
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, "http://"+s.addr+"/veilig.v1.SyncService/Pull", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "authorization,connect-protocol-version,content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, origin := range []string{"https://care.example.org", "http://localhost:5173"} {
		if res := preflight(origin); res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("preflight from %s: %d, Access-Control-Allow-Origin %q", origin, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	if res := preflight("https://evil.example.org"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin allowed: %q", res.Header.Get("Access-Control-Allow-Origin"))
	}
	s.stop(t)
}
