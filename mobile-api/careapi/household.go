package careapi

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

const defaultHouseholdPageSize = 100

// ListHouseholds implements veiligv1connect.HouseholdServiceHandler.
func (s *Service) ListHouseholds(ctx context.Context, req *connect.Request[veiligv1.ListHouseholdsRequest]) (*connect.Response[veiligv1.ListHouseholdsResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	// The page token is the id of the last household of the previous page.
	after := req.Msg.GetPageToken()
	if after != "" {
		if _, err := uuid.Parse(after); err != nil {
			return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("page_token is not one this service issued"))
		}
	}
	size := int(req.Msg.GetPageSize())
	if size == 0 {
		size = defaultHouseholdPageSize
	}
	// One more than asked tells whether another page follows.
	hs, err := s.store.HouseholdListVisible(ctx, store.HouseholdListVisibleParams{
		ProfessionalID: c.professional.ID, AfterID: after, Limit: size + 1,
	})
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list households of %s: %w", c.professional.ID, err), "household")
	}
	res := &veiligv1.ListHouseholdsResponse{}
	if len(hs) > size {
		hs = hs[:size]
		res.NextPageToken = hs[size-1].ID
	}
	events := make([]store.AuditEvent, 0, len(hs))
	for _, h := range hs {
		res.Households = append(res.Households, householdToProto(h))
		events = append(events, s.auditEvent(ctx, c, h.ID, "household.list"))
	}
	if len(events) > 0 {
		if err := s.store.AuditAppend(ctx, events); err != nil {
			return nil, s.internal(ctx, fmt.Errorf("audit household list: %w", err))
		}
	}
	return connect.NewResponse(res), nil
}

// GetHousehold implements veiligv1connect.HouseholdServiceHandler.
func (s *Service) GetHousehold(ctx context.Context, req *connect.Request[veiligv1.GetHouseholdRequest]) (*connect.Response[veiligv1.GetHouseholdResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	id := req.Msg.GetHouseholdId()
	if err := s.householdAccess(ctx, c, id, "household.read"); err != nil {
		return nil, err
	}
	h, err := s.store.HouseholdGet(ctx, id)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("load household %s: %w", id, err), "household")
	}
	team, err := s.store.CareTeamMemberList(ctx, id)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list care team of %s: %w", id, err), "household")
	}
	return connect.NewResponse(&veiligv1.GetHouseholdResponse{Household: householdToProto(h), CareTeam: careTeamToProto(team)}), nil
}

// mayManageCareTeam decides who changes a care team: its lead, or a supervisor who sees the
// household. Others in the care team may read it but not change who is in it.
func (s *Service) mayManageCareTeam(ctx context.Context, c *caller, householdID string) error {
	if c.professional.Role == store.RoleSupervisor {
		return nil
	}
	team, err := s.store.CareTeamMemberList(ctx, householdID)
	if err != nil {
		return s.storeError(ctx, fmt.Errorf("list care team of %s: %w", householdID, err), "household")
	}
	for _, m := range team {
		if m.ProfessionalID == c.professional.ID && m.Lead {
			return nil
		}
	}
	return connect.NewError(connect.CodePermissionDenied, errors.New("only the lead professional or a supervisor may change the care team"))
}

// SetCareTeamMember implements veiligv1connect.HouseholdServiceHandler.
func (s *Service) SetCareTeamMember(ctx context.Context, req *connect.Request[veiligv1.SetCareTeamMemberRequest]) (*connect.Response[veiligv1.SetCareTeamMemberResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	hid, pid := req.Msg.GetHouseholdId(), req.Msg.GetProfessionalId()
	if err := s.householdAccess(ctx, c, hid, "careteam.write"); err != nil {
		return nil, err
	}
	if err := s.mayManageCareTeam(ctx, c, hid); err != nil {
		return nil, err
	}
	if _, err := s.store.ProfessionalGet(ctx, pid); err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("load professional %s: %w", pid, err), "professional")
	}
	err = s.store.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{
		Member: store.CareTeamMember{HouseholdID: hid, ProfessionalID: pid, Lead: req.Msg.GetLead()},
		Now:    utc(s.now()),
	})
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("set care team member of %s: %w", hid, err), "household")
	}
	team, err := s.store.CareTeamMemberList(ctx, hid)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list care team of %s: %w", hid, err), "household")
	}
	return connect.NewResponse(&veiligv1.SetCareTeamMemberResponse{CareTeam: careTeamToProto(team)}), nil
}

// RemoveCareTeamMember implements veiligv1connect.HouseholdServiceHandler.
func (s *Service) RemoveCareTeamMember(ctx context.Context, req *connect.Request[veiligv1.RemoveCareTeamMemberRequest]) (*connect.Response[veiligv1.RemoveCareTeamMemberResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	hid, pid := req.Msg.GetHouseholdId(), req.Msg.GetProfessionalId()
	if err := s.householdAccess(ctx, c, hid, "careteam.write"); err != nil {
		return nil, err
	}
	if err := s.mayManageCareTeam(ctx, c, hid); err != nil {
		return nil, err
	}
	err = s.store.CareTeamMemberRemove(ctx, store.CareTeamMemberRemoveParams{HouseholdID: hid, ProfessionalID: pid, Now: utc(s.now())})
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("remove care team member of %s: %w", hid, err), "care team member")
	}
	team, err := s.store.CareTeamMemberList(ctx, hid)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list care team of %s: %w", hid, err), "household")
	}
	return connect.NewResponse(&veiligv1.RemoveCareTeamMemberResponse{CareTeam: careTeamToProto(team)}), nil
}
