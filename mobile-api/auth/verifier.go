package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// IssuerConfig is one trusted identity provider.
type IssuerConfig struct {
	// Issuer must equal the token's iss claim.
	Issuer string
	// JWKSURL is where the issuer publishes its public keys.
	JWKSURL string
	// Audience must be one of the token's aud values.
	Audience string
	// OrganizationID is the organization (a UUID) whose professionals this issuer vouches
	// for; required. Its tokens are refused for professionals of any other organization.
	OrganizationID string
}

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 30 * time.Second

// DefaultMaxTokenLifetime is the longest lifetime (exp − iat) a token may have unless
// WithMaxTokenLifetime says otherwise: a working day, so that a professional signs in once a
// day and a stolen token is worth a day at most.
const DefaultMaxTokenLifetime = 10 * time.Hour

// allowedAlgs are the asymmetric algorithms accepted. HMAC is refused because a verifier that
// accepts it can be fooled with a public key used as the shared secret; "none" is refused.
var allowedAlgs = []string{"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"}

type issuer struct {
	cfg     IssuerConfig
	keyfunc jwt.Keyfunc
}

// Verifier verifies tokens. It is safe for concurrent use.
type Verifier struct {
	issuers     map[string]issuer
	bound       *boundIssuers // issuers bound in the directory (WithIssuerSource); nil for none
	dev         bool          // the dev issuer is trusted
	now         func() time.Time
	maxLifetime time.Duration
	onFail      func(reason string)
}

// Option configures a Verifier.
type Option func(*Verifier) error

// WithDevIssuer trusts tokens signed by d, in-process. For development only: NewVerifier
// refuses it together with any configured issuer, because the dev issuer is bound to no
// organization and its key sits in the data folder (and in every backup of it).
func WithDevIssuer(d *DevIssuer) Option {
	return func(v *Verifier) error {
		v.issuers[DevIssuerName] = issuer{cfg: IssuerConfig{Issuer: DevIssuerName, Audience: DevAudience}, keyfunc: d.keyfunc}
		v.dev = true
		return nil
	}
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option {
	return func(v *Verifier) error { v.now = now; return nil }
}

// WithMaxTokenLifetime caps the lifetime (exp − iat) of every issuer's tokens, the dev
// issuer's included; default DefaultMaxTokenLifetime. A token exactly at the cap is accepted.
func WithMaxTokenLifetime(d time.Duration) Option {
	return func(v *Verifier) error {
		if d <= 0 {
			return fmt.Errorf("max token lifetime %v: must be positive", d)
		}
		v.maxLifetime = d
		return nil
	}
}

// WithFailureHook receives the reason of every refused token (never the token itself), e.g.
// for a metric. The interceptor logs refusals itself, with the request's id.
func WithFailureHook(f func(reason string)) Option {
	return func(v *Verifier) error { v.onFail = f; return nil }
}

// NewVerifier trusts the given issuers. Each must name its issuer, JWKS URL, audience and
// organization (a UUID), and no issuer may be configured twice or take the dev issuer's
// name. Their JWKS are fetched in the background and refreshed; an endpoint that is down at
// start does not stop the server, it makes the tokens of that issuer fail until it answers.
func NewVerifier(issuers []IssuerConfig, opts ...Option) (*Verifier, error) {
	v := &Verifier{issuers: map[string]issuer{}, now: time.Now, maxLifetime: DefaultMaxTokenLifetime, onFail: func(string) {}}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	if v.dev && (len(issuers) > 0 || v.bound != nil) {
		return nil, errors.New("the dev issuer cannot be trusted beside a configured issuer: it is bound to no organization")
	}
	for _, cfg := range issuers {
		if cfg.Issuer == "" || cfg.JWKSURL == "" || cfg.Audience == "" || cfg.OrganizationID == "" {
			return nil, fmt.Errorf("issuer %q: issuer, JWKS URL, audience and organization id are all required", cfg.Issuer)
		}
		if err := CheckOrganizationID(cfg.OrganizationID); err != nil {
			return nil, fmt.Errorf("issuer %q: %w", cfg.Issuer, err)
		}
		if cfg.Issuer == DevIssuerName {
			return nil, fmt.Errorf("issuer %q: that name is the dev issuer's", cfg.Issuer)
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
	return v, nil
}

// CheckOrganizationID reports whether id can name an organization: a UUID in its canonical
// 36-character form, as the directory stores them.
func CheckOrganizationID(id string) error {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return fmt.Errorf("organization id %q is not a UUID (like 0b6f3f9e-4a8f-4d2b-9f7e-1c2d3e4f5a6b)", id)
	}
	return nil
}

type claims struct {
	jwt.RegisteredClaims
	DeviceID string `json:"device_id,omitempty"`
}

// ErrInvalidToken is returned for every refused token; the reason is not part of it.
var ErrInvalidToken = errors.New("invalid or expired token")

// refusal is why a token was refused, for the log: a reason that never repeats token content,
// and the issuer when it is a trusted one (an untrusted iss is client-chosen text).
type refusal struct {
	reason string
	issuer string
}

// Verify checks a compact JWT and returns its principal.
func (v *Verifier) Verify(token string) (Principal, error) {
	p, r := v.verify(token)
	if r != nil {
		v.onFail(r.reason)
		return Principal{}, ErrInvalidToken
	}
	return p, nil
}

func (v *Verifier) verify(token string) (Principal, *refusal) {
	// The issuer is read before the signature is checked only to pick whose keys verify it;
	// nothing else of the unverified token is used.
	var peek claims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &peek); err != nil {
		return Principal{}, &refusal{reason: "malformed token"}
	}
	iss, ok := v.issuers[peek.Issuer]
	if !ok && v.bound != nil {
		iss, ok = v.bound.get(peek.Issuer)
	}
	if !ok {
		return Principal{}, &refusal{reason: "untrusted issuer"}
	}
	refuse := func(reason string) (Principal, *refusal) {
		return Principal{}, &refusal{reason: reason, issuer: iss.cfg.Issuer}
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
		return refuse("rejected: " + reasonOf(err))
	}
	if c.Subject == "" {
		return refuse("no subject")
	}
	// The lifetime is judged from the signed claims, so that a token minted for a year is
	// refused today and not only next week. Without iat the lifetime is unknown.
	if c.IssuedAt == nil {
		return refuse("no issued-at (iat) claim: the token's lifetime is unknown")
	}
	if lifetime := c.ExpiresAt.Sub(c.IssuedAt.Time); lifetime > v.maxLifetime {
		return refuse(fmt.Sprintf("token lifetime %v exceeds the maximum of %v", lifetime, v.maxLifetime))
	}
	// The expiry travels with the principal so that a stream, which outlives the check made
	// here at its start, can end when the token does (exp is required above, so it is set).
	return Principal{Subject: c.Subject, Issuer: c.Issuer, OrganizationID: iss.cfg.OrganizationID, DeviceID: c.DeviceID,
		ExpiresAt: c.ExpiresAt.UTC()}, nil
}

// reasonOf names a jwt error class without echoing token content.
func reasonOf(err error) string {
	if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
		for _, claim := range []string{"exp", "iat", "nbf", "iss", "aud", "sub"} {
			if strings.Contains(err.Error(), claim+" claim is required") {
				return jwt.ErrTokenRequiredClaimMissing.Error() + ": " + claim
			}
		}
	}
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
