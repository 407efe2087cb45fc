package auth_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/golang-jwt/jwt/v5"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/mobile-api/auth"
)

// TestTokenLifetimeCap: a token lives at most the cap (exp − iat), for the dev issuer and a
// configured issuer alike; at the cap it is accepted, a second above it refused, and a token
// without iat or exp has no known lifetime and is refused.
func TestTokenLifetimeCap(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	clock := auth.WithClock(func() time.Time { return now })
	f := newDevFixture(t)
	p := newRSAIDP(t)
	var mu sync.Mutex
	var reasons []string
	hook := auth.WithFailureHook(func(r string) { mu.Lock(); reasons = append(reasons, r); mu.Unlock() })

	const limit = 2 * time.Hour
	devCapped, err := auth.NewVerifier(nil, auth.WithDevIssuer(f.issuer), auth.WithMaxTokenLifetime(limit), clock, hook)
	if err != nil {
		t.Fatal(err)
	}
	idpCapped, err := auth.NewVerifier([]auth.IssuerConfig{p.config()}, auth.WithMaxTokenLifetime(limit), clock, hook)
	if err != nil {
		t.Fatal(err)
	}
	devDefault, err := auth.NewVerifier(nil, auth.WithDevIssuer(f.issuer), clock, hook)
	if err != nil {
		t.Fatal(err)
	}
	iat := now.Add(-time.Minute)
	lifetime := func(d time.Duration) func(jwt.MapClaims) {
		return func(c jwt.MapClaims) { c["iat"], c["exp"] = iat.Unix(), iat.Add(d).Unix() }
	}
	dev := func(edit func(jwt.MapClaims)) string {
		return signWith(t, jwt.SigningMethodEdDSA, f.key, f.kid, devClaims(now, edit))
	}
	idp := func(edit func(jwt.MapClaims)) string {
		return signWith(t, jwt.SigningMethodRS256, p.key, p.kid, rsaClaims(now, edit))
	}
	if auth.DefaultMaxTokenLifetime != 10*time.Hour {
		t.Errorf("DefaultMaxTokenLifetime = %v, want a working day of 10h", auth.DefaultMaxTokenLifetime)
	}
	tests := []struct {
		name     string
		verifier *auth.Verifier
		token    string
		ok       bool
		reason   string // part of the refusal's reason
	}{
		{"dev token at the cap", devCapped, dev(lifetime(limit)), true, ""},
		{"dev token a second over the cap", devCapped, dev(lifetime(limit + time.Second)), false, "exceeds the maximum"},
		{"dev token of ten years", devCapped, dev(lifetime(10 * 365 * 24 * time.Hour)), false, "exceeds the maximum"},
		{"dev token without iat", devCapped, dev(func(c jwt.MapClaims) { delete(c, "iat") }), false, "iat"},
		{"dev token without exp", devCapped, dev(func(c jwt.MapClaims) { delete(c, "exp") }), false, "exp"},
		{"provider token at the cap", idpCapped, idp(lifetime(limit)), true, ""},
		{"provider token a second over the cap", idpCapped, idp(lifetime(limit + time.Second)), false, "exceeds the maximum"},
		{"provider token without iat", idpCapped, idp(func(c jwt.MapClaims) { delete(c, "iat") }), false, "iat"},
		{"provider token without exp", idpCapped, idp(func(c jwt.MapClaims) { delete(c, "exp") }), false, "exp"},
		{"default cap: a working day", devDefault, dev(lifetime(10 * time.Hour)), true, ""},
		{"default cap: a working day and a second", devDefault, dev(lifetime(10*time.Hour + time.Second)), false, "exceeds the maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			reasons = nil
			mu.Unlock()
			got, err := tt.verifier.Verify(tt.token)
			mu.Lock()
			seen := append([]string(nil), reasons...)
			mu.Unlock()
			if tt.ok {
				if err != nil || got.Subject == "" {
					t.Fatalf("Verify = %+v, %v; want accepted", got, err)
				}
				return
			}
			assertRefused(t, tt.token, got, err)
			if len(seen) != 1 || !strings.Contains(seen[0], tt.reason) {
				t.Fatalf("failure reasons %q, want one containing %q", seen, tt.reason)
			}
		})
	}
}

func TestPrincipalVouchesFor(t *testing.T) {
	const orgA, orgB = "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f", "0b6f3f9e-4a8f-4d2b-9f7e-1c2d3e4f5a6b"
	tests := []struct {
		name string
		p    auth.Principal
		org  string
		want bool
	}{
		{"an issuer for its own organization", auth.Principal{Issuer: "https://a.example", OrganizationID: orgA}, orgA, true},
		{"an issuer for its own organization, other case", auth.Principal{Issuer: "https://a.example", OrganizationID: orgA}, strings.ToUpper(orgA), true},
		{"an issuer for another organization", auth.Principal{Issuer: "https://a.example", OrganizationID: orgA}, orgB, false},
		{"an issuer for a professional without organization", auth.Principal{Issuer: "https://a.example", OrganizationID: orgA}, "", false},
		{"an issuer bound to no organization", auth.Principal{Issuer: "https://a.example"}, orgA, false},
		{"the dev issuer, for anybody", auth.Principal{Issuer: auth.DevIssuerName}, orgB, true},
		{"no issuer at all", auth.Principal{}, orgA, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.VouchesFor(tt.org); got != tt.want {
				t.Fatalf("%+v.VouchesFor(%q) = %v, want %v", tt.p, tt.org, got, tt.want)
			}
		})
	}
}

