package careapi

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// RegionService: each handler decodes its request, runs one use case of the domain layer
// (backend/household/region.go) as the caller, and maps the answer.

// regionCall runs f as the request's caller and maps its error; what names the object for a
// NotFound answer.
func regionCall[T any](s *Service, ctx context.Context, what string, f func(a household.Actor) (*T, error)) (*connect.Response[T], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	res, err := f(s.actor(ctx, c))
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("region: %s: %w", what, err), what)
	}
	return connect.NewResponse(res), nil
}

// CreateOrganization implements veiligv1connect.RegionServiceHandler.
func (s *Service) CreateOrganization(ctx context.Context, req *connect.Request[veiligv1.CreateOrganizationRequest]) (*connect.Response[veiligv1.CreateOrganizationResponse], error) {
	return regionCall(s, ctx, "organization", func(a household.Actor) (*veiligv1.CreateOrganizationResponse, error) {
		org, created, err := s.domain.CreateOrganization(ctx, a, req.Msg.GetOrganizationId(), req.Msg.GetName())
		if err != nil {
			return nil, err
		}
		return &veiligv1.CreateOrganizationResponse{Organization: organizationToProto(org), Created: created}, nil
	})
}

// RenameOrganization implements veiligv1connect.RegionServiceHandler.
func (s *Service) RenameOrganization(ctx context.Context, req *connect.Request[veiligv1.RenameOrganizationRequest]) (*connect.Response[veiligv1.RenameOrganizationResponse], error) {
	return regionCall(s, ctx, "organization", func(a household.Actor) (*veiligv1.RenameOrganizationResponse, error) {
		org, err := s.domain.RenameOrganization(ctx, a, req.Msg.GetOrganizationId(), req.Msg.GetName())
		if err != nil {
			return nil, err
		}
		return &veiligv1.RenameOrganizationResponse{Organization: organizationToProto(org)}, nil
	})
}

// BindIssuer implements veiligv1connect.RegionServiceHandler.
func (s *Service) BindIssuer(ctx context.Context, req *connect.Request[veiligv1.BindIssuerRequest]) (*connect.Response[veiligv1.BindIssuerResponse], error) {
	return regionCall(s, ctx, "organization", func(a household.Actor) (*veiligv1.BindIssuerResponse, error) {
		changed, err := s.domain.BindIssuer(ctx, a, store.OrganizationIssuer{OrganizationID: req.Msg.GetOrganizationId(),
			Issuer: req.Msg.GetIssuer(), JWKSURL: req.Msg.GetJwksUrl(), Audience: req.Msg.GetAudience()})
		if err != nil {
			return nil, err
		}
		if changed && s.onBound != nil {
			s.onBound()
		}
		return &veiligv1.BindIssuerResponse{Changed: changed}, nil
	})
}

// DeactivateOrganization implements veiligv1connect.RegionServiceHandler.
func (s *Service) DeactivateOrganization(ctx context.Context, req *connect.Request[veiligv1.DeactivateOrganizationRequest]) (*connect.Response[veiligv1.DeactivateOrganizationResponse], error) {
	return regionCall(s, ctx, "organization", func(a household.Actor) (*veiligv1.DeactivateOrganizationResponse, error) {
		disabled, at, err := s.domain.DeactivateOrganization(ctx, a, req.Msg.GetOrganizationId())
		if err != nil {
			return nil, err
		}
		for _, id := range disabled {
			s.ends.end(id, "", errProfessionalDisabled) // their open streams on this server end at once
		}
		return &veiligv1.DeactivateOrganizationResponse{DisabledProfessionalIds: disabled, DeactivatedAt: timestamppb.New(at)}, nil
	})
}

