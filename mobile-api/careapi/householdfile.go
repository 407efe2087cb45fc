package careapi

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	"github.com/veilig/veilig/backend/household"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

var _ veiligv1connect.HouseholdFileServiceHandler = (*Service)(nil)

// RenderPlan implements veiligv1connect.HouseholdFileServiceHandler.
func (s *Service) RenderPlan(ctx context.Context, req *connect.Request[veiligv1.RenderPlanRequest]) (*connect.Response[veiligv1.RenderPlanResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	html, lang, err := s.domain.RenderPlan(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId(), req.Msg.GetLanguage())
	if err != nil {
		return nil, s.storeError(ctx, err, "household")
	}
	return connect.NewResponse(&veiligv1.RenderPlanResponse{Html: html, Language: lang}), nil
}

// ExportHousehold implements veiligv1connect.HouseholdFileServiceHandler.
func (s *Service) ExportHousehold(ctx context.Context, req *connect.Request[veiligv1.ExportHouseholdRequest]) (*connect.Response[veiligv1.ExportHouseholdResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	doc, contentType, err := s.domain.ExportHousehold(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId())
	if err != nil {
		return nil, s.storeError(ctx, err, "household")
	}
	return connect.NewResponse(&veiligv1.ExportHouseholdResponse{Document: doc, ContentType: contentType}), nil
}

// ImportHousehold implements veiligv1connect.HouseholdFileServiceHandler. A refusal by the
// policy is PermissionDenied, an invalid document InvalidArgument naming the field and rule.
func (s *Service) ImportHousehold(ctx context.Context, req *connect.Request[veiligv1.ImportHouseholdRequest]) (*connect.Response[veiligv1.ImportHouseholdResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	id, present, err := s.domain.ImportHousehold(ctx, s.actor(ctx, c), req.Msg.GetDocument())
	var refusal *household.Refusal
	switch {
	case err == nil:
	case errors.As(err, &refusal):
		// A refusal's message names rules and fields only.
		code := connect.CodeInvalidArgument
		if errors.Is(refusal.Kind, household.ErrPermission) {
			code = connect.CodePermissionDenied
		}
		return nil, connect.NewError(code, errors.New(refusal.Message))
	default:
		return nil, s.storeError(ctx, err, "household")
	}
	return connect.NewResponse(&veiligv1.ImportHouseholdResponse{HouseholdId: id, AlreadyPresent: present}), nil
}
