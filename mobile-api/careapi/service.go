// Package careapi implements the Connect services the care team's phones call: the directory,
// households and their care teams, safety plans, and check-ins.
//
// This is the edge. Every request arrives authenticated (package auth put a Principal in the
// context) and validated (protovalidate rules in proto/, enforced by an interceptor). Here a
// request is decoded, handed to the domain layer (backend/household: authorization against
// the care team and the audit record, in the use case's transaction), and its result or
// error mapped to the protocol.
//
// What it must never do: tell a caller that a household it may not see exists (such a
// household answers NotFound, the same as one that does not exist), or put personal data into
// an error message or a log line. Store errors are mapped to Connect codes here, once.
package careapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/mobile-api/auth"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// Service implements every care-team service of veilig.v1.
type Service struct {
	store     *store.DB
	domain    *household.Service
	now       func() time.Time
	requestID func(context.Context) string
	pollEvery time.Duration
	stopping  func(context.Context) <-chan struct{}
	publicURL string
	streams   *streamLimiter // open Subscribe streams, capped (WithStreamLimits)
	changes   *changeHub     // wakes Subscribe streams when their households change
	log       zerolog.Logger // for work no request owns (the change poller)
	quotas    *quotaGuard    // push rates and household sizes (WithQuotas)
	ends      streamEnds     // open Subscribe streams, to end on a revocation
	lease     store.Lease    // the deployment's default offline lease (WithLease)
	onBound   func()         // an issuer was bound (WithIssuerBound)
}

var (
	_ veiligv1connect.DirectoryServiceHandler = (*Service)(nil)
	_ veiligv1connect.HouseholdServiceHandler = (*Service)(nil)
	_ veiligv1connect.PlanServiceHandler      = (*Service)(nil)
	_ veiligv1connect.CheckInServiceHandler   = (*Service)(nil)
)

// Option configures a Service.
type Option func(*Service)

// WithClock replaces the wall clock (time.Now), for tests.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRequestID tells the service how to read a request's id (set by the server's
// middleware), so that audit records carry it. Without it audit records have none.
func WithRequestID(f func(context.Context) string) Option {
	return func(s *Service) { s.requestID = f }
}

// WithShutdownSignal tells long-lived streams how to learn that the server is shutting down
// (a channel that closes), so that they end instead of holding the shutdown up.
func WithShutdownSignal(f func(context.Context) <-chan struct{}) Option {
	return func(s *Service) { s.stopping = f }
}

// WithIssuerBound calls f after every RegionService.BindIssuer that changed a binding, so
// that this process's token verifier reads the bindings again at once (auth.Verifier.Stale);
// other replicas read them within a minute, or within seconds when a token names the issuer.
func WithIssuerBound(f func()) Option { return func(s *Service) { s.onBound = f } }

// WithPollInterval sets how often the process looks for changes other replicas (or other
// RPCs) committed, on behalf of every open Subscribe stream at once (default 1 s). A push
// through this process wakes its households' streams at once.
func WithPollInterval(d time.Duration) Option { return func(s *Service) { s.pollEvery = d } }

