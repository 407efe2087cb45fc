package careapi

import (
	"context"
	"errors"
	"fmt"

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
	ci, err := s.store.CheckInAppend(ctx, change.CheckIn{
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

// UpsertSchedule implements veiligv1connect.CheckInServiceHandler.
func (s *Service) UpsertSchedule(ctx context.Context, req *connect.Request[veiligv1.UpsertScheduleRequest]) (*connect.Response[veiligv1.UpsertScheduleResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	hid := m.GetHouseholdId()
	if err := s.householdAccess(ctx, c, hid, "schedule.write"); err != nil {
		return nil, err
	}
	// The lead is reminded about this household: they must be on its care team.
	members, err := s.store.CareTeamMemberList(ctx, hid)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list care team of %s: %w", hid, err), "household")
	}
	onTeam := false
	for _, mem := range members {
		onTeam = onTeam || mem.ProfessionalID == m.GetLeadProfessionalId()
	}
	if !onTeam {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("lead_professional_id: the lead must be on the household's care team"))
	}
	var stored *store.Schedule
	switch sc, err := s.store.ScheduleGet(ctx, m.GetScheduleId()); {
	case err == nil && sc.HouseholdID != hid:
		return nil, connect.NewError(connect.CodeNotFound, errors.New("schedule not found"))
	case err == nil:
		stored = sc
	case !errors.Is(err, store.ErrNotFound):
		return nil, s.storeError(ctx, fmt.Errorf("load schedule %s: %w", m.GetScheduleId(), err), "schedule")
	}
	zone := m.GetTimeZone()
	if zone == "" {
		zone = schedule.DefaultZone
	}
	sc := store.Schedule{
		ID:                 m.GetScheduleId(),
		HouseholdID:        hid,
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
	now := utc(s.now())
	if err := reminders.Plan(&sc, stored, now); err != nil {
		// Validation errors name the field and the rule, never household data.
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	out, err := s.store.ScheduleUpsert(ctx, store.ScheduleUpsertParams{Schedule: sc, Now: now})
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("upsert schedule of %s: %w", hid, err), "schedule")
	}
	return connect.NewResponse(&veiligv1.UpsertScheduleResponse{Schedule: scheduleToProto(out)}), nil
}