// SetOrganizationLease implements veiligv1connect.RegionServiceHandler.
func (s *Service) SetOrganizationLease(ctx context.Context, req *connect.Request[veiligv1.SetOrganizationLeaseRequest]) (*connect.Response[veiligv1.SetOrganizationLeaseResponse], error) {
	return regionCall(s, ctx, "organization", func(a household.Actor) (*veiligv1.SetOrganizationLeaseResponse, error) {
		var lease store.Lease // clear: the zero Lease
		if p := req.Msg.GetLease(); p != nil {
			lease = store.Lease{LockAfter: p.GetLockAfter().AsDuration(), EraseAfter: p.GetEraseAfter().AsDuration()}
		}
		org, err := s.domain.SetOrganizationLease(ctx, a, req.Msg.GetOrganizationId(), lease)
		if err != nil {
			return nil, err
		}
		return &veiligv1.SetOrganizationLeaseResponse{Lease: leaseToProto(org.Lease.Or(s.lease)), DeploymentDefault: org.Lease.IsZero()}, nil
	})
}

// CreateTeam implements veiligv1connect.RegionServiceHandler.
func (s *Service) CreateTeam(ctx context.Context, req *connect.Request[veiligv1.CreateTeamRequest]) (*connect.Response[veiligv1.CreateTeamResponse], error) {
	return regionCall(s, ctx, "team", func(a household.Actor) (*veiligv1.CreateTeamResponse, error) {
		team, created, err := s.domain.CreateTeam(ctx, a, req.Msg.GetTeamId(), req.Msg.GetName())
		if err != nil {
			return nil, err
		}
		return &veiligv1.CreateTeamResponse{Team: teamToProto(team), Created: created}, nil
	})
}

// RenameTeam implements veiligv1connect.RegionServiceHandler.
func (s *Service) RenameTeam(ctx context.Context, req *connect.Request[veiligv1.RenameTeamRequest]) (*connect.Response[veiligv1.RenameTeamResponse], error) {
	return regionCall(s, ctx, "team", func(a household.Actor) (*veiligv1.RenameTeamResponse, error) {
		team, err := s.domain.RenameTeam(ctx, a, req.Msg.GetTeamId(), req.Msg.GetName())
		if err != nil {
			return nil, err
		}
		return &veiligv1.RenameTeamResponse{Team: teamToProto(team)}, nil
	})
}

// AddTeamMember implements veiligv1connect.RegionServiceHandler.
func (s *Service) AddTeamMember(ctx context.Context, req *connect.Request[veiligv1.AddTeamMemberRequest]) (*connect.Response[veiligv1.AddTeamMemberResponse], error) {
	return regionCall(s, ctx, "team or professional", func(a household.Actor) (*veiligv1.AddTeamMemberResponse, error) {
		ids, err := s.domain.SetTeamMember(ctx, a, req.Msg.GetTeamId(), req.Msg.GetProfessionalId(), true)
		if err != nil {
			return nil, err
		}
		s.changes.changedFor(req.Msg.GetProfessionalId())
		return &veiligv1.AddTeamMemberResponse{ProfessionalIds: ids}, nil
	})
}

// RemoveTeamMember implements veiligv1connect.RegionServiceHandler.
func (s *Service) RemoveTeamMember(ctx context.Context, req *connect.Request[veiligv1.RemoveTeamMemberRequest]) (*connect.Response[veiligv1.RemoveTeamMemberResponse], error) {
	return regionCall(s, ctx, "team or professional", func(a household.Actor) (*veiligv1.RemoveTeamMemberResponse, error) {
		ids, err := s.domain.SetTeamMember(ctx, a, req.Msg.GetTeamId(), req.Msg.GetProfessionalId(), false)
		if err != nil {
			return nil, err
		}
		return &veiligv1.RemoveTeamMemberResponse{ProfessionalIds: ids}, nil
	})
}

// CreateHousehold implements veiligv1connect.RegionServiceHandler.
func (s *Service) CreateHousehold(ctx context.Context, req *connect.Request[veiligv1.CreateHouseholdRequest]) (*connect.Response[veiligv1.CreateHouseholdResponse], error) {
	return regionCall(s, ctx, "household", func(a household.Actor) (*veiligv1.CreateHouseholdResponse, error) {
		m := req.Msg
		h, team, created, err := s.domain.CreateHousehold(ctx, a, household.NewHousehold{ID: m.GetHouseholdId(), Code: m.GetCode(),
			TeamID: m.GetTeamId(), DisplayName: m.GetDisplayName(), LeadID: m.GetLeadProfessionalId(), MemberIDs: m.GetCareTeamProfessionalIds()})
		if err != nil {
			return nil, err
		}
		for _, m := range team {
			s.changes.changedFor(m.ProfessionalID)
		}
		return &veiligv1.CreateHouseholdResponse{Household: householdToProto(h), CareTeam: careTeamToProto(team), Created: created}, nil
	})
}

