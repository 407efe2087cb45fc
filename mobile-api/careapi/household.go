package careapi

import (
	"context"
	"errors"

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
	hs, err := s.domain.ListHouseholds(ctx, s.actor(ctx, c), after, size+1)
	if err != nil {
		return nil, s.storeError(ctx, err, "household")
	}
	res := &veiligv1.ListHouseholdsResponse{}
	if len(hs) > size {
		hs = hs[:size]
		res.NextPageToken = hs[size-1].ID
	}
	for _, h := range hs {
		res.Households = append(res.Households, householdToProto(h))
	}
	return connect.NewResponse(res), nil
}

// GetHousehold implements veiligv1connect.HouseholdServiceHandler.
func (s *Service) GetHousehold(ctx context.Context, req *connect.Request[veiligv1.GetHouseholdRequest]) (*connect.Response[veiligv1.GetHouseholdResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	h, team, err := s.domain.GetHousehold(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId())
	if err != nil {
		return nil, s.storeError(ctx, err, "household")
	}
	return connect.NewResponse(&veiligv1.GetHouseholdResponse{Household: householdToProto(h), CareTeam: careTeamToProto(team)}), nil
}

// SetCareTeamMember implements veiligv1connect.HouseholdServiceHandler.
func (s *Service) SetCareTeamMember(ctx context.Context, req *connect.Request[veiligv1.SetCareTeamMemberRequest]) (*connect.Response[veiligv1.SetCareTeamMemberResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	m := store.CareTeamMember{HouseholdID: req.Msg.GetHouseholdId(), ProfessionalID: req.Msg.GetProfessionalId(), Lead: req.Msg.GetLead()}
	team, err := s.domain.SetCareTeamMember(ctx, s.actor(ctx, c), m)
	if err != nil {
		return nil, s.storeError(ctx, err, "professional")
	}
	s.changes.changed([]string{m.HouseholdID})
	s.changes.changedFor(m.ProfessionalID)
	return connect.NewResponse(&veiligv1.SetCareTeamMemberResponse{CareTeam: careTeamToProto(team)}), nil
}

// RemoveCareTeamMember implements veiligv1connect.HouseholdServiceHandler.
func (s *Service) RemoveCareTeamMember(ctx context.Context, req *connect.Request[veiligv1.RemoveCareTeamMemberRequest]) (*connect.Response[veiligv1.RemoveCareTeamMemberResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	team, err := s.domain.RemoveCareTeamMember(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId(), req.Msg.GetProfessionalId())
	if err != nil {
		return nil, s.storeError(ctx, err, "care team member")
	}
	s.changes.changed([]string{req.Msg.GetHouseholdId()})
	return connect.NewResponse(&veiligv1.RemoveCareTeamMemberResponse{CareTeam: careTeamToProto(team)}), nil
}
