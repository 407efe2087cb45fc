package careapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

var (
	_ veiligv1connect.AlertServiceHandler  = (*Service)(nil)
	_ veiligv1connect.DeviceServiceHandler = (*Service)(nil)
)

// errAlertNotFound answers for an alert that does not exist and for one of a household the
// caller may not see, alike.
var errAlertNotFound = connect.NewError(connect.CodeNotFound, errors.New("alert not found"))

const defaultAlertLimit = 50

// alertError answers a missing or invisible alert alike.
func (s *Service) alertError(ctx context.Context, err error) error {
	if errors.Is(err, household.ErrAlertNotFound) {
		return errAlertNotFound
	}
	return s.storeError(ctx, err, "alert")
}

// GetAlert implements veiligv1connect.AlertServiceHandler.
func (s *Service) GetAlert(ctx context.Context, req *connect.Request[veiligv1.GetAlertRequest]) (*connect.Response[veiligv1.GetAlertResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.domain.GetAlert(ctx, s.actor(ctx, c), req.Msg.GetAlertId())
	if err != nil {
		return nil, s.alertError(ctx, err)
	}
	return connect.NewResponse(&veiligv1.GetAlertResponse{Alert: alertToProto(a)}), nil
}

// ListAlerts implements veiligv1connect.AlertServiceHandler.
func (s *Service) ListAlerts(ctx context.Context, req *connect.Request[veiligv1.ListAlertsRequest]) (*connect.Response[veiligv1.ListAlertsResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	limit := int(req.Msg.GetLimit())
	if limit == 0 {
		limit = defaultAlertLimit
	}
	alerts, err := s.domain.ListAlerts(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId(), limit)
	if err != nil {
		return nil, s.storeError(ctx, err, "household")
	}
	res := &veiligv1.ListAlertsResponse{}
	for _, a := range alerts {
		res.Alerts = append(res.Alerts, alertToProto(a))
	}
	return connect.NewResponse(res), nil
}

// AcknowledgeAlert implements veiligv1connect.AlertServiceHandler.
func (s *Service) AcknowledgeAlert(ctx context.Context, req *connect.Request[veiligv1.AcknowledgeAlertRequest]) (*connect.Response[veiligv1.AcknowledgeAlertResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.domain.AcknowledgeAlert(ctx, s.actor(ctx, c), req.Msg.GetAlertId())
	if err != nil {
		return nil, s.alertError(ctx, err)
	}
	return connect.NewResponse(&veiligv1.AcknowledgeAlertResponse{Alert: alertToProto(a)}), nil
}

var alertKinds = map[string]veiligv1.AlertKind{store.AlertOverdue: veiligv1.AlertKind_ALERT_KIND_OVERDUE, store.AlertUrgent: veiligv1.AlertKind_ALERT_KIND_URGENT}

var alertSteps = map[int32]veiligv1.EscalationStep{
	store.StepLead:       veiligv1.EscalationStep_ESCALATION_STEP_LEAD,
	store.StepSupervisor: veiligv1.EscalationStep_ESCALATION_STEP_SUPERVISOR,
	store.StepOnCall:     veiligv1.EscalationStep_ESCALATION_STEP_ON_CALL,
}

func optionalTime(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func alertToProto(a *store.Alert) *veiligv1.Alert {
	return &veiligv1.Alert{
		Id:             a.ID,
		Kind:           alertKinds[a.Kind],
		HouseholdId:    a.HouseholdID,
		ScheduleId:     a.ScheduleID,
		DueAt:          timestamppb.New(a.DueAt),
		Step:           alertSteps[a.Step],
		NextStepAt:     optionalTime(a.NextStepAt),
		AcknowledgedAt: optionalTime(a.AcknowledgedAt),
		AcknowledgedBy: a.AcknowledgedBy,
		CreatedAt:      timestamppb.New(a.CreatedAt),
	}
}

var platforms = map[veiligv1.Platform]string{veiligv1.Platform_PLATFORM_ANDROID: "android", veiligv1.Platform_PLATFORM_IOS: "ios"}

// errDeviceHeld answers the registration of a push token another professional holds. It is
// FailedPrecondition, not AlreadyExists: clients commonly treat AlreadyExists from a create as
// "it is there, fine", and this app would then believe it receives pushes that go to somebody
// else's account. FailedPrecondition says the request cannot succeed until the state changes:
// the app gets a new token from Firebase (deleting the old one) and registers that, or the
// holder unregisters. The message does not say who holds the token.
var errDeviceHeld = connect.NewError(connect.CodeFailedPrecondition,
	errors.New("this push token is registered to another account; get a new token from Firebase and register that"))

// RegisterDevice implements veiligv1connect.DeviceServiceHandler. A token naming a device
// (device_id claim) registers that device's record with the push token, platform and app
// version (AppVersionHeader, else the request's app_version); a device id another
// professional holds is refused like a held push token. Registering one's own token
// again is idempotent (it refreshes the platform). A token another professional holds is
// refused with FailedPrecondition and left with its holder, whose urgent pushes would
// otherwise silently go to the caller's phone; the refusal is logged at warn with both
// professionals' ids, never the token.
func (s *Service) RegisterDevice(ctx context.Context, req *connect.Request[veiligv1.RegisterDeviceRequest]) (*connect.Response[veiligv1.RegisterDeviceResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if id := c.principal.DeviceID; id != "" {
		version := req.Header().Get(AppVersionHeader)
		if version == "" {
			version = req.Msg.GetAppVersion()
		}
		err = s.store.DeviceRecordRegister(ctx, store.DeviceRecord{ID: id, ProfessionalID: c.professional.ID,
			Platform: platforms[req.Msg.GetPlatform()], AppVersion: version, PushToken: req.Msg.GetToken(), RegisteredAt: utc(s.now())})
	} else {
		err = s.store.DeviceRegister(ctx, store.Device{Token: req.Msg.GetToken(), ProfessionalID: c.professional.ID,
			Platform: platforms[req.Msg.GetPlatform()], UpdatedAt: utc(s.now())})
	}
	var held *store.DeviceHeldError
	if errors.As(err, &held) {
		zerolog.Ctx(ctx).Warn().Str("professional_id", held.ProfessionalID).Str("holder_professional_id", held.HolderID).
			Str("device_id", c.principal.DeviceID).Msg("device registration refused: the push token is registered to another professional")
		s.record(ctx, c, household.ActionDeviceRegister, store.AuditDenied, "failed_precondition: the push token is registered to another professional")
		return nil, errDeviceHeld
	}
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("register device: %w", err), "device")
	}
	if err := s.record(ctx, c, household.ActionDeviceRegister, store.AuditAllowed, ""); err != nil {
		return nil, s.storeError(ctx, err, "device")
	}
	return connect.NewResponse(&veiligv1.RegisterDeviceResponse{}), nil
}

// UnregisterDevice implements veiligv1connect.DeviceServiceHandler. Only the caller's own
// token is removed; someone else's is left alone without saying so (the answer is the same
// as for an unknown token, so it tells nobody whether a token is registered, or to whom).
func (s *Service) UnregisterDevice(ctx context.Context, req *connect.Request[veiligv1.UnregisterDeviceRequest]) (*connect.Response[veiligv1.UnregisterDeviceResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeviceUnregister(ctx, c.professional.ID, req.Msg.GetToken()); err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("unregister device: %w", err), "device")
	}
	if err := s.record(ctx, c, household.ActionDeviceUnregister, store.AuditAllowed, ""); err != nil {
		return nil, s.storeError(ctx, err, "device")
	}
	return connect.NewResponse(&veiligv1.UnregisterDeviceResponse{}), nil
}

// record appends the access record of a call on the caller's own data that runs outside the
// domain layer's use cases (a device call, a stream opened). The push token is never in it.
func (s *Service) record(ctx context.Context, c *caller, action string, outcome store.AuditOutcome, reason string) error {
	return s.domain.Record(ctx, s.actor(ctx, c), action, "professional", c.professional.ID, outcome, reason)
}