// TransferHousehold implements veiligv1connect.RegionServiceHandler.
func (s *Service) TransferHousehold(ctx context.Context, req *connect.Request[veiligv1.TransferHouseholdRequest]) (*connect.Response[veiligv1.TransferHouseholdResponse], error) {
	return regionCall(s, ctx, "household", func(a household.Actor) (*veiligv1.TransferHouseholdResponse, error) {
		h, err := s.domain.TransferHousehold(ctx, a, req.Msg.GetHouseholdId(), req.Msg.GetTeamId())
		if err != nil {
			return nil, err
		}
		s.changes.changed([]string{req.Msg.GetHouseholdId()})
		return &veiligv1.TransferHouseholdResponse{Household: householdToProto(h)}, nil
	})
}

// CloseHousehold implements veiligv1connect.RegionServiceHandler.
func (s *Service) CloseHousehold(ctx context.Context, req *connect.Request[veiligv1.CloseHouseholdRequest]) (*connect.Response[veiligv1.CloseHouseholdResponse], error) {
	return regionCall(s, ctx, "household", func(a household.Actor) (*veiligv1.CloseHouseholdResponse, error) {
		at, err := s.domain.CloseHousehold(ctx, a, req.Msg.GetHouseholdId())
		if err != nil {
			return nil, err
		}
		s.changes.changed([]string{req.Msg.GetHouseholdId()})
		return &veiligv1.CloseHouseholdResponse{ClosedAt: timestamppb.New(at)}, nil
	})
}

// ReopenHousehold implements veiligv1connect.RegionServiceHandler.
func (s *Service) ReopenHousehold(ctx context.Context, req *connect.Request[veiligv1.ReopenHouseholdRequest]) (*connect.Response[veiligv1.ReopenHouseholdResponse], error) {
	return regionCall(s, ctx, "household", func(a household.Actor) (*veiligv1.ReopenHouseholdResponse, error) {
		h, err := s.domain.ReopenHousehold(ctx, a, req.Msg.GetHouseholdId(), reminders.Plan)
		if err != nil {
			return nil, err
		}
		s.changes.changed([]string{req.Msg.GetHouseholdId()})
		return &veiligv1.ReopenHouseholdResponse{Household: householdToProto(h)}, nil
	})
}

var importActions = map[household.ImportAction]veiligv1.ImportAction{
	household.ImportCreate:    veiligv1.ImportAction_IMPORT_ACTION_CREATE,
	household.ImportChange:    veiligv1.ImportAction_IMPORT_ACTION_CHANGE,
	household.ImportUnchanged: veiligv1.ImportAction_IMPORT_ACTION_UNCHANGED,
	household.ImportFailed:    veiligv1.ImportAction_IMPORT_ACTION_FAILED,
}

// ImportCaseload implements veiligv1connect.RegionServiceHandler.
func (s *Service) ImportCaseload(ctx context.Context, req *connect.Request[veiligv1.ImportCaseloadRequest]) (*connect.Response[veiligv1.ImportCaseloadResponse], error) {
	return regionCall(s, ctx, "caseload", func(a household.Actor) (*veiligv1.ImportCaseloadResponse, error) {
		rows, applied, err := s.domain.ImportCaseload(ctx, a, req.Msg.GetCsv(), req.Msg.GetDryRun(), req.Msg.GetAllOrNothing())
		if err != nil {
			return nil, err
		}
		res := &veiligv1.ImportCaseloadResponse{Applied: applied}
		for _, r := range rows {
			res.Rows = append(res.Rows, &veiligv1.ImportRow{Line: int32(r.Line), Code: r.Code, Action: importActions[r.Action], Message: r.Message})
			switch r.Action {
			case household.ImportCreate:
				res.Created++
			case household.ImportChange:
				res.Changed++
			case household.ImportUnchanged:
				res.Unchanged++
			case household.ImportFailed:
				res.Failed++
			}
		}
		return res, nil
	})
}
