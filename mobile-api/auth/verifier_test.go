package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/golang-jwt/jwt/v5"

	"github.com/veilig/veilig/mobile-api/auth"
)

// idp is a fake identity provider: an ECDSA key published as a JWKS over HTTP.
type idp struct {
	key *ecdsa.PrivateKey
	kid string
	srv *httptest.Server
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{key: key, kid: "idp-key-1"}
	enc := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.FillBytes(make([]byte, 32))) }
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": p.kid,
		"x": enc(key.X), "y": enc(key.Y),
	}}})
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

const (
	idpIssuer       = "https://login.jeugdzorg.example"
	idpAudience     = "veilig-api"
	idpOrganization = "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f"
)

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// expiryOf is the exp claim of token, read without verifying it, as the Principal carries it.
func expiryOf(t *testing.T, token string) time.Time {
	t.Helper()
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil || c.ExpiresAt == nil {
		t.Fatalf("the token has no readable exp claim: %v", err)
	}
	return c.ExpiresAt.UTC()
}

func TestVerifier(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	p := newIDP(t)
	v, err := auth.NewVerifier([]auth.IssuerConfig{{Issuer: idpIssuer, JWKSURL: p.srv.URL, Audience: idpAudience, OrganizationID: idpOrganization}},
		auth.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": idpIssuer, "aud": idpAudience, "sub": "prof-1", "device_id": "phone-7",
			"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	good := sign(t, jwt.SigningMethodES256, p.key, p.kid, claims(nil))
	dev, err := auth.LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	devToken, err := dev.Sign("prof-2", "dev-device", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+idpIssuer+`","aud":"`+idpAudience+`","sub":"admin","exp":9999999999}`)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."

	tests := []struct {
		name    string
		token   string
		subject string // empty: must be refused
	}{
		{"identity provider token", good, "prof-1"},
		{"expired 10s ago: within the leeway", sign(t, jwt.SigningMethodES256, p.key, p.kid, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() })), "prof-1"},
		{"empty", "", ""},
		{"garbage", "not.a.token", ""},
		{"a dev token, with a real issuer configured", devToken, ""},
		{"expired", sign(t, jwt.SigningMethodES256, p.key, p.kid, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() })), ""},
		{"no expiry", sign(t, jwt.SigningMethodES256, p.key, p.kid, claims(func(c jwt.MapClaims) { delete(c, "exp") })), ""},
		{"no issued-at", sign(t, jwt.SigningMethodES256, p.key, p.kid, claims(func(c jwt.MapClaims) { delete(c, "iat") })), ""},
		{"issued in the future", sign(t, jwt.SigningMethodES256, p.key, p.kid, claims(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() })), ""},
		{"valid for ten years", sign(t, jwt.SigningMethodES256, p.key, p.kid, claims(func(c jwt.MapClaims) { c["exp"] = now.AddDate(10, 0, 0).Unix() })), ""},
		{"wrong issuer", sign(t, jwt.SigningMethodES256, p.key, p.kid, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), ""},
		{"wrong audience", sign(t, jwt.SigningMethodES256, p.key, p.kid, claims(func(c jwt.MapClaims) { c["aud"] = "another-api" })), ""},
		{"no subject", sign(t, jwt.SigningMethodES256, p.key, p.kid, claims(func(c jwt.MapClaims) { delete(c, "sub") })), ""},
		{"tampered payload", tampered, ""},
		{"alg none", none, ""},
		{"HMAC with a guessable secret", sign(t, jwt.SigningMethodHS256, []byte(p.kid), p.kid, claims(nil)), ""},
		{"signed by another key under the same kid", sign(t, jwt.SigningMethodES256, otherKey, p.kid, claims(nil)), ""},
		{"unknown kid", sign(t, jwt.SigningMethodES256, p.key, "rotated-away", claims(nil)), ""},
		{"foreign EdDSA key claiming the dev issuer", sign(t, jwt.SigningMethodEdDSA, edKey, "", claims(func(c jwt.MapClaims) {
			c["iss"], c["aud"] = auth.DevIssuerName, auth.DevAudience
		})), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(tt.token)
			if tt.subject != "" {
				want := auth.Principal{Subject: tt.subject, Issuer: idpIssuer, OrganizationID: idpOrganization, DeviceID: "phone-7",
					ExpiresAt: expiryOf(t, tt.token)}
				if err != nil || got != want {
					t.Fatalf("Verify = %+v, %v; want %+v", got, err, want)
				}
				return
			}
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", got, err)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Error("the error repeats the token")
			}
		})
	}
}

