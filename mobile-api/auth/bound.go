package auth

import (
	"context"
	"sync"
	"time"

	"github.com/MicahParks/keyfunc/v3"
)

// IssuerSource lists the identity providers bound to organizations in the directory
// (RegionService.BindIssuer), each with its JWKS URL, audience and organization.
type IssuerSource func(ctx context.Context) ([]IssuerConfig, error)

// WithIssuerSource trusts, beside the configured issuers, those src lists: read at most once
// per refresh, and at once (at most every few seconds) when a token names an issuer not known
// yet, so a binding signs people in within a refresh and a garbage issuer costs no more than
// one read per few seconds. A configured issuer wins over a bound one of the same name. When
// src fails, the last list it gave stays in force. Not together with WithDevIssuer.
func WithIssuerSource(src IssuerSource, refresh time.Duration) Option {
	return func(v *Verifier) error {
		v.bound = &boundIssuers{src: src, refresh: refresh, now: time.Now, issuers: map[string]issuer{}}
		return nil
	}
}

// unknownRetry is how soon a token of an issuer not in the list reads it again.
const unknownRetry = 5 * time.Second

// boundIssuers is the directory's issuers as last read.
type boundIssuers struct {
	src     IssuerSource
	refresh time.Duration
	now     func() time.Time

	mu      sync.Mutex
	read    time.Time // when the list was last read (successfully or not)
	issuers map[string]issuer
}

// get returns the bound issuer of that name, reading the list again when it is old, or when
// the issuer is unknown and the list was not read in the last few seconds.
func (b *boundIssuers) get(name string) (issuer, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	iss, ok := b.issuers[name]
	age := b.now().Sub(b.read)
	if b.read.IsZero() || age >= b.refresh || (!ok && age >= unknownRetry) {
		b.reload()
		iss, ok = b.issuers[name]
	}
	return iss, ok
}

// reload reads the list; keys of issuers whose JWKS URL is unchanged are kept (keyfunc
// refreshes them in the background).
func (b *boundIssuers) reload() {
	b.read = b.now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cfgs, err := b.src(ctx)
	if err != nil {
		return // the last list stays in force
	}
	next := make(map[string]issuer, len(cfgs))
	for _, cfg := range cfgs {
		if old, ok := b.issuers[cfg.Issuer]; ok && old.cfg.JWKSURL == cfg.JWKSURL {
			old.cfg = cfg
			next[cfg.Issuer] = old
			continue
		}
		if cfg.Issuer == DevIssuerName || CheckOrganizationID(cfg.OrganizationID) != nil {
			continue
		}
		kf, err := keyfunc.NewDefaultCtx(context.Background(), []string{cfg.JWKSURL})
		if err != nil {
			continue
		}
		next[cfg.Issuer] = issuer{cfg: cfg, keyfunc: kf.Keyfunc}
	}
	b.issuers = next
}

// Stale makes the verifier read the bound issuers again at the next token of an issuer it
// does not know (after a binding this process made). Without WithIssuerSource it does
// nothing.
func (v *Verifier) Stale() {
	if v.bound == nil {
		return
	}
	v.bound.mu.Lock()
	defer v.bound.mu.Unlock()
	v.bound.read = time.Time{}
}
