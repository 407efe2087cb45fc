package careapi

import (
	"context"

	"connectrpc.com/connect"

	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// GetPlan implements veiligv1connect.PlanServiceHandler.
func (s *Service) GetPlan(ctx context.Context, req *connect.Request[veiligv1.GetPlanRequest]) (*connect.Response[veiligv1.GetPlanResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	version, entries, err := s.domain.GetPlan(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId())
	if err != nil {
		return nil, s.storeError(ctx, err, "household")
	}
	res := &veiligv1.GetPlanResponse{Version: version}
	for _, e := range entries {
		res.Entries = append(res.Entries, planEntryToProto(e))
	}
	return connect.NewResponse(res), nil
}

// UpsertPlanEntry implements veiligv1connect.PlanServiceHandler.
func (s *Service) UpsertPlanEntry(ctx context.Context, req *connect.Request[veiligv1.UpsertPlanEntryRequest]) (*connect.Response[veiligv1.UpsertPlanEntryResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	section, fields, err := planEntryFields(req.Msg.GetEntry())
	if err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	stored, err := s.domain.UpsertPlanEntry(ctx, s.actor(ctx, c),
		store.PlanEntry{ID: req.Msg.GetEntry().GetId(), HouseholdID: req.Msg.GetHouseholdId(), Section: section, Fields: fields})
	if err != nil {
		return nil, s.storeError(ctx, err, "plan entry")
	}
	return connect.NewResponse(&veiligv1.UpsertPlanEntryResponse{Entry: planEntryToProto(stored)}), nil
}

// DeletePlanEntry implements veiligv1connect.PlanServiceHandler.
func (s *Service) DeletePlanEntry(ctx context.Context, req *connect.Request[veiligv1.DeletePlanEntryRequest]) (*connect.Response[veiligv1.DeletePlanEntryResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.domain.DeletePlanEntry(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId(), req.Msg.GetEntryId())
	if err != nil {
		return nil, s.storeError(ctx, err, "plan entry")
	}
	return connect.NewResponse(&veiligv1.DeletePlanEntryResponse{Version: e.Version}), nil
}