// WithLogger sets the logger of work no request owns (the change poller of Subscribe
// streams); requests log on their own loggers. Default: none.
func WithLogger(l zerolog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Service backed by the storage core db.
func New(db *store.DB, opts ...Option) *Service {
	s := &Service{store: db, now: time.Now, requestID: func(context.Context) string { return "" }, pollEvery: time.Second, log: zerolog.Nop(),
		stopping: func(context.Context) <-chan struct{} { return nil },
		streams:  newStreamLimiter(DefaultStreamsPerProfessional, DefaultStreamsPerDevice), quotas: newQuotaGuard(Quotas{}),
		lease: defaultLease()}
	for _, o := range opts {
		o(s)
	}
	s.domain = household.New(db, s.now)
	s.changes = newChangeHub(db, s.pollEvery, s.log)
	return s
}

// caller is the authenticated professional making a request.
type caller struct {
	principal    auth.Principal
	professional *store.Professional
	// device is the caller's registered device the token names; nil when it names none or
	// one never registered (package doc of devices.go).
	device *store.DeviceRecord
}

// deviceID is the caller's trusted device id: that of a registered device of theirs, or "".
func (c *caller) deviceID() string {
	if c.device == nil {
		return ""
	}
	return c.device.ID
}

// errNoAccess is the one answer for a valid token that may not use Veilig: a subject the
// directory does not know (an identity provider may know people who were never given access
// to Veilig), and a professional of another organization than the token's issuer. The client
// is never told which: the reason is in the server's log.
var errNoAccess = connect.NewError(connect.CodePermissionDenied, errors.New("no access to Veilig for this account"))

// callerFrom loads the professional behind the request's principal and refuses it unless
// the token's issuer vouches for the professional's organization (auth.Principal.VouchesFor):
// every configured issuer is bound to one organization, so an identity provider cannot sign
// in as a professional of another.
//
// The professional is found by (issuer, subject) (store.ProfessionalIdentity): an identity
// provider's subjects are its own. A subject with no binding is taken as a professional id,
// for issuers that put Veilig's ids into their tokens (and the dev issuer); the
// organization check holds either way. A disabled professional, and a token naming a revoked
// device or another professional's, are refused (checkAccess). Refusals are logged with ids only, never the token or
// a name.
func (s *Service) callerFrom(ctx context.Context) (*caller, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("missing bearer token"))
	}
	prof, err := s.store.ProfessionalGetByIdentity(ctx, p.Issuer, p.Subject)
	if errors.Is(err, store.ErrNotFound) {
		prof, err = s.store.ProfessionalGet(ctx, p.Subject)
	}
	if errors.Is(err, store.ErrNotFound) {
		zerolog.Ctx(ctx).Info().Str("issuer", p.Issuer).Str("subject", p.Subject).
			Msg("caller refused: the token's subject is not a professional in the directory")
		return nil, errNoAccess
	}
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("load caller: %w", err), "professional")
	}
	if !p.VouchesFor(prof.OrganizationID) {
		zerolog.Ctx(ctx).Warn().Str("issuer", p.Issuer).Str("subject", p.Subject).Str("professional_id", prof.ID).
			Str("issuer_organization_id", p.OrganizationID).Str("professional_organization_id", prof.OrganizationID).
			Msg("caller refused: the token's issuer is bound to another organization than the professional's")
		return nil, errNoAccess
	}
	device, err := s.checkAccess(ctx, prof, p.DeviceID)
	if err != nil {
		return nil, err
	}
	if device != nil {
		if err := s.store.DeviceSeen(ctx, device, utc(s.now())); err != nil {
			return nil, s.storeError(ctx, fmt.Errorf("mark device %s seen: %w", device.ID, err), "device")
		}
	}
	return &caller{principal: p, professional: prof, device: device}, nil
}

// actor is the caller as the domain layer knows it.
func (s *Service) actor(ctx context.Context, c *caller) household.Actor {
	return household.Actor{Professional: c.professional, Issuer: c.principal.Issuer, DeviceID: c.deviceID(), RequestID: s.requestID(ctx)}
}

// errHouseholdNotFound is the one answer for a household that does not exist and for one the
// caller may not see, so that existence does not leak.
var errHouseholdNotFound = connect.NewError(connect.CodeNotFound, errors.New("household not found"))

// errDatabaseUnavailable answers every call that met a database outage.
var errDatabaseUnavailable = connect.NewError(connect.CodeUnavailable, errors.New("service temporarily unavailable; try again"))

// storeError maps an error of the domain layer or the store to a Connect error, in one place
// for every RPC: what names the missing thing for NotFound. A database outage is
// Unavailable and a cancelled request Canceled, neither logged as an error; anything
// unexpected is logged and answered Internal.
func (s *Service) storeError(ctx context.Context, err error, what string) error {
	var refusal *household.Refusal
	switch {
	case errors.Is(err, household.ErrHouseholdNotFound):
		return errHouseholdNotFound
	case errors.As(err, &refusal) && errors.Is(refusal.Kind, household.ErrPermission):
		return connect.NewError(connect.CodePermissionDenied, errors.New(refusal.Message))
	case errors.As(err, &refusal):
		return connect.NewError(connect.CodeInvalidArgument, errors.New(refusal.Message))
	case errors.Is(err, store.ErrNotFound):
		return connect.NewError(connect.CodeNotFound, fmt.Errorf("%s not found", what))
	case errors.Is(err, store.ErrConflict):
		return connect.NewError(connect.CodeAlreadyExists, fmt.Errorf("%s already exists", what))
	case errors.Is(err, store.ErrUnavailable):
		// Transient: the client retries (Unavailable is the code clients retry on). The
		// access log records the code; readiness and the scheduler report the outage once.
		return errDatabaseUnavailable
	case errors.Is(err, context.Canceled):
		// The client went away: nothing failed on this side, so nothing is logged here.
		return connect.NewError(connect.CodeCanceled, errors.New("request canceled"))
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, errors.New("deadline exceeded"))
	default:
		return s.internal(ctx, err)
	}
}

// internal logs err (which carries ids only, never personal data) and answers the client with
// a bare Internal error: internals never reach a client.
func (s *Service) internal(ctx context.Context, err error) error {
	zerolog.Ctx(ctx).Error().Err(err).Msg("request failed")
	return connect.NewError(connect.CodeInternal, errors.New("internal error"))
}
