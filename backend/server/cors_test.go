package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"

	"github.com/veilig/veilig/backend/server"
)

func TestCheckCORSOrigins(t *testing.T) {
	tests := []struct {
		name   string
		origin string
		ok     bool
	}{
		{"an https origin is allowed", "https://care.example.org", true},
		{"an https origin with a port is allowed", "https://care.example.org:8443", true},
		{"http on localhost is allowed for development", "http://localhost:5173", true},
		{"http on a loopback address is allowed", "http://127.0.0.1:3000", true},
		{"http on the IPv6 loopback is allowed", "http://[::1]:3000", true},
		{"http on another host is refused", "http://care.example.org", false},
		{"any origin is refused", "*", false},
		{"a wildcard subdomain is refused", "https://*.example.org", false},
		{"a trailing slash is refused", "https://care.example.org/", false},
		{"a path is refused", "https://care.example.org/app", false},
		{"a query is refused", "https://care.example.org?x=1", false},
		{"a user is refused", "https://me@care.example.org", false},
		{"upper case is refused", "https://Care.example.org", false},
		{"the default port is refused", "https://care.example.org:443", false},
		{"an empty port is refused", "https://care.example.org:", false},
		{"a bare host is refused", "care.example.org", false},
		{"another scheme is refused", "ftp://care.example.org", false},
		{"nothing is refused", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := server.CheckCORSOrigins([]string{"https://ok.example.org", tt.origin})
			if (err == nil) != tt.ok {
				t.Fatalf("CheckCORSOrigins(%q) = %v, want ok %v", tt.origin, err, tt.ok)
			}
		})
	}
	if err := server.CheckCORSOrigins(nil); err != nil {
		t.Fatalf("no origins: %v", err)
	}
}

const (
	allowedOrigin = "https://care.example.org"
	healthCheck   = "/grpc.health.v1.Health/Check"
)

// preflight sends the preflight a browser sends before a Connect call from origin. The
// request headers are lower case and sorted, as browsers send them (and rs/cors expects).
func preflight(t *testing.T, url, origin string) *http.Response {
	t.Helper()
	res, _ := do(t, http.DefaultClient, http.MethodOptions, url+healthCheck, "", http.Header{
		"Origin":                         {origin},
		"Access-Control-Request-Method":  {http.MethodPost},
		"Access-Control-Request-Headers": {"authorization,connect-protocol-version,content-type,x-veilig-app-version"},
	})
	return res
}

func TestCORS(t *testing.T) {
	h := serve(t, server.Config{CORSOrigins: []string{allowedOrigin, "http://localhost:5173"}}, nil, nil)

	t.Run("a preflight from an allowed origin is answered with the Connect headers allowed", func(t *testing.T) {
		res := preflight(t, h.url, allowedOrigin)
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("status %d, want 204", res.StatusCode)
		}
		want := map[string]string{
			"Access-Control-Allow-Origin":  allowedOrigin,
			"Access-Control-Allow-Methods": "POST",
			"Access-Control-Allow-Headers": "authorization,connect-protocol-version,content-type,x-veilig-app-version",
			"Access-Control-Max-Age":       "7200",
		}
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if got := res.Header.Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("credentials allowed (%q): the API takes bearer tokens, never cookies", got)
		}
	})
	t.Run("a preflight from another origin gets no CORS headers", func(t *testing.T) {
		for _, origin := range []string{"https://evil.example.org", "https://care.example.org.evil.example", "null"} {
			res := preflight(t, h.url, origin)
			for k := range res.Header {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Errorf("origin %q: answered with %s: %q", origin, k, res.Header.Get(k))
				}
			}
		}
	})
	t.Run("a preflight asking for a header we do not take is not allowed", func(t *testing.T) {
		res, _ := do(t, http.DefaultClient, http.MethodOptions, h.url+healthCheck, "", http.Header{
			"Origin": {allowedOrigin}, "Access-Control-Request-Method": {http.MethodPost},
			"Access-Control-Request-Headers": {"content-type,x-secret"},
		})
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Fatalf("allowed an unknown header: Access-Control-Allow-Origin %q", got)
		}
	})
	t.Run("a Connect call from an allowed origin works and its answer is readable", func(t *testing.T) {
		rec := &originTransport{origin: allowedOrigin}
		res, err := grpchealth.NewClient(&http.Client{Transport: rec}, h.url).Check(context.Background(), &grpchealth.CheckRequest{})
		if err != nil || res.Status != grpchealth.StatusServing {
			t.Fatalf("health from an allowed origin = %+v, %v", res, err)
		}
		if got := rec.header.Get("Access-Control-Allow-Origin"); got != allowedOrigin {
			t.Fatalf("Access-Control-Allow-Origin %q, want %q", got, allowedOrigin)
		}
		exposed := rec.header.Get("Access-Control-Expose-Headers")
		for _, want := range []string{"Grpc-Status", "X-Request-Id", "Retry-After"} {
			if !strings.Contains(exposed, want) {
				t.Errorf("Access-Control-Expose-Headers %q lacks %s", exposed, want)
			}
		}
	})
	t.Run("a gRPC-Web call from an allowed origin works", func(t *testing.T) {
		rec := &originTransport{origin: "http://localhost:5173"}
		res, err := grpchealth.NewClient(&http.Client{Transport: rec}, h.url, connect.WithGRPCWeb()).Check(context.Background(), &grpchealth.CheckRequest{})
		if err != nil || res.Status != grpchealth.StatusServing {
			t.Fatalf("gRPC-Web health from an allowed origin = %+v, %v", res, err)
		}
		if got := rec.header.Get("Access-Control-Allow-Origin"); got != "http://localhost:5173" {
			t.Fatalf("Access-Control-Allow-Origin %q", got)
		}
	})
	t.Run("a call from another origin is answered without CORS headers", func(t *testing.T) {
		rec := &originTransport{origin: "https://evil.example.org"}
		if _, err := grpchealth.NewClient(&http.Client{Transport: rec}, h.url).Check(context.Background(), &grpchealth.CheckRequest{}); err != nil {
			t.Fatal(err) // the server answers; the browser is what refuses to hand it over
		}
		if got := rec.header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Fatalf("Access-Control-Allow-Origin %q for another origin", got)
		}
	})
}

func TestNoCORSWithoutOrigins(t *testing.T) {
	h := serve(t, server.Config{}, nil, nil)
	res := preflight(t, h.url, allowedOrigin)
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("preflight status %d without CORS, want 405", res.StatusCode)
	}
	for k := range res.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("answered with %s without CORS origins", k)
		}
	}
}

func TestAnInvalidCORSOriginIsLeftOutNotWidened(t *testing.T) {
	h := serve(t, server.Config{CORSOrigins: []string{"*"}}, nil, nil)
	if res := preflight(t, h.url, "https://evil.example.org"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("\"*\" allowed an origin: %q", res.Header.Get("Access-Control-Allow-Origin"))
	}
	if !strings.Contains(h.logs.String(), "CORS") {
		t.Fatalf("the refused origin was not logged: %s", h.logs.String())
	}
}

// originTransport sends requests as a browser page of origin does, and keeps the last
// answer's headers.
type originTransport struct {
	origin string
	header http.Header
}

func (o *originTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Origin", o.origin)
	res, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		o.header = res.Header
	}
	return res, err
}
