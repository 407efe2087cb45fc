package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

func household(h dbsqlc.Household) *store.Household {
	return &store.Household{ID: h.ID, Code: h.Code, TeamID: h.TeamID, DisplayName: h.DisplayName, Version: h.Version,
		CreatedAt: fromMicros(h.CreatedAt), UpdatedAt: fromMicros(h.UpdatedAt), ClosedAt: timePtr(h.ClosedAt), ErasedAt: timePtr(h.ErasedAt)}
}

func careTeamMember(m dbsqlc.CareTeamMember) *store.CareTeamMember {
	return &store.CareTeamMember{HouseholdID: m.HouseholdID, ProfessionalID: m.ProfessionalID, Lead: m.Lead}
}

// HouseholdInsert implements store.Executor.
func (e *executor) HouseholdInsert(ctx context.Context, h store.Household) error {
	return res.Err("insert household", e.q.HouseholdInsert(ctx, dbsqlc.HouseholdInsertParams{
		ID: h.ID, Code: h.Code, TeamID: h.TeamID, DisplayName: h.DisplayName, CreatedAt: micros(h.CreatedAt)}))
}

// HouseholdGet implements store.Executor.
func (e *executor) HouseholdGet(ctx context.Context, id string) (*store.Household, error) {
	return store.One(res, "get household", household)(e.q.HouseholdGet(ctx, id))
}

// HouseholdLockBump implements store.Executor: HouseholdBumpMany, since there is nothing to
// lock: the write transaction holds SQLite's only write lock.
func (e *executor) HouseholdLockBump(ctx context.Context, p store.HouseholdLockBumpParams) ([]store.HouseholdVersion, error) {
	return e.HouseholdBumpMany(ctx, p)
}

// HouseholdLockMany implements store.Executor: the write transaction holds SQLite's only
// write lock, so there is nothing more to take.
func (e *executor) HouseholdLockMany(context.Context, []string) error { return nil }

// HouseholdBumpMany implements store.Executor: one bump and one sync poke per household, in
// id order.
func (e *executor) HouseholdBumpMany(ctx context.Context, p store.HouseholdLockBumpParams) ([]store.HouseholdVersion, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(p.IDs)))
	out := make([]store.HouseholdVersion, 0, len(ids))
	for _, id := range ids {
		v, err := e.q.HouseholdBump(ctx, dbsqlc.HouseholdBumpParams{ID: id, Now: micros(p.Now)})
		if errors.Is(err, sql.ErrNoRows) {
			continue // unknown households are left out
		}
		if err != nil {
			return nil, res.Err("bump household", err)
		}
		if err := e.q.SyncPokeUpsert(ctx, dbsqlc.SyncPokeUpsertParams{HouseholdID: id, Version: v}); err != nil {
			return nil, res.Err("record sync poke", err)
		}
		out = append(out, store.HouseholdVersion{HouseholdID: id, Version: v})
	}
	return out, nil
}

// HouseholdAdvanceMany implements store.Executor: one update and one sync poke per household.
func (e *executor) HouseholdAdvanceMany(ctx context.Context, vs []store.HouseholdVersion) error {
	for _, v := range vs {
		got, err := e.q.HouseholdAdvance(ctx, dbsqlc.HouseholdAdvanceParams{ID: v.HouseholdID, Version: v.Version})
		if errors.Is(err, sql.ErrNoRows) {
			continue // already there
		}
		if err != nil {
			return res.Err("advance household", err)
		}
		if err := e.q.SyncPokeUpsert(ctx, dbsqlc.SyncPokeUpsertParams{HouseholdID: v.HouseholdID, Version: got}); err != nil {
			return res.Err("record sync poke", err)
		}
	}
	return nil
}

