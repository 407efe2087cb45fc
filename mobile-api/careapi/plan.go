package careapi

import (
	"context"
	"fmt"

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
	hid := req.Msg.GetHouseholdId()
	if err := s.householdAccess(ctx, c, hid, "plan.read"); err != nil {
		return nil, err
	}
	h, err := s.store.HouseholdGet(ctx, hid)
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("load household %s: %w", hid, err), "household")
	}
	entries, err := s.store.PlanEntryList(ctx, store.PlanEntryListParams{HouseholdID: hid})
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("list plan of %s: %w", hid, err), "household")
	}
	res := &veiligv1.GetPlanResponse{Version: h.Version}
	for _, e := range entries {
		// An entry read at a newer version than the household read above was written in
		// between; report the newest version seen so a client never goes backwards.
		res.Version = max(res.Version, e.Version)
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
	hid := req.Msg.GetHouseholdId()
	if err := s.householdAccess(ctx, c, hid, "plan.write"); err != nil {
		return nil, err
	}
	section, fields, err := planEntryFields(req.Msg.GetEntry())
	if err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	stored, err := s.store.PlanEntryUpsert(ctx, store.PlanEntryUpsertParams{
		Entry:     store.PlanEntry{ID: req.Msg.GetEntry().GetId(), HouseholdID: hid, Section: section, Fields: fields},
		UpdatedBy: c.professional.ID,
		Now:       utc(s.now()),
	})
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("upsert plan entry of %s: %w", hid, err), "plan entry")
	}
	return connect.NewResponse(&veiligv1.UpsertPlanEntryResponse{Entry: planEntryToProto(stored)}), nil
}

// DeletePlanEntry implements veiligv1connect.PlanServiceHandler.
func (s *Service) DeletePlanEntry(ctx context.Context, req *connect.Request[veiligv1.DeletePlanEntryRequest]) (*connect.Response[veiligv1.DeletePlanEntryResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	hid := req.Msg.GetHouseholdId()
	if err := s.householdAccess(ctx, c, hid, "plan.write"); err != nil {
		return nil, err
	}
	e, err := s.store.PlanEntryDelete(ctx, store.PlanEntryDeleteParams{
		HouseholdID: hid, EntryID: req.Msg.GetEntryId(), UpdatedBy: c.professional.ID, Now: utc(s.now()),
	})
	if err != nil {
		return nil, s.storeError(ctx, fmt.Errorf("delete plan entry of %s: %w", hid, err), "plan entry")
	}
	return connect.NewResponse(&veiligv1.DeletePlanEntryResponse{Version: e.Version}), nil
}
