package careapi

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/veilig/veilig/backend/preferences"
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

// preferenceFields maps the domain's preference names to the API's.
var preferenceFields = map[preferences.Field]veiligv1.PreferenceField{
	preferences.Language:    veiligv1.PreferenceField_PREFERENCE_FIELD_LANGUAGE,
	preferences.DigestTimes: veiligv1.PreferenceField_PREFERENCE_FIELD_DIGEST_TIMES,
	preferences.QuietHours:  veiligv1.PreferenceField_PREFERENCE_FIELD_QUIET_HOURS,
	preferences.TimeZone:    veiligv1.PreferenceField_PREFERENCE_FIELD_TIME_ZONE,
}

// effectiveToProto is the effective preferences in the API's form, with the fields that are
// the deployment's defaults and when the professional last set them (nil when never).
func effectiveToProto(e preferences.Effective) (*veiligv1.Preferences, []veiligv1.PreferenceField, *timestamppb.Timestamp) {
	p := &veiligv1.Preferences{Language: e.Language, QuietStart: e.QuietStart.String(), QuietEnd: e.QuietEnd.String(), TimeZone: e.Zone.String()}
	for _, c := range e.DigestTimes {
		p.DigestTimes = append(p.DigestTimes, c.String())
	}
	var defaults []veiligv1.PreferenceField
	for _, f := range e.Defaults {
		defaults = append(defaults, preferenceFields[f])
	}
	return p, defaults, optionalTime(e.UpdatedAt)
}

// GetPreferences implements veiligv1connect.DirectoryServiceHandler.
func (s *Service) GetPreferences(ctx context.Context, req *connect.Request[veiligv1.GetPreferencesRequest]) (*connect.Response[veiligv1.GetPreferencesResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.domain.GetPreferences(ctx, s.actor(ctx, c), req.Msg.GetProfessionalId())
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("get preferences: %w", err), "professional")
	}
	p, defaults, at := effectiveToProto(e)
	return connect.NewResponse(&veiligv1.GetPreferencesResponse{Effective: p, Defaults: defaults, UpdatedAt: at}), nil
}

// SetPreferences implements veiligv1connect.DirectoryServiceHandler.
func (s *Service) SetPreferences(ctx context.Context, req *connect.Request[veiligv1.SetPreferencesRequest]) (*connect.Response[veiligv1.SetPreferencesResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetPreferences()
	e, err := s.domain.SetPreferences(ctx, s.actor(ctx, c), req.Msg.GetProfessionalId(), preferences.Input{
		Language: in.GetLanguage(), DigestTimes: in.GetDigestTimes(), QuietStart: in.GetQuietStart(), QuietEnd: in.GetQuietEnd(),
		TimeZone: in.GetTimeZone()})
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("set preferences: %w", err), "professional")
	}
	p, defaults, at := effectiveToProto(e)
	return connect.NewResponse(&veiligv1.SetPreferencesResponse{Effective: p, Defaults: defaults, UpdatedAt: at}), nil
}