// HouseholdListVisible implements store.Executor.
func (e *executor) HouseholdListVisible(ctx context.Context, p store.HouseholdListVisibleParams) ([]*store.Household, error) {
	return store.All(res, "list visible households", household)(e.q.HouseholdListVisible(ctx, dbsqlc.HouseholdListVisibleParams{
		ProfessionalID: p.ProfessionalID, AfterID: p.AfterID, Max: int64(p.Limit)}))
}

// HouseholdVersionListMany implements store.Executor.
func (e *executor) HouseholdVersionListMany(ctx context.Context, ids []string) ([]store.HouseholdVersion, error) {
	return store.All(res, "household versions", func(r dbsqlc.HouseholdVersionListManyRow) store.HouseholdVersion {
		return store.HouseholdVersion{HouseholdID: r.ID, Version: r.Version}
	})(e.q.HouseholdVersionListMany(ctx, jsonList(ids)))
}

// HouseholdViewerListMany implements store.Executor.
func (e *executor) HouseholdViewerListMany(ctx context.Context, householdIDs []string) ([]store.HouseholdViewer, error) {
	return store.All(res, "household viewers", func(r dbsqlc.HouseholdViewer) store.HouseholdViewer {
		return store.HouseholdViewer(r)
	})(e.q.HouseholdViewerListMany(ctx, jsonList(householdIDs)))
}

// HouseholdViewerListByProfessionals implements store.Executor.
func (e *executor) HouseholdViewerListByProfessionals(ctx context.Context, professionalIDs []string) ([]store.HouseholdViewer, error) {
	return store.All(res, "households of professionals", func(r dbsqlc.HouseholdViewer) store.HouseholdViewer {
		return store.HouseholdViewer(r)
	})(e.q.HouseholdViewerListByProfessionals(ctx, jsonList(professionalIDs)))
}

// HouseholdRelationListMany implements store.Executor.
func (e *executor) HouseholdRelationListMany(ctx context.Context, professionalID string, householdIDs []string) ([]store.HouseholdRelation, error) {
	return store.All(res, "relations to households", func(r dbsqlc.HouseholdRelationListManyRow) store.HouseholdRelation {
		return store.HouseholdRelation(r)
	})(e.q.HouseholdRelationListMany(ctx, dbsqlc.HouseholdRelationListManyParams{HouseholdIDs: jsonList(householdIDs), ProfessionalID: professionalID}))
}

// CareTeamMemberClearLead implements store.Executor.
func (e *executor) CareTeamMemberClearLead(ctx context.Context, householdID string) error {
	return res.Err("clear care team lead", e.q.CareTeamMemberClearLead(ctx, householdID))
}

// CareTeamMemberUpsert implements store.Executor.
func (e *executor) CareTeamMemberUpsert(ctx context.Context, m store.CareTeamMember) error {
	return res.Err("upsert care team member", e.q.CareTeamMemberUpsert(ctx, dbsqlc.CareTeamMemberUpsertParams{
		HouseholdID: m.HouseholdID, ProfessionalID: m.ProfessionalID, Lead: m.Lead}))
}

// CareTeamMemberDelete implements store.Executor.
func (e *executor) CareTeamMemberDelete(ctx context.Context, householdID, professionalID string) (bool, error) {
	n, err := e.q.CareTeamMemberDelete(ctx, dbsqlc.CareTeamMemberDeleteParams{HouseholdID: householdID, ProfessionalID: professionalID})
	return n > 0, res.Err("delete care team member", err)
}

// CareTeamMemberList implements store.Executor.
func (e *executor) CareTeamMemberList(ctx context.Context, householdID string) ([]*store.CareTeamMember, error) {
	return store.All(res, "list care team", careTeamMember)(e.q.CareTeamMemberList(ctx, householdID))
}

// CareTeamMemberListMany implements store.Executor.
func (e *executor) CareTeamMemberListMany(ctx context.Context, householdIDs []string) ([]*store.CareTeamMember, error) {
	return store.All(res, "list care teams", careTeamMember)(e.q.CareTeamMemberListMany(ctx, jsonList(householdIDs)))
}
