package careapi

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"

	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

const defaultCheckInLimit = 50

// ListSchedules implements veiligv1connect.CheckInServiceHandler.
func (s *Service) ListSchedules(ctx context.Context, req *connect.Request[veiligv1.ListSchedulesRequest]) (*connect.Response[veiligv1.ListSchedulesResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	hid := req.Msg.GetHouseholdId()
	if err := s.householdAccess(ctx, c, hid, "schedule.read"); err != nil {
		return nil, err
	}
	scheds, err := s.store.ScheduleListByHousehold(ctx, hid)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list schedules of %s: %w", hid, err), "household")
	}
	res := &veiligv1.ListSchedulesResponse{}
	for _, sc := range scheds {
		res.Schedules = append(res.Schedules, scheduleToProto(sc))
	}
	return connect.NewResponse(res), nil
}

// ListCheckIns implements veiligv1connect.CheckInServiceHandler.
func (s *Service) ListCheckIns(ctx context.Context, req *connect.Request[veiligv1.ListCheckInsRequest]) (*connect.Response[veiligv1.ListCheckInsResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	hid := req.Msg.GetHouseholdId()
	if err := s.householdAccess(ctx, c, hid, "checkin.read"); err != nil {
		return nil, err
	}
	limit := int(req.Msg.GetLimit())
	if limit == 0 {
		limit = defaultCheckInLimit
	}
	cs, err := s.store.CheckInListByHousehold(ctx, hid, limit)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list check-ins of %s: %w", hid, err), "household")
	}
	res := &veiligv1.ListCheckInsResponse{}
	for _, ci := range cs {
		res.CheckIns = append(res.CheckIns, checkInToProto(ci))
	}
	return connect.NewResponse(res), nil
}

// RecordCheckIn implements veiligv1connect.CheckInServiceHandler.
func (s *Service) RecordCheckIn(ctx context.Context, req *connect.Request[veiligv1.RecordCheckInRequest]) (*connect.Response[veiligv1.RecordCheckInResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	hid := m.GetHouseholdId()
	if err := s.householdAccess(ctx, c, hid, "checkin.write"); err != nil {
		return nil, err
	}
	if m.GetScheduleId() != "" {
		// A schedule of another household must not be satisfied through this one.
		sc, err := s.store.ScheduleGet(ctx, m.GetScheduleId())
		if errors.Is(err, store.ErrNotFound) || (err == nil && sc.HouseholdID != hid) {
			return nil, connect.NewError(connect.CodeNotFound, errors.New("schedule not found"))
		}
		if err != nil {
			return nil, s.storeError(ctx, fmt.Errorf("load schedule %s: %w", m.GetScheduleId(), err), "schedule")
		}
	}
	ci, err := s.store.CheckInAppend(ctx, store.CheckIn{
		ID:          m.GetCheckInId(),
		HouseholdID: hid,
		ScheduleID:  m.GetScheduleId(),
		Channel:     channelNames[m.GetChannel()],
		Outcome:     outcomeNames[m.GetOutcome()],
		Note:        m.GetNote(),
		RecordedBy:  c.professional.ID,
		RecordedAt:  utc(s.now()),
	})
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("record check-in of %s: %w", hid, err), "check-in")
	}
	if ci.HouseholdID != hid {
		// A replayed id from another household: never reveal or touch that record.
		return nil, connect.NewError(connect.CodeAlreadyExists, errors.New("check-in id already used"))
	}
	return connect.NewResponse(&veiligv1.RecordCheckInResponse{CheckIn: checkInToProto(ci)}), nil
}
