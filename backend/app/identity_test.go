package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"

	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/mobile-api/auth"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// idp is an organization's identity provider: an ECDSA key published as a JWKS over HTTP.
type idp struct {
	issuer string
	key    *ecdsa.PrivateKey
	srv    *httptest.Server
}

const idpAudience = "veilig-api"

func newIDP(t *testing.T, issuer string) *idp {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.FillBytes(make([]byte, 32))) }
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "k1", "x": enc(key.X), "y": enc(key.Y),
	}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	t.Cleanup(srv.Close)
	return &idp{issuer: issuer, key: key, srv: srv}
}

func (p *idp) config(organizationID string) auth.IssuerConfig {
	return auth.IssuerConfig{Issuer: p.issuer, JWKSURL: p.srv.URL, Audience: idpAudience, OrganizationID: organizationID}
}

// token signs a token for subject that lives for lifetime from a minute ago.
func (p *idp) token(t *testing.T, subject string, lifetime time.Duration) string {
	t.Helper()
	return p.tokenAt(t, subject, time.Now().Add(-time.Minute), lifetime)
}

// tokenAt signs a token for subject issued at iat that lives for lifetime.
func (p *idp) tokenAt(t *testing.T, subject string, iat time.Time, lifetime time.Duration) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": p.issuer, "aud": idpAudience, "sub": subject, "device_id": "phone-1",
		"iat": iat.Unix(), "exp": iat.Add(lifetime).Unix(),
	})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestIdentityBoundToOrganization: every identity provider signs in the professionals of its
