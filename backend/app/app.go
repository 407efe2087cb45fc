// Package app assembles the Veilig backend from its parts: the store, the authentication of
// requests, validation, and the Connect services. Both `veilig serve` and the integration
// tests build the server through Services, so that what is tested is what runs.
package app

import (
	"context"
	"crypto/rand"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/validate"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/metrics"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/mobile-api/auth"
	"github.com/veilig/veilig/mobile-api/careapi"
	"github.com/veilig/veilig/mobile-api/familylink"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// DefaultMaxRequestBytes bounds a request message. Plan entries are short texts; a request
// far larger than that is a mistake or an attack, and is refused with ResourceExhausted.
const DefaultMaxRequestBytes = 1 << 20

// Config is what Services needs.
type Config struct {
	Store    *store.DB
	Verifier *auth.Verifier
	// MaxRequestBytes bounds one request message; 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger is the family page's logger. The services log on each request's own logger (the
	// server's, carrying the request id): authentication failures at info with their reason,
	// callers refused for another organization at warn, never a token.
	Logger zerolog.Logger
	// PollInterval is how often the process looks for changes committed elsewhere, once for
	// every open SyncService.Subscribe stream (careapi.WithPollInterval); 0 means 1 s.
	PollInterval time.Duration
	// StreamsPerProfessional and StreamsPerDevice cap the concurrent SyncService.Subscribe
	// streams of one professional and of one of their devices, in this process
	// (careapi.WithStreamLimits); 0 means careapi.DefaultStreamsPerProfessional and
	// careapi.DefaultStreamsPerDevice. Negative values are a programming error (Services
	// panics): veilig serve validates its flags before.
	StreamsPerProfessional int
	StreamsPerDevice       int
	// PublicURL is the base of family check-in links (https://veilig.example.org); empty
	// makes them relative.
	PublicURL string
	// LinkSecret signs the family page's form tokens (at least 32 bytes). Every replica must
	// share it, or a form served by one is refused by another; empty means a random secret
	// for this process (one replica, tests, the simulator).
	LinkSecret []byte
	// TrustProxy takes the family page's client address from X-Forwarded-For (behind a
	// trusted load balancer) for rate limiting.
	TrustProxy bool
	// Quotas bound pushes per device and the size of a household (careapi.WithQuotas);
	// zero fields are the defaults.
	Quotas careapi.Quotas
	// The family page's limits (familylink.Config); zero values are its defaults.
	FamilyPerLinkRate, FamilyPerAddressRate familylink.Limit
	FamilyMaxPINFailures                    int32
	FamilyBlockAlert                        familylink.BlockAlert
	// MinAppVersion refuses requests of apps older than this semantic version, or that send
	// no careapi.AppVersionHeader, with FailedPrecondition (careapi.NewAppVersionInterceptor);
	// empty turns the check off. A value that is not a semantic version is a programming
	// error (Services panics): veilig serve validates its flags before.
	MinAppVersion string
	// LeaseLockAfter and LeaseEraseAfter are the deployment's default offline lease
	// (careapi.WithLease): a pull carries the caller's organization's own lease
	// (RegionService.SetOrganizationLease), else this one. Zero means
	// household.DefaultLeaseLockAfter and household.DefaultLeaseEraseAfter.
	LeaseLockAfter, LeaseEraseAfter time.Duration
	// Metrics receives the sync and family-page metrics (SyncService Push and Pull, family
	// answers); nil records none.
	Metrics *metrics.Metrics
}

// Services returns every Connect service of the backend, wrapped in authentication (first,
// so an unauthenticated caller learns nothing, not even whether its input was valid) and
// then validation of every request against the protovalidate rules of proto/.
func Services(cfg Config) []server.Service {
	maxBytes := cfg.MaxRequestBytes
	if maxBytes == 0 {
		maxBytes = DefaultMaxRequestBytes
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	interceptors := []connect.Interceptor{
		server.CodeInterceptor(), // outermost: the access log sees every refusal's code
		syncMetrics{cfg.Metrics}, // outside authentication: a refused push counts too
		auth.NewInterceptor(cfg.Verifier),
	}
	// After authentication (an unauthenticated caller learns nothing, not even the minimum
	// version), before validation (an old app's requests may not validate at all).
	if v := careapi.NewAppVersionInterceptor(cfg.MinAppVersion); v != nil {
		interceptors = append(interceptors, v)
	}
	interceptors = append(interceptors, validate.NewInterceptor())
	opts := []connect.HandlerOption{
		connect.WithInterceptors(interceptors...),
		connect.WithReadMaxBytes(maxBytes),
		connect.WithCompressMinBytes(1024),
	}
	svcOpts := []careapi.Option{careapi.WithClock(now), careapi.WithRequestID(server.RequestID), careapi.WithShutdownSignal(server.ShuttingDown),
		careapi.WithPublicURL(cfg.PublicURL), careapi.WithLogger(cfg.Logger)}
	if cfg.PollInterval > 0 {
		svcOpts = append(svcOpts, careapi.WithPollInterval(cfg.PollInterval))
	}
	perProfessional, perDevice := cfg.StreamsPerProfessional, cfg.StreamsPerDevice
	if perProfessional == 0 {
		perProfessional = careapi.DefaultStreamsPerProfessional
	}
	if perDevice == 0 {
		perDevice = careapi.DefaultStreamsPerDevice
	}
	svcOpts = append(svcOpts, careapi.WithStreamLimits(perProfessional, perDevice), careapi.WithQuotas(cfg.Quotas))
	lockAfter, eraseAfter := cfg.LeaseLockAfter, cfg.LeaseEraseAfter
	if lockAfter == 0 {
		lockAfter = household.DefaultLeaseLockAfter
	}
	if eraseAfter == 0 {
		eraseAfter = household.DefaultLeaseEraseAfter
	}
	svcOpts = append(svcOpts, careapi.WithLease(lockAfter, eraseAfter))
	if cfg.Verifier != nil {
		svcOpts = append(svcOpts, careapi.WithIssuerBound(cfg.Verifier.Stale))
	}
	svc := careapi.New(cfg.Store, svcOpts...)

	var out []server.Service
	add := func(name, path string, h http.Handler) {
		out = append(out, server.Service{Name: name, Path: path, Handler: h})
	}
	path, h := veiligv1connect.NewDirectoryServiceHandler(svc, opts...)
	add(veiligv1connect.DirectoryServiceName, path, h)
	path, h = veiligv1connect.NewHouseholdServiceHandler(svc, opts...)
	add(veiligv1connect.HouseholdServiceName, path, h)
	path, h = veiligv1connect.NewPlanServiceHandler(svc, opts...)
	add(veiligv1connect.PlanServiceName, path, h)
	path, h = veiligv1connect.NewCheckInServiceHandler(svc, opts...)
	add(veiligv1connect.CheckInServiceName, path, h)
	path, h = veiligv1connect.NewSyncServiceHandler(svc, opts...)
	add(veiligv1connect.SyncServiceName, path, h)
	path, h = veiligv1connect.NewAlertServiceHandler(svc, opts...)
	add(veiligv1connect.AlertServiceName, path, h)
	path, h = veiligv1connect.NewDeviceServiceHandler(svc, opts...)
	add(veiligv1connect.DeviceServiceName, path, h)
	path, h = veiligv1connect.NewFamilyLinkServiceHandler(svc, opts...)
	add(veiligv1connect.FamilyLinkServiceName, path, h)
	path, h = veiligv1connect.NewAuditServiceHandler(svc, opts...)
	add(veiligv1connect.AuditServiceName, path, h)
	path, h = veiligv1connect.NewRegionServiceHandler(svc, opts...)
	add(veiligv1connect.RegionServiceName, path, h)
	path, h = veiligv1connect.NewHouseholdFileServiceHandler(svc, opts...)
	add(veiligv1connect.HouseholdFileServiceName, path, h)
	// The family page: public, no token, its own hygiene (package familylink).
	secret := cfg.LinkSecret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		rand.Read(secret) // never fails (crypto/rand)
	}
	family := familylink.New(familylink.Config{Store: familyStore{DB: cfg.Store, Service: household.New(cfg.Store, now)},
		RequestID: server.RequestID, Now: now, Secret: secret, Log: cfg.Logger, TrustProxy: cfg.TrustProxy,
		PerLinkRate: cfg.FamilyPerLinkRate, PerAddressRate: cfg.FamilyPerAddressRate, MaxPINFailures: cfg.FamilyMaxPINFailures,
		BlockAlert: cfg.FamilyBlockAlert})
	// Its urgent alerts are raised after the answer's page; shutdown waits for them.
	out = append(out, server.Service{Path: "/c/", Handler: familyAnswers(cfg.Metrics, family), Drain: family.Wait})
	return out
}

// familyStore is what the family page uses: the storage core, and the domain layer's use
// case that records an answer with its access record.
type familyStore struct {
	*store.DB
	*household.Service
}

// BoundIssuers lists the identity providers bound to organizations in the directory
// (RegionService.BindIssuer, veilig admin init), for auth.WithIssuerSource.
func BoundIssuers(st *store.DB) auth.IssuerSource {
	return func(ctx context.Context) ([]auth.IssuerConfig, error) {
		bound, err := st.OrganizationIssuerList(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]auth.IssuerConfig, 0, len(bound))
		for _, b := range bound {
			out = append(out, auth.IssuerConfig{Issuer: b.Issuer, JWKSURL: b.JWKSURL, Audience: b.Audience, OrganizationID: b.OrganizationID})
		}
		return out, nil
	}
}
