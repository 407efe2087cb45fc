package storepgx

import (
	"context"
	"fmt"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Households, who may see them, and their care teams: queries/households.sql.

func household(r dbsqlc.Household) *store.Household {
	return &store.Household{ID: r.ID, Code: r.Code, TeamID: r.TeamID, DisplayName: r.DisplayName, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ClosedAt: r.ClosedAt, ErasedAt: r.ErasedAt}
}

func householdVersion(r dbsqlc.HouseholdBumpRow) store.HouseholdVersion {
	return store.HouseholdVersion{HouseholdID: r.ID, Version: r.Version}
}

func careTeamMember(r dbsqlc.CareTeamMember) *store.CareTeamMember {
	return &store.CareTeamMember{HouseholdID: r.HouseholdID, ProfessionalID: r.ProfessionalID, Lead: r.Lead}
}

func (e executor) HouseholdInsert(ctx context.Context, h store.Household) error {
	return res.Err("create household "+h.ID, q.HouseholdInsert(ctx, e.db, dbsqlc.HouseholdInsertParams{
		ID: h.ID, Code: h.Code, TeamID: h.TeamID, DisplayName: h.DisplayName, CreatedAt: h.CreatedAt}))
}

func (e executor) HouseholdGet(ctx context.Context, id string) (*store.Household, error) {
	return store.One(res, "get household "+id, household)(q.HouseholdGet(ctx, e.db, id))
}

// HouseholdLockBump is two statements: the row locks in id order first, then the bump (an
// UPDATE locks its rows in whatever order its plan reads them).
func (e executor) HouseholdLockBump(ctx context.Context, p store.HouseholdLockBumpParams) ([]store.HouseholdVersion, error) {
	if err := e.HouseholdLockMany(ctx, p.IDs); err != nil {
		return nil, err
	}
	return e.HouseholdBumpMany(ctx, p)
}

func (e executor) HouseholdLockMany(ctx context.Context, ids []string) error {
	return res.Err("lock households", q.HouseholdLock(ctx, e.db, ids))
}

func (e executor) HouseholdBumpMany(ctx context.Context, p store.HouseholdLockBumpParams) ([]store.HouseholdVersion, error) {
	return store.All(res, "bump households", householdVersion)(q.HouseholdBump(ctx, e.db, dbsqlc.HouseholdBumpParams{IDs: p.IDs, Now: p.Now}))
}

func (e executor) HouseholdAdvanceMany(ctx context.Context, vs []store.HouseholdVersion) error {
	return res.Err("advance households", q.HouseholdAdvance(ctx, e.db, dbsqlc.HouseholdAdvanceParams{
		IDs:      store.Column(vs, func(v store.HouseholdVersion) string { return v.HouseholdID }),
		Versions: store.Column(vs, func(v store.HouseholdVersion) int64 { return v.Version }),
	}))
}

func (e executor) HouseholdListVisible(ctx context.Context, p store.HouseholdListVisibleParams) ([]*store.Household, error) {
	return store.All(res, "list households of "+p.ProfessionalID, household)(q.HouseholdListVisible(ctx, e.db,
		dbsqlc.HouseholdListVisibleParams{ProfessionalID: p.ProfessionalID, AfterID: p.AfterID, MaxRows: int32(p.Limit)}))
}

func (e executor) HouseholdVersionListMany(ctx context.Context, ids []string) ([]store.HouseholdVersion, error) {
	return store.All(res, "household versions", func(r dbsqlc.HouseholdVersionListManyRow) store.HouseholdVersion {
		return store.HouseholdVersion{HouseholdID: r.ID, Version: r.Version}
	})(q.HouseholdVersionListMany(ctx, e.db, ids))
}

func (e executor) HouseholdViewerListMany(ctx context.Context, householdIDs []string) ([]store.HouseholdViewer, error) {
	return store.All(res, "household viewers", func(r dbsqlc.HouseholdViewer) store.HouseholdViewer {
		return store.HouseholdViewer(r)
	})(q.HouseholdViewerListMany(ctx, e.db, householdIDs))
}

func (e executor) HouseholdViewerListByProfessionals(ctx context.Context, professionalIDs []string) ([]store.HouseholdViewer, error) {
	return store.All(res, "households of professionals", func(r dbsqlc.HouseholdViewer) store.HouseholdViewer {
		return store.HouseholdViewer(r)
	})(q.HouseholdViewerListByProfessionals(ctx, e.db, professionalIDs))
}

func (e executor) HouseholdRelationListMany(ctx context.Context, professionalID string, householdIDs []string) ([]store.HouseholdRelation, error) {
	return store.All(res, "relations to households", func(r dbsqlc.HouseholdRelationListManyRow) store.HouseholdRelation {
		return store.HouseholdRelation(r)
	})(q.HouseholdRelationListMany(ctx, e.db, dbsqlc.HouseholdRelationListManyParams{HouseholdIDs: householdIDs, ProfessionalID: professionalID}))
}

func (e executor) CareTeamMemberClearLead(ctx context.Context, householdID string) error {
	return res.Err("clear lead of "+householdID, q.CareTeamMemberClearLead(ctx, e.db, householdID))
}

func (e executor) CareTeamMemberUpsert(ctx context.Context, m store.CareTeamMember) error {
	return res.Err("set care team member of "+m.HouseholdID, q.CareTeamMemberUpsert(ctx, e.db, dbsqlc.CareTeamMemberUpsertParams{
		HouseholdID: m.HouseholdID, ProfessionalID: m.ProfessionalID, Lead: m.Lead}))
}

func (e executor) CareTeamMemberDelete(ctx context.Context, householdID, professionalID string) (bool, error) {
	return store.One(res, "remove care team member of "+householdID, func(n int64) bool { return n > 0 })(q.CareTeamMemberDelete(ctx, e.db,
		dbsqlc.CareTeamMemberDeleteParams{HouseholdID: householdID, ProfessionalID: professionalID}))
}

func (e executor) CareTeamMemberList(ctx context.Context, householdID string) ([]*store.CareTeamMember, error) {
	return store.All(res, "list care team of "+householdID, careTeamMember)(q.CareTeamMemberList(ctx, e.db, householdID))
}

func (e executor) CareTeamMemberListMany(ctx context.Context, householdIDs []string) ([]*store.CareTeamMember, error) {
	return store.All(res, fmt.Sprintf("list care teams of %d households", len(householdIDs)), careTeamMember)(
		q.CareTeamMemberListMany(ctx, e.db, householdIDs))
}