// own organization only. A token of provider A naming a professional of organization B is
// refused on every service (no profile, no households, no sync) with the one generic
// message, and the refusal is logged at warn with ids only; the dev issuer is not trusted
// beside real issuers; tokens living longer than the cap are refused.
func TestIdentityBoundToOrganization(t *testing.T) {
	t.Parallel()
	a := newIDP(t, "https://login.jeugdbescherming.example")
	c := newIDP(t, "https://login.veiligthuis.example")
	ctx := context.Background()
	var orgA, orgC string
	b := setupWith(t, options{issuers: func(st *store.DB, r *demo.Region) []auth.IssuerConfig {
		orgOf := func(id string) string {
			p, err := st.ProfessionalGet(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return p.OrganizationID
		}
		orgA, orgC = orgOf(r.LeadID), orgOf(r.SupervisorID)
		return []auth.IssuerConfig{a.config(orgA), c.config(orgC)}
	}})
	lead, supervisor := b.region.LeadID, b.region.SupervisorID
	if orgA == orgC {
		t.Fatal("the demo lead and supervisor are of one organization; the test needs two")
	}

	type call struct {
		name string
		do   func(tok string) error
	}
	calls := []call{
		{"GetMe", func(tok string) error {
			_, err := b.directory.GetMe(ctx, as(tok, &veiligv1.GetMeRequest{}))
			return err
		}},
		{"ListHouseholds", func(tok string) error {
			_, err := b.household.ListHouseholds(ctx, as(tok, &veiligv1.ListHouseholdsRequest{PageSize: 50}))
			return err
		}},
		{"Pull", func(tok string) error {
			_, err := b.sync.Pull(ctx, as(tok, &veiligv1.PullRequest{}))
			return err
		}},
	}
	devToken := b.token(t, supervisor)
	tests := []struct {
		name    string
		token   string
		subject string
		code    connect.Code // 0: allowed
		warned  bool         // a warn line for another organization
	}{
		{"provider A for a professional of A", a.token(t, lead, time.Hour), lead, 0, false},
		{"provider C for a professional of C", c.token(t, supervisor, time.Hour), supervisor, 0, false},
		{"provider A for a supervisor of C", a.token(t, supervisor, time.Hour), supervisor, connect.CodePermissionDenied, true},
		{"provider C for a professional of A", c.token(t, lead, time.Hour), lead, connect.CodePermissionDenied, true},
		{"provider A for nobody in the directory", a.token(t, "5d0c2a4e-0000-4000-8000-000000000000", time.Hour), "", connect.CodePermissionDenied, false},
		{"a dev token beside real issuers", devToken, "", connect.CodeUnauthenticated, false},
		{"provider A, at the default cap", a.token(t, lead, auth.DefaultMaxTokenLifetime), lead, 0, false},
		{"provider A, a second over the default cap", a.token(t, lead, auth.DefaultMaxTokenLifetime+time.Second), "", connect.CodeUnauthenticated, false},
	}
	for _, tt := range tests {
		for _, cl := range calls {
			t.Run(tt.name+"/"+cl.name, func(t *testing.T) {
				err := cl.do(tt.token)
				if tt.code == 0 {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				ce := wantCode(t, err, tt.code)
				if tt.code == connect.CodePermissionDenied && ce.Message() != "no access to Veilig for this account" {
					t.Fatalf("message %q tells the client more than it may know", ce.Message())
				}
			})
		}
	}

	// The refusals for another organization are warn lines with ids only.
	var warned []map[string]any
	for _, l := range logLines(t, b.logs.String()) {
		if l["level"] == "warn" && strings.Contains(l["message"].(string), "another organization") {
			warned = append(warned, l)
		}
	}
	if len(warned) != 2*len(calls) {
		t.Fatalf("%d warn lines for another organization, want %d: %v", len(warned), 2*len(calls), warned)
	}
	for _, l := range warned {
		switch l["subject"] {
		case supervisor:
			if l["issuer"] != a.issuer || l["issuer_organization_id"] != orgA || l["professional_organization_id"] != orgC {
				t.Errorf("warn line %v", l)
			}
		case lead:
			if l["issuer"] != c.issuer || l["issuer_organization_id"] != orgC || l["professional_organization_id"] != orgA {
				t.Errorf("warn line %v", l)
			}
		default:
			t.Errorf("warn line for subject %v", l["subject"])
		}
		if id, _ := l["request_id"].(string); id == "" {
			t.Errorf("warn line without the request id: %v", l)
		}
	}
	logs := b.logs.String()
	for _, secret := range demo.PersonalData() {
		if strings.Contains(logs, secret) {
			t.Errorf("the log names %q", secret)
		}
	}
	for _, tt := range tests {
		if strings.Contains(logs, strings.Split(tt.token, ".")[2]) {
			t.Errorf("the log holds the token of %q", tt.name)
		}
	}
}

// TestAuthenticationFailuresAreLogged: a refused token is one info line with its reason and
// the request's id, and nothing of the token.
func TestAuthenticationFailuresAreLogged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	good := b.token(t, b.region.LeadID)
	expired, err := b.dev.Sign(b.region.LeadID, "phone-1", -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tooLong, err := b.dev.Sign(b.region.LeadID, "phone-1", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tampered := good[:len(good)-6] + "AAAAAA"
	tests := []struct {
		name, token, reason string
	}{
		{"no token", "", "no bearer token"},
		{"expired", expired, "expired"},
		{"a month long", tooLong, "exceeds the maximum"},
		{"tampered", tampered, "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.directory.GetMe(ctx, as(tt.token, &veiligv1.GetMeRequest{}))
			ce := wantCode(t, err, connect.CodeUnauthenticated)
			id := ce.Meta().Get("X-Request-Id")
			if id == "" {
				t.Fatal("the refusal carries no request id")
			}
			var lines []map[string]any
			for _, l := range logLines(t, b.logs.String()) {
				if l["request_id"] == id && l["message"] == "authentication failed" {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("authentication failure lines of request %s: %v", id, lines)
			}
			if reason, _ := lines[0]["reason"].(string); !strings.Contains(reason, tt.reason) {
				t.Fatalf("logged reason %q, want %q", reason, tt.reason)
			}
		})
	}
	logs := b.logs.String()
	for _, tok := range []string{good, expired, tooLong, tampered} {
		for _, part := range strings.Split(tok, ".") {
			if len(part) >= 8 && strings.Contains(logs, part) {
				t.Errorf("the log repeats part of a token: %.20s…", part)
			}
		}
	}
}

// TestAuditRowsCarryTheServersRequestID: a client's X-Request-Id never reaches an audit row;
// the row carries the id the server gave the request (its X-Request-Id response header).
func TestAuditRowsCarryTheServersRequestID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	hid := b.region.FirstHouseholdID
	req := as(b.token(t, b.region.LeadID), &veiligv1.GetPlanRequest{HouseholdId: hid})
	const clientID = "client-chosen-request-id"
	req.Header().Set("X-Request-Id", clientID)
	res, err := b.plan.GetPlan(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	serverID := res.Header().Get("X-Request-Id")
	if serverID == "" || serverID == clientID {
		t.Fatalf("response request id %q", serverID)
	}
	events, err := b.store.AuditListByHousehold(ctx, hid)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		if e.RequestID == clientID {
			t.Fatalf("an audit row carries the client's request id: %+v", e)
		}
		found = found || e.RequestID == serverID
	}
	if !found {
		t.Fatalf("no audit row carries the server's request id %s", serverID)
	}
	if !strings.Contains(b.logs.String(), `"client_request_id":"`+clientID+`"`) {
		t.Error("the client's request id is not logged beside the server's")
	}
}

func logLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
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
