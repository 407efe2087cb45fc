package careapi

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/change"
)

const defaultCheckInLimit = 50

// ListSchedules implements veiligv1connect.CheckInServiceHandler.
func (s *Service) ListSchedules(ctx context.Context, req *connect.Request[veiligv1.ListSchedulesRequest]) (*connect.Response[veiligv1.ListSchedulesResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	scheds, err := s.domain.ListSchedules(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId())
	if err != nil {
		return nil, s.storeError(ctx, err, "household")
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
	limit := int(req.Msg.GetLimit())
	if limit == 0 {
		limit = defaultCheckInLimit
	}
	cs, err := s.domain.ListCheckIns(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId(), limit)
	if err != nil {
		return nil, s.storeError(ctx, err, "household")
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
	ci, err := s.domain.RecordCheckIn(ctx, s.actor(ctx, c), change.CheckIn{
		ID:          m.GetCheckInId(),
		HouseholdID: m.GetHouseholdId(),
		ScheduleID:  m.GetScheduleId(),
		Channel:     channelNames[m.GetChannel()],
		Outcome:     outcomeNames[m.GetOutcome()],
		Note:        m.GetNote(),
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		// A replayed id from another household: never reveal or touch that record.
		return nil, connect.NewError(connect.CodeAlreadyExists, errors.New("check-in id already used"))
	case err != nil:
		return nil, s.storeError(ctx, err, "schedule")
	}
	return connect.NewResponse(&veiligv1.RecordCheckInResponse{CheckIn: checkInToProto(ci)}), nil
}

// UpsertSchedule implements veiligv1connect.CheckInServiceHandler. The schedule is planned
// (next due, overdue and opening instants) by the scheduler's rules inside the write.
func (s *Service) UpsertSchedule(ctx context.Context, req *connect.Request[veiligv1.UpsertScheduleRequest]) (*connect.Response[veiligv1.UpsertScheduleResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	zone := m.GetTimeZone()
	if zone == "" {
		zone = schedule.DefaultZone
	}
	sc := store.Schedule{
		ID:                 m.GetScheduleId(),
		HouseholdID:        m.GetHouseholdId(),
		Rule:               m.GetRule(),
		TimeZone:           zone,
		LocalTime:          m.GetLocalTime(),
		WindowEnd:          m.GetWindowEnd(),
		GraceMinutes:       m.GetGraceMinutes(),
		Channel:            channelNames[m.GetChannel()],
		LeadProfessionalID: m.GetLeadProfessionalId(),
		Paused:             m.GetPaused(),
		StartDate:          m.GetStartDate(),
		EndDate:            m.GetEndDate(),
	}
	out, err := s.domain.UpsertSchedule(ctx, s.actor(ctx, c), sc, reminders.Plan)
	if err != nil {
		return nil, s.storeError(ctx, err, "schedule")
	}
	return connect.NewResponse(&veiligv1.UpsertScheduleResponse{Schedule: scheduleToProto(out)}), nil
}
