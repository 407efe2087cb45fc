package household

import (
	"context"
	"fmt"

	"github.com/veilig/veilig/backend/store"
)

// GetPlan returns a household's safety plan (its live entries) and the newest version seen,
// so a client never goes backwards.
func (s *Service) GetPlan(ctx context.Context, a Actor, householdID string) (int64, []*store.PlanEntry, error) {
	if err := s.authorize(ctx, a, opGetPlan, householdID); err != nil {
		return 0, nil, err
	}
	h, err := s.db.HouseholdGet(ctx, householdID)
	if err != nil {
		return 0, nil, fmt.Errorf("load household %s: %w", householdID, err)
	}
	entries, err := s.db.PlanEntryList(ctx, store.PlanEntryListParams{HouseholdID: householdID})
	if err != nil {
		return 0, nil, fmt.Errorf("list plan of %s: %w", householdID, err)
	}
	version := h.Version
	for _, e := range entries {
		// An entry read at a newer version than the household read above was written in
		// between.
		version = max(version, e.Version)
	}
	return version, entries, nil
}

// UpsertPlanEntry replaces a plan entry's content (ID, Section and Fields of e) as an edit
// that has seen every current value, merged with phones' offline edits by the sync rules.
func (s *Service) UpsertPlanEntry(ctx context.Context, a Actor, e store.PlanEntry) (*store.PlanEntry, error) {
	now := s.Now()
	var out *store.PlanEntry
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := s.access(ctx, tx, a, opUpsertPlanEntry, e.HouseholdID, now); err != nil {
			return err
		}
		out, err = tx.PlanEntryUpsert(ctx, store.PlanEntryUpsertParams{Entry: e, UpdatedBy: a.Professional.ID, Now: now})
		return err
	})
	return out, err
}

// DeletePlanEntry deletes a plan entry (a tombstone that syncs) and returns it.
func (s *Service) DeletePlanEntry(ctx context.Context, a Actor, householdID, entryID string) (*store.PlanEntry, error) {
	now := s.Now()
	var out *store.PlanEntry
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := s.access(ctx, tx, a, opDeletePlanEntry, householdID, now); err != nil {
			return err
		}
		out, err = tx.PlanEntryDelete(ctx, store.PlanEntryDeleteParams{HouseholdID: householdID, EntryID: entryID, UpdatedBy: a.Professional.ID, Now: now})
		return err
	})
	return out, err
}