func TestNewVerifierRefusesBadIssuers(t *testing.T) {
	p := newIDP(t)
	dev, err := auth.LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good := auth.IssuerConfig{Issuer: idpIssuer, JWKSURL: p.srv.URL, Audience: idpAudience, OrganizationID: idpOrganization}
	with := func(edit func(*auth.IssuerConfig)) []auth.IssuerConfig {
		c := good
		edit(&c)
		return []auth.IssuerConfig{c}
	}
	tests := []struct {
		name    string
		issuers []auth.IssuerConfig
		opts    []auth.Option
	}{
		{"no issuer name", with(func(c *auth.IssuerConfig) { c.Issuer = "" }), nil},
		{"no JWKS URL", with(func(c *auth.IssuerConfig) { c.JWKSURL = "" }), nil},
		{"no audience", with(func(c *auth.IssuerConfig) { c.Audience = "" }), nil},
		{"no organization", with(func(c *auth.IssuerConfig) { c.OrganizationID = "" }), nil},
		{"an organization that is not a UUID", with(func(c *auth.IssuerConfig) { c.OrganizationID = "jeugdbescherming" }), nil},
		{"an organization UUID in braces", with(func(c *auth.IssuerConfig) { c.OrganizationID = "{" + idpOrganization + "}" }), nil},
		{"the dev issuer's name", with(func(c *auth.IssuerConfig) { c.Issuer = auth.DevIssuerName }), nil},
		{"the same issuer twice", []auth.IssuerConfig{good, good}, nil},
		{"the dev issuer beside a real one", []auth.IssuerConfig{good}, []auth.Option{auth.WithDevIssuer(dev)}},
		{"a lifetime cap of zero", []auth.IssuerConfig{good}, []auth.Option{auth.WithMaxTokenLifetime(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := auth.NewVerifier(tt.issuers, tt.opts...); err == nil {
				t.Fatalf("NewVerifier(%+v) accepted it", tt.issuers)
			}
		})
	}
	if _, err := auth.NewVerifier([]auth.IssuerConfig{good}); err != nil {
		t.Fatalf("the good issuer alone: %v", err)
	}
}

func TestDevIssuerKeyPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := auth.LoadOrCreateDevIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "dev-signing-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("dev key mode = %v, want 0600", info.Mode().Perm())
	}
	tok, err := first.Sign("prof-1", "d", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	second, err := auth.LoadOrCreateDevIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(nil, auth.WithDevIssuer(second))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := v.Verify(tok); err != nil || p.Subject != "prof-1" || p.DeviceID != "d" {
		t.Fatalf("a token of the first load does not verify with the second: %+v, %v", p, err)
	}
	if _, err := first.Sign("", "d", time.Hour); err == nil {
		t.Error("signed a token without a subject")
	}
}

// TestInterceptor calls a real Connect handler through the interceptor.
func TestInterceptor(t *testing.T) {
	dev, err := auth.LoadOrCreateDevIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(nil, auth.WithDevIssuer(dev))
	if err != nil {
		t.Fatal(err)
	}
	var seen auth.Principal
	checker := grpchealth.NewStaticChecker()
	path, h := grpchealth.NewHandler(checkerFunc(func(ctx context.Context, r *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
		seen, _ = auth.FromContext(ctx)
		return checker.Check(ctx, r)
	}), connect.WithInterceptors(auth.NewInterceptor(v)))
	mux := http.NewServeMux()
	mux.Handle(path, h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	good, _ := dev.Sign("prof-1", "phone-1", time.Hour)
	expired, _ := dev.Sign("prof-1", "phone-1", -time.Hour)
	tests := []struct {
		name, header string
		code         connect.Code // 0: success
		message      string
	}{
		{"valid token", "Bearer " + good, 0, ""},
		{"no header", "", connect.CodeUnauthenticated, "missing bearer token"},
		{"not a bearer", "Basic dXNlcjpwYXNz", connect.CodeUnauthenticated, "missing bearer token"},
		{"expired", "Bearer " + expired, connect.CodeUnauthenticated, "invalid or expired token"},
		{"tampered", "Bearer " + good[:len(good)-4] + "AAAA", connect.CodeUnauthenticated, "invalid or expired token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = auth.Principal{}
			// The Connect protocol with JSON: what a browser or curl sends.
			req, _ := http.NewRequest(http.MethodPost, srv.URL+path+"Check", strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body struct{ Code, Message, Status string }
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if tt.code == 0 {
				if res.StatusCode != http.StatusOK || body.Status != "SERVING_STATUS_SERVING" {
					t.Fatalf("call: %d %+v", res.StatusCode, body)
				}
				if seen.Subject != "prof-1" || seen.DeviceID != "phone-1" {
					t.Errorf("handler saw principal %+v", seen)
				}
				return
			}
			if body.Code != tt.code.String() || body.Message != tt.message {
				t.Fatalf("error = %+v, want %v %q", body, tt.code, tt.message)
			}
			if seen.Subject != "" {
				t.Error("the handler ran for a refused call")
			}
		})
	}
}

// checkerFunc adapts a function to grpchealth.Checker.
type checkerFunc func(context.Context, *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error)

func (f checkerFunc) Check(ctx context.Context, r *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
	return f(ctx, r)
}
