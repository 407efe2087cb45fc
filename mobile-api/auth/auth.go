// Package auth authenticates requests at the edge: it verifies Bearer JWTs against the JWKS of
// the configured identity providers and, in development only, of a built-in dev issuer, and
// puts the caller's Principal into the request context.
//
// The rules, each with its reason:
//
//   - Every configured identity provider is bound to one organization (IssuerConfig's
//     OrganizationID), and the Principal carries it. An organization's identity provider can
//     vouch for its own people only; the edge (package careapi) refuses a token whose issuer's
//     organization is not the professional's (Principal.VouchesFor). Without the binding any
//     trusted provider could sign in as anybody of any organization.
//   - Token lifetimes are capped (WithMaxTokenLifetime, DefaultMaxTokenLifetime: a working
//     day) for every issuer, the dev issuer included: a token must carry iat and exp, and
//     exp − iat may not exceed the cap. A stolen long-lived token is a long-lived key to
//     safety plans of families in danger.
//   - The dev issuer (`veilig token`) never runs beside a real issuer: NewVerifier refuses
//     the combination, and DevIssuerWanted decides when `auto` turns it on. It is bound to no
//     organization, which is why it is for demos and tests only.
//   - HMAC and "none" are refused: a verifier that accepts HMAC can be fooled with a public key
//     used as the shared secret.
//
// What it must never do: log a token, or tell a client why its token was refused beyond a
// generic message (the reason would help an attacker tune a forgery). The reason goes to the
// server's log (the interceptor writes one line per refusal, with the request's id) and to an
// optional failure hook, never with the token.
package auth

import (
	"context"
	"strings"
	"time"
)

// Principal is the authenticated caller.
type Principal struct {
	// Subject is the professional id (the token's sub).
	Subject string
	// Issuer is the identity provider that vouched for the subject.
	Issuer string
	// OrganizationID is the organization the issuer is bound to: the issuer vouches for
	// professionals of that organization only. Empty for the dev issuer, which is bound to
	// none.
	OrganizationID string
	// DeviceID is the token's optional device_id claim, for the audit log.
	DeviceID string
	// ExpiresAt is the token's exp claim, in UTC: the instant the token stops vouching for
	// the caller. Every token the Verifier accepts has one. A request ends long before it,
	// but a stream (SyncService.Subscribe) outlives it unless it is ended at that instant;
	// the zero value means the expiry is unknown, and a stream must then not start.
	ExpiresAt time.Time
}

// VouchesFor reports whether the principal's issuer may vouch for a professional of
// organizationID: a configured issuer for its own organization only (organization ids are
// UUIDs, compared without regard to case), the dev issuer for any. A principal of another
// issuer without an organization vouches for nobody.
func (p Principal) VouchesFor(organizationID string) bool {
	if p.OrganizationID == "" {
		return p.Issuer == DevIssuerName
	}
	return organizationID != "" && strings.EqualFold(p.OrganizationID, organizationID)
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
