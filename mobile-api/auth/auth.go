// Package auth authenticates requests at the edge: it verifies Bearer JWTs against the JWKS of
// the configured identity providers (one per organization) and, in development, of a built-in
// dev issuer, and puts the caller's Principal into the request context.
//
// What it must never do: log a token, or tell a client why its token was refused beyond a
// generic message (the reason would help an attacker tune a forgery). The reason is given only
// to an optional failure hook, without the token.
package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Principal is the authenticated caller.
type Principal struct {
	// Subject is the professional id (the token's sub).
	Subject string
	// Issuer is the identity provider that vouched for the subject.
	Issuer string
	// DeviceID is the token's optional device_id claim, for the audit log.
	DeviceID string
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of an authenticated request.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// IssuerConfig is one trusted identity provider.
type IssuerConfig struct {
	// Issuer must equal the token's iss claim.
	Issuer string
	// JWKSURL is where the issuer publishes its public keys.
	JWKSURL string
	// Audience must be one of the token's aud values.
	Audience string
}

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 30 * time.Second

// allowedAlgs are the asymmetric algorithms accepted. HMAC is refused because a verifier that
// accepts it can be fooled with a public key used as the shared secret; "none" is refused.
var allowedAlgs = []string{"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"}

type issuer struct {
	cfg     IssuerConfig
	keyfunc jwt.Keyfunc
}

// Verifier verifies tokens. It is safe for concurrent use.
type Verifier struct {
	issuers map[string]issuer
	now     func() time.Time
	onFail  func(reason string)
}

// Option configures a Verifier.
type Option func(*Verifier) error

// WithDevIssuer trusts tokens signed by d, in-process. For development only.
func WithDevIssuer(d *DevIssuer) Option {
	return func(v *Verifier) error {
		v.issuers[DevIssuerName] = issuer{cfg: IssuerConfig{Issuer: DevIssuerName, Audience: DevAudience}, keyfunc: d.keyfunc}
		return nil
	}
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option {
	return func(v *Verifier) error { v.now = now; return nil }
}

// WithFailureHook receives the reason of every refused token (never the token itself), e.g.
// for a debug log line.
func WithFailureHook(f func(reason string)) Option {
	return func(v *Verifier) error { v.onFail = f; return nil }
}

// NewVerifier trusts the given issuers. Their JWKS are fetched in the background and
// refreshed; an endpoint that is down at start does not stop the server, it makes the
// tokens of that issuer fail until it answers.
func NewVerifier(issuers []IssuerConfig, opts ...Option) (*Verifier, error) {
	v := &Verifier{issuers: map[string]issuer{}, now: time.Now, onFail: func(string) {}}
	for _, cfg := range issuers {
		if cfg.Issuer == "" || cfg.JWKSURL == "" || cfg.Audience == "" {
			return nil, fmt.Errorf("issuer %q: issuer, JWKS URL and audience are all required", cfg.Issuer)
		}
		if _, dup := v.issuers[cfg.Issuer]; dup {
			return nil, fmt.Errorf("issuer %q configured twice", cfg.Issuer)
		}
		kf, err := keyfunc.NewDefaultCtx(context.Background(), []string{cfg.JWKSURL})
		if err != nil {
			return nil, fmt.Errorf("issuer %q: JWKS: %w", cfg.Issuer, err)
		}
		v.issuers[cfg.Issuer] = issuer{cfg: cfg, keyfunc: kf.Keyfunc}
	}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

type claims struct {
	jwt.RegisteredClaims
	DeviceID string `json:"device_id,omitempty"`
}

// ErrInvalidToken is returned for every refused token; the reason is not part of it.
var ErrInvalidToken = errors.New("invalid or expired token")

// Verify checks a compact JWT and returns its principal.
func (v *Verifier) Verify(token string) (Principal, error) {
	p, reason := v.verify(token)
	if reason != "" {
		v.onFail(reason)
		return Principal{}, ErrInvalidToken
	}
	return p, nil
}

func (v *Verifier) verify(token string) (Principal, string) {
	// The issuer is read before the signature is checked only to pick whose keys verify it;
	// nothing else of the unverified token is used.
	var peek claims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &peek); err != nil {
		return Principal{}, "malformed token"
	}
	iss, ok := v.issuers[peek.Issuer]
	if !ok {
		return Principal{}, "untrusted issuer"
	}
	var c claims
	parser := jwt.NewParser(
		jwt.WithValidMethods(allowedAlgs),
		jwt.WithIssuer(iss.cfg.Issuer),
		jwt.WithAudience(iss.cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(v.now),
	)
	if _, err := parser.ParseWithClaims(token, &c, iss.keyfunc); err != nil {
		return Principal{}, "rejected: " + reasonOf(err)
	}
	if c.Subject == "" {
		return Principal{}, "no subject"
	}
	return Principal{Subject: c.Subject, Issuer: c.Issuer, DeviceID: c.DeviceID}, ""
}

// reasonOf names a jwt error class without echoing token content.
func reasonOf(err error) string {
	for _, e := range []error{
		jwt.ErrTokenExpired, jwt.ErrTokenNotValidYet, jwt.ErrTokenUsedBeforeIssued,
		jwt.ErrTokenInvalidAudience, jwt.ErrTokenInvalidIssuer, jwt.ErrTokenSignatureInvalid,
		jwt.ErrTokenUnverifiable, jwt.ErrTokenMalformed, jwt.ErrTokenRequiredClaimMissing,
	} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "invalid"
}
