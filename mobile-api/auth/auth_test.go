package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"

	"github.com/veilig/veilig/mobile-api/auth"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// devKeyFileName is where LoadOrCreateDevIssuer keeps its key inside the data folder.
const devKeyFileName = "dev-signing-key.pem"

// devFixture is a dev issuer together with its private key and kid, read back from the data
// folder, so that tests can forge tokens that are signed by the real dev key but carry claims
// DevIssuer.Sign would never produce.
type devFixture struct {
	dir    string
	issuer *auth.DevIssuer
	key    ed25519.PrivateKey
	kid    string
	pubRaw []byte // the public key as published in the JWKS
}

func newDevFixture(t *testing.T) *devFixture {
	t.Helper()
	dir := t.TempDir()
	d, err := auth.LoadOrCreateDevIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, devKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatal("dev key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		t.Fatalf("dev key is a %T", k)
	}
	var set struct {
		Keys []struct{ Kty, Crv, Alg, Kid, X string }
	}
	if err := json.Unmarshal(d.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("dev JWKS holds %d keys", len(set.Keys))
	}
	jwk := set.Keys[0]
	x, err := base64.RawURLEncoding.DecodeString(jwk.X)
	if err != nil {
		t.Fatal(err)
	}
	if jwk.Kty != "OKP" || jwk.Crv != "Ed25519" || jwk.Alg != "EdDSA" || jwk.Kid == "" {
		t.Fatalf("dev JWKS key = %+v", jwk)
	}
	if !key.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(x)) {
		t.Fatal("the dev JWKS does not publish the dev key")
	}
	return &devFixture{dir: dir, issuer: d, key: key, kid: jwk.Kid, pubRaw: x}
}

// claims are dev-issuer claims valid around now; edit changes them.
func devClaims(now time.Time, edit func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss": auth.DevIssuerName, "aud": auth.DevAudience, "sub": "prof-1", "device_id": "phone-1",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if edit != nil {
		edit(c)
	}
	return c
}

func signWith(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
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

// flipSignature changes the first character of a token's signature: unlike the last one,
// it never falls into the base64 padding bits, so the signature bytes really change.
func flipSignature(token string) string {
	i := strings.LastIndex(token, ".") + 1
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}

// replacePayload swaps a token's payload, keeping header and signature.
func replacePayload(token string, payload map[string]any) string {
	parts := strings.Split(token, ".")
	b, _ := json.Marshal(payload)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
}

// assertRefused checks the error of a refused token: ErrInvalidToken, and nothing of the
// token in its text.
func assertRefused(t *testing.T, token string, p auth.Principal, err error) {
	t.Helper()
	if !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", p, err)
	}
	if p != (auth.Principal{}) {
		t.Errorf("a refused token still yields principal %+v", p)
	}
	if err.Error() != auth.ErrInvalidToken.Error() {
		t.Errorf("error %q says more than %q", err, auth.ErrInvalidToken)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 8 && strings.Contains(err.Error(), part) {
			t.Errorf("the error repeats part of the token: %q", err)
		}
	}
}