func TestDevIssuerWanted(t *testing.T) {
	local := auth.Deployment{EmbeddedDatabase: true, ListenAddr: "127.0.0.1:8080"}
	with := func(edit func(*auth.Deployment)) auth.Deployment {
		d := local
		edit(&d)
		return d
	}
	tests := []struct {
		name    string
		setting string
		d       auth.Deployment
		on      bool
		err     bool
	}{
		{"auto on a developer's machine", "auto", local, true, false},
		{"auto on ::1", "auto", with(func(d *auth.Deployment) { d.ListenAddr = "[::1]:8080" }), true, false},
		{"auto on localhost", "auto", with(func(d *auth.Deployment) { d.ListenAddr = "localhost:8080" }), true, false},
		{"auto with an issuer", "auto", with(func(d *auth.Deployment) { d.Issuers = 1 }), false, false},
		{"auto on PostgreSQL", "auto", with(func(d *auth.Deployment) { d.EmbeddedDatabase = false }), false, false},
		{"auto on every interface", "auto", with(func(d *auth.Deployment) { d.ListenAddr = ":8080" }), false, false},
		{"auto on 0.0.0.0", "auto", with(func(d *auth.Deployment) { d.ListenAddr = "0.0.0.0:8080" }), false, false},
		{"auto on a LAN address", "auto", with(func(d *auth.Deployment) { d.ListenAddr = "192.168.1.20:8080" }), false, false},
		{"on, alone", "on", with(func(d *auth.Deployment) { d.ListenAddr = ":8080"; d.EmbeddedDatabase = false }), true, false},
		{"on beside an issuer", "on", with(func(d *auth.Deployment) { d.Issuers = 2 }), false, true},
		{"off", "off", local, false, false},
		{"off beside an issuer", "off", with(func(d *auth.Deployment) { d.Issuers = 1 }), false, false},
		{"a typo", "yes", local, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			on, why, err := auth.DevIssuerWanted(tt.setting, tt.d)
			if (err != nil) != tt.err || on != tt.on {
				t.Fatalf("DevIssuerWanted(%q, %+v) = %v, %q, %v; want on %v, error %v", tt.setting, tt.d, on, why, err, tt.on, tt.err)
			}
			if err == nil && why == "" {
				t.Error("no reason given")
			}
			if err != nil && !strings.Contains(err.Error(), "--dev-issuer") {
				t.Errorf("the error %q does not name the flag", err)
			}
		})
	}
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.2:8080", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
		{"10.0.0.5:8080", false},
		{"veilig.example.org:8080", false},
		{"127.0.0.1", false}, // no port: not an address net.Listen takes
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := auth.LoopbackOnly(tt.addr); got != tt.want {
				t.Fatalf("LoopbackOnly(%q) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

// TestInterceptorLogsRefusals: every refused call is one log line on the request's logger
// with its reason, the procedure and, for a trusted issuer, the issuer; never the token or
// anything else of it.
func TestInterceptorLogsRefusals(t *testing.T) {
	p := newRSAIDP(t)
	now := time.Now()
	v, err := auth.NewVerifier([]auth.IssuerConfig{p.config()})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncedBuffer
	base := zerolog.New(&logs)
	path, h := grpchealth.NewHandler(grpchealth.NewStaticChecker(), connect.WithInterceptors(auth.NewInterceptor(v)))
	mux := http.NewServeMux()
	mux.Handle(path, h)
	// As the server does: a logger carrying the request's id in the request's context.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log := base.With().Str("request_id", r.Header.Get("Test-Id")).Logger()
		mux.ServeHTTP(w, r.WithContext(log.WithContext(r.Context())))
	}))
	defer srv.Close()

	sign := func(edit func(jwt.MapClaims)) string {
		return signWith(t, jwt.SigningMethodRS256, p.key, p.kid, rsaClaims(now, edit))
	}
	tests := []struct {
		name, header string
		reason       string // part of the logged reason
		issuer       string // the logged issuer; empty: none
	}{
		{"no header", "", "no bearer token", ""},
		{"not a bearer", "Basic cHJvZjpodW50ZXIy", "no bearer token", ""},
		{"garbage", "Bearer not-a-jwt-at-all", "malformed", ""},
		{"an untrusted issuer", "Bearer " + sign(func(c jwt.MapClaims) { c["iss"] = "https://evil.example/ATTACKER-TEXT" }), "untrusted issuer", ""},
		{"expired", "Bearer " + sign(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }), "expired", rsaIssuer},
		{"too long a lifetime", "Bearer " + sign(func(c jwt.MapClaims) { c["exp"] = now.AddDate(1, 0, 0).Unix() }), "exceeds the maximum", rsaIssuer},
		{"a bad signature", "Bearer " + flipSignature(sign(nil)), "signature", rsaIssuer},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("req-%d", i)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+path+"Check", strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Test-Id", id)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", res.StatusCode)
			}
			var lines []map[string]any
			for _, l := range logs.lines(t) {
				if l["request_id"] == id {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("log lines of the request: %v", lines)
			}
			l := lines[0]
			reason, _ := l["reason"].(string)
			if l["message"] != "authentication failed" || l["level"] != "info" || l["procedure"] != "/"+grpchealth.HealthV1ServiceName+"/Check" ||
				!strings.Contains(reason, tt.reason) {
				t.Fatalf("log line %v, want the reason %q", l, tt.reason)
			}
			if got, _ := l["issuer"].(string); got != tt.issuer {
				t.Errorf("logged issuer %q, want %q", got, tt.issuer)
			}
			for _, part := range strings.FieldsFunc(tt.header, func(r rune) bool { return r == ' ' || r == '.' }) {
				if len(part) >= 8 && strings.Contains(logs.String(), part) {
					t.Errorf("the log repeats part of the credentials: %q", part)
				}
			}
		})
	}
	if strings.Contains(logs.String(), "ATTACKER-TEXT") {
		t.Error("an untrusted issuer's name reached the log")
	}
}

type syncedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}
