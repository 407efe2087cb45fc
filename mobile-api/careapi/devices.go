package careapi

// Devices and people (issue 12): registered devices, revocation, disabling a professional,
// and how each ends what the phone holds.
//
// A request carries a device through its token's device_id claim (auth.Principal.DeviceID).
// The claim is trusted only when a device record of that id names the caller: then the
// request is the device's (the audit log records it, and its revocation refuses the request);
// a device id never registered is not recorded as the caller's device; nor is one registered to another
// professional (logged at warn; refusing it would let whoever registered a device id first
// lock its owner out). Sync mutations keep the claimed id as
// their merge tie-break either way (it decides no access).
//
// Revocation and disabling are told to the phone with PERMISSION_DENIED and an AccessEnded
// detail, on every RPC: the phone replica (sync/client) erases all it holds when it sees one.
// Open Subscribe streams of the device (or of every device of a disabled professional) end at
// once on the server that handled the revocation (streamEnds) and within one interval on every
// other replica (the change hub's poll asks whose access ended and wakes those streams, which
// check their caller again).

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// accessEnded is the refusal of a request whose access ended for good on its device; the
// AccessEnded detail tells the phone to erase what it holds.
func accessEnded(reason veiligv1.AccessEndedReason) error {
	msg := "this device was revoked: its local data must be erased"
	if reason == veiligv1.AccessEndedReason_ACCESS_ENDED_REASON_PROFESSIONAL_DISABLED {
		msg = "this account was disabled: its local data must be erased"
	}
	err := connect.NewError(connect.CodePermissionDenied, errors.New(msg))
	if d, derr := connect.NewErrorDetail(&veiligv1.AccessEnded{Reason: reason}); derr == nil {
		err.AddDetail(d)
	}
	return err
}

var (
	errDeviceRevoked        = accessEnded(veiligv1.AccessEndedReason_ACCESS_ENDED_REASON_DEVICE_REVOKED)
	errProfessionalDisabled = accessEnded(veiligv1.AccessEndedReason_ACCESS_ENDED_REASON_PROFESSIONAL_DISABLED)
)

// checkAccess refuses a disabled professional and a revoked device of theirs, and returns
// the caller's trusted device record (nil when the token names no device registered to them).
func (s *Service) checkAccess(ctx context.Context, p *store.Professional, deviceID string) (*store.DeviceRecord, error) {
	if p.DisabledAt != nil {
		zerolog.Ctx(ctx).Info().Str("professional_id", p.ID).Msg("caller refused: the professional is disabled")
		return nil, errProfessionalDisabled
	}
	if deviceID == "" {
		return nil, nil
	}
	d, err := s.store.DeviceRecordGet(ctx, deviceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("load device %s: %w", deviceID, err), "device")
	}
	if d.ProfessionalID != p.ID {
		// Not refused: whoever registered a device id first could otherwise lock its real
		// owner out. The request is served as from no registered device.
		zerolog.Ctx(ctx).Warn().Str("professional_id", p.ID).Str("device_id", deviceID).Str("holder_professional_id", d.ProfessionalID).
			Msg("device not trusted: the token names a device registered to another professional")
		return nil, nil
	}
	if d.RevokedAt != nil {
		zerolog.Ctx(ctx).Info().Str("professional_id", p.ID).Str("device_id", deviceID).Msg("caller refused: the device is revoked")
		return nil, errDeviceRevoked
	}
	return d, nil
}

// streamEnds holds the cancel functions of the open Subscribe streams of this process, by
// professional and device, so that a revocation or a disabling ends them at once.
type streamEnds struct {
	mu      sync.Mutex
	next    int
	streams map[int]streamEnd
}

type streamEnd struct {
	professionalID, deviceID string
	cancel                   context.CancelCauseFunc
}

// add registers a stream's cancel function and returns the function that removes it.
func (e *streamEnds) add(professionalID, deviceID string, cancel context.CancelCauseFunc) (remove func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.streams == nil {
		e.streams = map[int]streamEnd{}
	}
	e.next++
	id := e.next
	e.streams[id] = streamEnd{professionalID, deviceID, cancel}
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.streams, id)
	}
}

// end cancels, with cause, the streams of professionalID on deviceID, or on every device when
// deviceID is empty.
func (e *streamEnds) end(professionalID, deviceID string, cause error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.streams {
		if s.professionalID == professionalID && (deviceID == "" || s.deviceID == deviceID) {
			s.cancel(cause)
		}
	}
}

func deviceToProto(d *store.DeviceRecord) *veiligv1.Device {
	out := &veiligv1.Device{Id: d.ID, ProfessionalId: d.ProfessionalID, AppVersion: d.AppVersion, HasPushToken: d.PushToken != "",
		RegisteredAt: timestamppb.New(d.RegisteredAt), LastSeenAt: timestamppb.New(d.LastSeenAt), RevokedAt: optionalTime(d.RevokedAt)}
	for p, name := range platforms {
		if name == d.Platform {
			out.Platform = p
		}
	}
	return out
}

// ListDevices implements veiligv1connect.DeviceServiceHandler.
func (s *Service) ListDevices(ctx context.Context, req *connect.Request[veiligv1.ListDevicesRequest]) (*connect.Response[veiligv1.ListDevicesResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := s.domain.ListDevices(ctx, s.actor(ctx, c), req.Msg.GetProfessionalId())
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list devices: %w", err), "device")
	}
	res := &veiligv1.ListDevicesResponse{}
	for _, d := range ds {
		res.Devices = append(res.Devices, deviceToProto(d))
	}
	return connect.NewResponse(res), nil
}

// RevokeDevice implements veiligv1connect.DeviceServiceHandler. The device's open streams on
// this server end at once.
func (s *Service) RevokeDevice(ctx context.Context, req *connect.Request[veiligv1.RevokeDeviceRequest]) (*connect.Response[veiligv1.RevokeDeviceResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.domain.RevokeDevice(ctx, s.actor(ctx, c), req.Msg.GetDeviceId())
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("revoke device: %w", err), "device")
	}
	s.ends.end(d.ProfessionalID, d.ID, errDeviceRevoked)
	zerolog.Ctx(ctx).Info().Str("professional_id", c.professional.ID).Str("device_id", d.ID).
		Str("device_professional_id", d.ProfessionalID).Msg("device revoked")
	return connect.NewResponse(&veiligv1.RevokeDeviceResponse{}), nil
}

// DisableProfessional implements veiligv1connect.DirectoryServiceHandler. The professional's
// open streams on this server end at once.
func (s *Service) DisableProfessional(ctx context.Context, req *connect.Request[veiligv1.DisableProfessionalRequest]) (*connect.Response[veiligv1.DisableProfessionalResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	id := req.Msg.GetProfessionalId()
	devices, households, err := s.domain.DisableProfessional(ctx, s.actor(ctx, c), id)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("disable professional: %w", err), "professional")
	}
	s.ends.end(id, "", errProfessionalDisabled)
	zerolog.Ctx(ctx).Info().Str("professional_id", c.professional.ID).Str("subject_id", id).Int("devices", len(devices)).
		Int("households", len(households)).Msg("professional disabled")
	return connect.NewResponse(&veiligv1.DisableProfessionalResponse{RevokedDeviceIds: devices, HouseholdIds: households}), nil
}
