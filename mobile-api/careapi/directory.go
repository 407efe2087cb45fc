package careapi

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// GetMe implements veiligv1connect.DirectoryServiceHandler.
func (s *Service) GetMe(ctx context.Context, _ *connect.Request[veiligv1.GetMeRequest]) (*connect.Response[veiligv1.GetMeResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	org, err := s.store.OrganizationGet(ctx, c.professional.OrganizationID)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("load organization %s: %w", c.professional.OrganizationID, err), "organization")
	}
	teams, err := s.store.TeamListByProfessional(ctx, c.professional.ID)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list teams of %s: %w", c.professional.ID, err), "team")
	}
	res := &veiligv1.GetMeResponse{Professional: professionalToProto(c.professional), Organization: organizationToProto(org)}
	for _, t := range teams {
		res.Teams = append(res.Teams, teamToProto(t))
	}
	return connect.NewResponse(res), nil
}

// ListOrganizations implements veiligv1connect.DirectoryServiceHandler.
func (s *Service) ListOrganizations(ctx context.Context, _ *connect.Request[veiligv1.ListOrganizationsRequest]) (*connect.Response[veiligv1.ListOrganizationsResponse], error) {
	if _, err := s.callerFrom(ctx); err != nil {
		return nil, err
	}
	orgs, err := s.store.OrganizationList(ctx)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list organizations: %w", err), "organization")
	}
	res := &veiligv1.ListOrganizationsResponse{}
	for _, o := range orgs {
		res.Organizations = append(res.Organizations, organizationToProto(o))
	}
	return connect.NewResponse(res), nil
}

// ListProfessionals implements veiligv1connect.DirectoryServiceHandler.
func (s *Service) ListProfessionals(ctx context.Context, req *connect.Request[veiligv1.ListProfessionalsRequest]) (*connect.Response[veiligv1.ListProfessionalsResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := s.domain.ListProfessionals(ctx, s.actor(ctx, c), req.Msg.GetOrganizationId())
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list professionals of %s: %w", req.Msg.GetOrganizationId(), err), "organization")
	}
	res := &veiligv1.ListProfessionalsResponse{}
	for _, p := range ps {
		res.Professionals = append(res.Professionals, professionalToProto(p))
	}
	return connect.NewResponse(res), nil
}

// UpsertProfessional implements veiligv1connect.DirectoryServiceHandler.
func (s *Service) UpsertProfessional(ctx context.Context, req *connect.Request[veiligv1.UpsertProfessionalRequest]) (*connect.Response[veiligv1.UpsertProfessionalResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetProfessional()
	var identity *store.ProfessionalIdentity
	if req.Msg.GetSubject() != "" {
		identity = &store.ProfessionalIdentity{Issuer: req.Msg.GetIssuer(), Subject: req.Msg.GetSubject()}
	}
	p, err := s.domain.UpsertProfessional(ctx, s.actor(ctx, c), store.Professional{
		ID:             in.GetId(),
		OrganizationID: in.GetOrganizationId(),
		DisplayName:    in.GetDisplayName(),
		Email:          in.GetEmail(),
		Phone:          in.GetPhone(),
		Role:           reverse(rolesToProto, in.GetRole()),
	}, identity)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("upsert professional %s: %w", in.GetId(), err), "professional")
	}
	return connect.NewResponse(&veiligv1.UpsertProfessionalResponse{Professional: professionalToProto(p), CreatedAt: timestamppb.New(p.CreatedAt)}), nil
}

// ListTeams implements veiligv1connect.DirectoryServiceHandler.
func (s *Service) ListTeams(ctx context.Context, _ *connect.Request[veiligv1.ListTeamsRequest]) (*connect.Response[veiligv1.ListTeamsResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	teams, err := s.store.TeamListByProfessional(ctx, c.professional.ID)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list teams of %s: %w", c.professional.ID, err), "team")
	}
	res := &veiligv1.ListTeamsResponse{}
	for _, t := range teams {
		res.Teams = append(res.Teams, teamToProto(t))
	}
	return connect.NewResponse(res), nil
}