func TestVerifierDevIssuer(t *testing.T) {
	f := newDevFixture(t)
	var mu sync.Mutex
	var reasons []string
	v, err := auth.NewVerifier(nil, auth.WithDevIssuer(f.issuer), auth.WithFailureHook(func(reason string) {
		mu.Lock()
		defer mu.Unlock()
		reasons = append(reasons, reason)
	}))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sign := func(edit func(jwt.MapClaims)) string {
		return signWith(t, jwt.SigningMethodEdDSA, f.key, f.kid, devClaims(now, edit))
	}
	mustSign := func(subject string, ttl time.Duration) string {
		tok, err := f.issuer.Sign(subject, "phone-1", ttl)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := mustSign("prof-1", time.Hour)
	_, otherEd, _ := ed25519.GenerateKey(rand.Reader)
	pubPEM := func() []byte {
		der, err := x509.MarshalPKIXPublicKey(f.key.Public())
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}()
	validParts := strings.Split(valid, ".")
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"` + f.kid + `"}`))

	tests := []struct {
		name  string
		token string
		want  string // the subject; empty: the token must be refused
	}{
		{"valid dev token", valid, "prof-1"},
		{"forged with the dev key and valid claims", sign(nil), "prof-1"},
		{"audience among several", sign(func(c jwt.MapClaims) { c["aud"] = []string{"other", auth.DevAudience} }), "prof-1"},
		{"expired 10s ago: within the leeway", mustSign("prof-1", -10*time.Second), "prof-1"},

		{"missing token", "", ""},
		{"whitespace", "   ", ""},
		{"garbage", "not-a-jwt", ""},
		{"three garbage segments", "a.b.c", ""},
		{"expired an hour ago", mustSign("prof-1", -time.Hour), ""},
		{"expired 2 minutes ago: beyond the leeway", mustSign("prof-1", -2*time.Minute), ""},
		{"no expiry", sign(func(c jwt.MapClaims) { delete(c, "exp") }), ""},
		{"not valid before a minute from now", sign(func(c jwt.MapClaims) { c["nbf"] = now.Add(2 * time.Minute).Unix() }), ""},
		{"issued in the future", sign(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() }), ""},
		{"wrong issuer", sign(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }), ""},
		{"no issuer", sign(func(c jwt.MapClaims) { delete(c, "iss") }), ""},
		{"wrong audience", sign(func(c jwt.MapClaims) { c["aud"] = "another-api" }), ""},
		{"no audience", sign(func(c jwt.MapClaims) { delete(c, "aud") }), ""},
		{"no subject", sign(func(c jwt.MapClaims) { delete(c, "sub") }), ""},
		{"empty subject", sign(func(c jwt.MapClaims) { c["sub"] = "" }), ""},
		{"tampered payload", replacePayload(valid, map[string]any{
			"iss": auth.DevIssuerName, "aud": auth.DevAudience, "sub": "admin", "exp": now.Add(time.Hour).Unix(),
		}), ""},
		{"tampered signature", flipSignature(valid), ""},
		{"signature removed", validParts[0] + "." + validParts[1] + ".", ""},
		{"alg none", noneHeader + "." + validParts[1] + ".", ""},
		{"HMAC keyed with the raw public key", signWith(t, jwt.SigningMethodHS256, f.pubRaw, f.kid, devClaims(now, nil)), ""},
		{"HMAC keyed with the public key PEM", signWith(t, jwt.SigningMethodHS256, pubPEM, f.kid, devClaims(now, nil)), ""},
		{"HMAC keyed with the kid", signWith(t, jwt.SigningMethodHS512, []byte(f.kid), f.kid, devClaims(now, nil)), ""},
		{"unknown kid", signWith(t, jwt.SigningMethodEdDSA, f.key, "rotated-away", devClaims(now, nil)), ""},
		{"no kid", signWith(t, jwt.SigningMethodEdDSA, f.key, "", devClaims(now, nil)), ""},
		{"another Ed25519 key under the dev kid", signWith(t, jwt.SigningMethodEdDSA, otherEd, f.kid, devClaims(now, nil)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			reasons = nil
			mu.Unlock()
			p, err := v.Verify(tt.token)
			mu.Lock()
			got := append([]string(nil), reasons...)
			mu.Unlock()
			if tt.want != "" {
				if err != nil || p.Subject != tt.want {
					t.Fatalf("Verify = %+v, %v; want subject %q", p, err, tt.want)
				}
				if p.Issuer != auth.DevIssuerName || p.DeviceID != "phone-1" {
					t.Errorf("principal = %+v", p)
				}
				if len(got) != 0 {
					t.Errorf("the failure hook ran for an accepted token: %q", got)
				}
				return
			}
			assertRefused(t, tt.token, p, err)
			if len(got) != 1 || got[0] == "" {
				t.Fatalf("failure hook got %q, want one reason", got)
			}
			for _, part := range strings.Split(tt.token, ".") {
				if len(part) >= 8 && strings.Contains(got[0], part) {
					t.Errorf("the failure reason repeats part of the token: %q", got[0])
				}
			}
		})
	}
}

// TestVerifierLeeway moves the verifier's clock around a real dev token.
func TestVerifierLeeway(t *testing.T) {
	f := newDevFixture(t)
	t0 := time.Now()
	tok, err := f.issuer.Sign("prof-1", "", time.Hour) // iat ≈ t0, exp ≈ t0+1h
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"at signing", t0, true},
		{"expired 10s ago", t0.Add(time.Hour + 10*time.Second), true},
		{"expired 2 minutes ago", t0.Add(time.Hour + 2*time.Minute), false},
		{"a day later", t0.Add(24 * time.Hour), false},
		{"clock 10s behind the issuer", t0.Add(-10 * time.Second), true},
		{"clock 2 minutes behind the issuer", t0.Add(-2 * time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			v, err := auth.NewVerifier(nil, auth.WithDevIssuer(f.issuer), auth.WithClock(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			p, err := v.Verify(tok)
			if tt.ok {
				if err != nil || p.Subject != "prof-1" {
					t.Fatalf("Verify at %v = %+v, %v; want accepted", tt.now.Sub(t0), p, err)
				}
				return
			}
			assertRefused(t, tok, p, err)
		})
	}
	if auth.Leeway != 30*time.Second {
		t.Errorf("Leeway = %v; the table above assumes 30s", auth.Leeway)
	}
}

// rsaIDP is an identity provider publishing an RSA key as a JWKS over HTTP.
type rsaIDP struct {
	key      *rsa.PrivateKey
	kid      string
	srv      *httptest.Server
	requests atomic.Int32
	down     atomic.Bool // answer 503 instead of the key set
}

func newRSAIDP(t *testing.T) *rsaIDP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &rsaIDP{key: key, kid: "rsa-2026"}
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": p.kid,
		"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}}})
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if p.down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(jwks)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

const (
	rsaIssuer       = "https://idp.gemeente.example/realms/zorg"
	rsaAudience     = "veilig-mobile"
	rsaOrganization = "0b6f3f9e-4a8f-4d2b-9f7e-1c2d3e4f5a6b"
)

// rsaConfig is the RSA provider's configuration, bound to rsaOrganization.
func (p *rsaIDP) config() auth.IssuerConfig {
	return auth.IssuerConfig{Issuer: rsaIssuer, JWKSURL: p.srv.URL, Audience: rsaAudience, OrganizationID: rsaOrganization}
}

func rsaClaims(now time.Time, edit func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss": rsaIssuer, "aud": rsaAudience, "sub": "prof-9", "device_id": "tablet-3",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if edit != nil {
		edit(c)
	}
	return c
}

func TestVerifierExternalIssuer(t *testing.T) {
	p := newRSAIDP(t)
	q := newIDP(t) // a second provider, of another organization
	f := newDevFixture(t)
	now := time.Now().Truncate(time.Second)
	v, err := auth.NewVerifier([]auth.IssuerConfig{p.config(), {Issuer: idpIssuer, JWKSURL: q.srv.URL, Audience: idpAudience, OrganizationID: idpOrganization}},
		auth.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if p.requests.Load() == 0 {
		t.Error("NewVerifier did not fetch the JWKS")
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := func() []byte {
		der, err := x509.MarshalPKIXPublicKey(&p.key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}()
	sign := func(method jwt.SigningMethod, key any, kid string, edit func(jwt.MapClaims)) string {
		return signWith(t, method, key, kid, rsaClaims(now, edit))
	}
	valid := sign(jwt.SigningMethodRS256, p.key, p.kid, nil)

	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"signed by the provider's key", valid, "prof-9"},
		{"audience among several", sign(jwt.SigningMethodRS256, p.key, p.kid, func(c jwt.MapClaims) { c["aud"] = []string{"x", rsaAudience} }), "prof-9"},
		{"expired 10s ago: within the leeway", sign(jwt.SigningMethodRS256, p.key, p.kid, func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() }), "prof-9"},

		{"expired 2 minutes ago", sign(jwt.SigningMethodRS256, p.key, p.kid, func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() }), ""},
		{"another key under the same kid", sign(jwt.SigningMethodRS256, other, p.kid, nil), ""},
		{"another key without kid", sign(jwt.SigningMethodRS256, other, "", nil), ""},
		{"unknown kid", sign(jwt.SigningMethodRS256, p.key, "not-published", nil), ""},
		{"the provider's key with another algorithm than its JWK's", sign(jwt.SigningMethodPS256, p.key, p.kid, nil), ""},
		{"HMAC keyed with the public key PEM", sign(jwt.SigningMethodHS256, pubPEM, p.kid, nil), ""},
		{"HMAC keyed with the modulus", sign(jwt.SigningMethodHS256, p.key.N.Bytes(), p.kid, nil), ""},
		{"wrong audience", sign(jwt.SigningMethodRS256, p.key, p.kid, func(c jwt.MapClaims) { c["aud"] = auth.DevAudience }), ""},
		{"wrong issuer", sign(jwt.SigningMethodRS256, p.key, p.kid, func(c jwt.MapClaims) { c["iss"] = rsaIssuer + "/other" }), ""},
		{"tampered signature", flipSignature(valid), ""},
		{"tampered payload", replacePayload(valid, map[string]any{"iss": rsaIssuer, "aud": rsaAudience, "sub": "admin", "exp": now.Add(time.Hour).Unix()}), ""},
		// Keys must not cross issuers: each issuer's tokens verify with that issuer's keys only.
		{"the provider's key claiming the other provider", sign(jwt.SigningMethodRS256, p.key, p.kid, func(c jwt.MapClaims) {
			c["iss"], c["aud"] = idpIssuer, idpAudience
		}), ""},
		{"the other provider's key claiming the provider", signWith(t, jwt.SigningMethodES256, q.key, q.kid, rsaClaims(now, nil)), ""},
		{"the provider's key claiming the dev issuer", sign(jwt.SigningMethodRS256, p.key, p.kid, func(c jwt.MapClaims) {
			c["iss"], c["aud"] = auth.DevIssuerName, auth.DevAudience
		}), ""},
		{"the dev key claiming the provider", signWith(t, jwt.SigningMethodEdDSA, f.key, f.kid, rsaClaims(now, nil)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(tt.token)
			if tt.want != "" {
				if err != nil || got != (auth.Principal{Subject: tt.want, Issuer: rsaIssuer, OrganizationID: rsaOrganization, DeviceID: "tablet-3",
					ExpiresAt: expiryOf(t, tt.token)}) {
					t.Fatalf("Verify = %+v, %v; want subject %q", got, err, tt.want)
				}
				return
			}
			assertRefused(t, tt.token, got, err)
		})
	}
}

// TestVerifierIssuerDownAtStart: a JWKS endpoint that does not answer at start does not stop
// the verifier; that issuer's tokens fail while it is down, another issuer's work throughout,
// and once it answers its tokens verify.
//
// Two verifiers: a refused token triggers a key set refresh that is then rate limited (five
// minutes by keyfunc's default), so the recovery is shown on a verifier that saw no token
// during the outage.
func TestVerifierIssuerDownAtStart(t *testing.T) {
	p := newRSAIDP(t)
	p.down.Store(true)
	q := newIDP(t)
	cfg := []auth.IssuerConfig{p.config(), {Issuer: idpIssuer, JWKSURL: q.srv.URL, Audience: idpAudience, OrganizationID: idpOrganization}}
	during, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier with a JWKS endpoint that is down: %v", err)
	}
	after, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier with a JWKS endpoint that is down: %v", err)
	}
	tok := signWith(t, jwt.SigningMethodRS256, p.key, p.kid, rsaClaims(time.Now(), nil))
	got, err := during.Verify(tok)
	assertRefused(t, tok, got, err)
	now := time.Now()
	otherTok := signWith(t, jwt.SigningMethodES256, q.key, q.kid, jwt.MapClaims{"iss": idpIssuer, "aud": idpAudience, "sub": "prof-1",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	if got, err := during.Verify(otherTok); err != nil || got.Subject != "prof-1" {
		t.Fatalf("the other provider's token while the first is down: %+v, %v", got, err)
	}

	p.down.Store(false)
	before := p.requests.Load()
	if got, err := after.Verify(tok); err != nil || got.Subject != "prof-9" {
		t.Fatalf("after the provider came back: %+v, %v", got, err)
	}
	if p.requests.Load() == before {
		t.Error("the key set was not fetched again for the unknown kid")
	}
}

func TestDevIssuerKeyFile(t *testing.T) {
	t.Run("created 0600 in a new 0700 folder, and reused", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nested", "data")
		first, err := auth.LoadOrCreateDevIssuer(dir)
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, devKeyFileName): 0o600} {
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %v", path, info.Mode().Perm(), want)
			}
		}
		before, err := os.ReadFile(filepath.Join(dir, devKeyFileName))
		if err != nil {
			t.Fatal(err)
		}
		second, err := auth.LoadOrCreateDevIssuer(dir)
		if err != nil {
			t.Fatal(err)
		}
		after, _ := os.ReadFile(filepath.Join(dir, devKeyFileName))
		if string(before) != string(after) {
			t.Fatal("opening the dev issuer again rewrote its key")
		}
		if string(first.JWKS()) != string(second.JWKS()) {
			t.Fatal("the second load publishes another key")
		}
		tok, err := first.Sign("prof-1", "phone-1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		v, err := auth.NewVerifier(nil, auth.WithDevIssuer(second))
		if err != nil {
			t.Fatal(err)
		}
		if p, err := v.Verify(tok); err != nil || p != (auth.Principal{Subject: "prof-1", Issuer: auth.DevIssuerName, DeviceID: "phone-1", ExpiresAt: expiryOf(t, tok)}) {
			t.Fatalf("a token of the first load, verified with the second: %+v, %v", p, err)
		}
	})

	t.Run("another folder has another key", func(t *testing.T) {
		a, err := auth.LoadOrCreateDevIssuer(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		b, err := auth.LoadOrCreateDevIssuer(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := a.Sign("prof-1", "", time.Hour)
		v, _ := auth.NewVerifier(nil, auth.WithDevIssuer(b))
		p, err := v.Verify(tok)
		assertRefused(t, tok, p, err)
	})

	t.Run("concurrent first starts share one key", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		const n = 16
		issuers := make([]*auth.DevIssuer, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { issuers[i], errs[i] = auth.LoadOrCreateDevIssuer(dir) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("start %d: %v", i, errs[i])
			}
			if string(issuers[i].JWKS()) != string(issuers[0].JWKS()) {
				t.Fatalf("start %d uses another key than start 0", i)
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != devKeyFileName {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("data folder holds %v, want only the key file", names)
		}
	})

	unreadable := []struct {
		name    string
		content func(t *testing.T) []byte
	}{
		{"not PEM", func(*testing.T) []byte { return []byte("hello") }},
		{"empty", func(*testing.T) []byte { return nil }},
		{"PEM but not a key", func(*testing.T) []byte {
			return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("garbage")})
		}},
		{"an RSA key", func(t *testing.T) []byte {
			k, err := rsa.GenerateKey(rand.Reader, 1024)
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		}},
	}
	for _, tt := range unreadable {
		t.Run("refuses a key file that is "+tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, devKeyFileName)
			content := tt.content(t)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			if d, err := auth.LoadOrCreateDevIssuer(dir); err == nil {
				t.Fatalf("loaded a dev issuer %v from a bad key file", d)
			}
			// The bad file is left for a human to look at, not silently replaced.
			if after, _ := os.ReadFile(path); string(after) != string(content) {
				t.Error("the bad key file was overwritten")
			}
		})
	}
}

func TestDevIssuerSign(t *testing.T) {
	f := newDevFixture(t)
	if _, err := f.issuer.Sign("", "phone", time.Hour); err == nil {
		t.Error("signed a token without a subject")
	}
	before := time.Now().Truncate(time.Second)
	tok, err := f.issuer.Sign("prof-1", "phone-1", -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.RegisteredClaims
	parsed, err := jwt.NewParser(jwt.WithoutClaimsValidation()).ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) {
		return f.key.Public(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Method.Alg() != "EdDSA" || parsed.Header["kid"] != f.kid {
		t.Errorf("header = %v", parsed.Header)
	}
	if c.IssuedAt == nil || c.ExpiresAt == nil || !c.IssuedAt.Before(c.ExpiresAt.Time) {
		t.Errorf("an expired dev token must still be issued before it expires: iat %v exp %v", c.IssuedAt, c.ExpiresAt)
	}
	if c.ExpiresAt.After(before.Add(-59 * time.Minute)) {
		t.Errorf("exp = %v, want about an hour ago", c.ExpiresAt)
	}
}

// syncHandler is a minimal SyncService that echoes the caller's principal back: Pull in
// evicted_household_ids, Subscribe in one message's household_ids.
type syncHandler struct {
	veiligv1connect.UnimplementedSyncServiceHandler
}

func principalIDs(ctx context.Context) []string {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return []string{"no principal"}
	}
	return []string{p.Subject, p.Issuer, p.DeviceID}
}

func (syncHandler) Pull(ctx context.Context, _ *connect.Request[veiligv1.PullRequest]) (*connect.Response[veiligv1.PullResponse], error) {
	return connect.NewResponse(&veiligv1.PullResponse{EvictedHouseholdIds: principalIDs(ctx)}), nil
}

func (syncHandler) Subscribe(ctx context.Context, _ *connect.Request[veiligv1.SubscribeRequest], s *connect.ServerStream[veiligv1.SubscribeResponse]) error {
	return s.Send(&veiligv1.SubscribeResponse{HouseholdIds: principalIDs(ctx)})
}

// TestInterceptorProtocols calls a generated Connect service through the interceptor with
// every protocol, unary and streaming.
func TestInterceptorProtocols(t *testing.T) {
	f := newDevFixture(t)
	v, err := auth.NewVerifier(nil, auth.WithDevIssuer(f.issuer))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(veiligv1connect.NewSyncServiceHandler(syncHandler{}, connect.WithInterceptors(auth.NewInterceptor(v))))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	h2c := &http.Client{Transport: &http.Transport{Protocols: new(http.Protocols)}}
	h2c.Transport.(*http.Transport).Protocols.SetUnencryptedHTTP2(true)

	good, err := f.issuer.Sign("prof-1", "phone-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := f.issuer.Sign("prof-1", "phone-1", -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{"prof-1", auth.DevIssuerName, "phone-1"}

	protocols := []struct {
		name   string
		client *http.Client
		opts   []connect.ClientOption
	}{
		{"connect", http.DefaultClient, nil},
		{"connect JSON", http.DefaultClient, []connect.ClientOption{connect.WithProtoJSON()}},
		{"gRPC over h2c", h2c, []connect.ClientOption{connect.WithGRPC()}},
		{"gRPC-Web", http.DefaultClient, []connect.ClientOption{connect.WithGRPCWeb()}},
	}
	headers := []struct {
		name, value string
		message     string // empty: accepted
	}{
		{"valid token", "Bearer " + good, ""},
		{"lower-case scheme", "bearer " + good, ""},
		{"no header", "", "missing bearer token"},
		{"scheme only", "Bearer", "missing bearer token"},
		{"Basic credentials", "Basic cHJvZjpodW50ZXIy", "missing bearer token"},
		{"token without scheme", good, "missing bearer token"},
		{"another scheme", "Token " + good, "missing bearer token"},
		{"garbage token", "Bearer not-a-token", "invalid or expired token"},
		{"expired token", "Bearer " + expired, "invalid or expired token"},
		{"tampered token", "Bearer " + flipSignature(good), "invalid or expired token"},
	}
	ctx := context.Background()
	for _, pr := range protocols {
		client := veiligv1connect.NewSyncServiceClient(pr.client, srv.URL, pr.opts...)
		for _, h := range headers {
			check := func(t *testing.T, ids []string, err error) {
				t.Helper()
				if h.message == "" {
					if err != nil {
						t.Fatalf("call: %v", err)
					}
					if strings.Join(ids, ",") != strings.Join(wantIDs, ",") {
						t.Fatalf("handler saw principal %v, want %v", ids, wantIDs)
					}
					return
				}
				if connect.CodeOf(err) != connect.CodeUnauthenticated {
					t.Fatalf("error = %v, want Unauthenticated", err)
				}
				var ce *connect.Error
				if !errors.As(err, &ce) || ce.Message() != h.message {
					t.Fatalf("error = %v, want message %q", err, h.message)
				}
				if len(ce.Details()) != 0 {
					t.Errorf("refusal carries details: %v", ce.Details())
				}
				for _, part := range strings.FieldsFunc(h.value, func(r rune) bool { return r == ' ' || r == '.' }) {
					if len(part) >= 8 && strings.Contains(err.Error(), part) {
						t.Errorf("the refusal repeats part of the credentials: %v", err)
					}
				}
			}
			t.Run(pr.name+"/unary/"+h.name, func(t *testing.T) {
				req := connect.NewRequest(&veiligv1.PullRequest{})
				if h.value != "" {
					req.Header().Set("Authorization", h.value)
				}
				res, err := client.Pull(ctx, req)
				var ids []string
				if err == nil {
					ids = res.Msg.GetEvictedHouseholdIds()
				}
				check(t, ids, err)
			})
			t.Run(pr.name+"/stream/"+h.name, func(t *testing.T) {
				req := connect.NewRequest(&veiligv1.SubscribeRequest{})
				if h.value != "" {
					req.Header().Set("Authorization", h.value)
				}
				stream, err := client.Subscribe(ctx, req)
				if err != nil {
					check(t, nil, err)
					return
				}
				defer stream.Close()
				var ids []string
				for stream.Receive() {
					ids = append(ids, stream.Msg().GetHouseholdIds()...)
				}
				check(t, ids, stream.Err())
			})
		}
	}
}

// TestInterceptorLeavesClientCallsAlone: on a client, the interceptor must not demand a
// token of outgoing calls.
func TestInterceptorLeavesClientCallsAlone(t *testing.T) {
	f := newDevFixture(t)
	v, err := auth.NewVerifier(nil, auth.WithDevIssuer(f.issuer))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(veiligv1connect.NewSyncServiceHandler(syncHandler{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := veiligv1connect.NewSyncServiceClient(http.DefaultClient, srv.URL, connect.WithInterceptors(auth.NewInterceptor(v)))
	res, err := client.Pull(context.Background(), connect.NewRequest(&veiligv1.PullRequest{}))
	if err != nil {
		t.Fatalf("a client call without token through the interceptor: %v", err)
	}
	if got := res.Msg.GetEvictedHouseholdIds(); len(got) != 1 || got[0] != "no principal" {
		t.Fatalf("an unauthenticated handler saw %v", got)
	}
}

func TestPrincipalContext(t *testing.T) {
	if p, ok := auth.FromContext(context.Background()); ok || p != (auth.Principal{}) {
		t.Fatalf("FromContext of an empty context = %+v, %v", p, ok)
	}
	want := auth.Principal{Subject: "s", Issuer: "i", DeviceID: "d"}
	if p, ok := auth.FromContext(auth.WithPrincipal(context.Background(), want)); !ok || p != want {
		t.Fatalf("FromContext = %+v, %v", p, ok)
	}
}
