package storepgx

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Setting up a region (RegionService): issuer bindings, deactivation, households moved,
// closed and reopened. Queries in directory.sql, households.sql, schedules.sql and
// alerts.sql.

func organizationIssuer(r dbsqlc.OrganizationIssuer) *store.OrganizationIssuer {
	return &store.OrganizationIssuer{Issuer: r.Issuer, OrganizationID: r.OrganizationID, JWKSURL: r.JwksUrl,
		Audience: r.Audience, BoundAt: r.BoundAt}
}

func (e executor) OrganizationDeactivate(ctx context.Context, id string, at time.Time) error {
	return res.Err("deactivate organization "+id, q.OrganizationDeactivate(ctx, e.db,
		dbsqlc.OrganizationDeactivateParams{ID: id, DeactivatedAt: &at}))
}

func (e executor) OrganizationLeaseSet(ctx context.Context, id string, lease store.Lease) error {
	lock, erase := lease.Seconds()
	return store.Updated(res, "set lease of organization "+id)(q.OrganizationLeaseSet(ctx, e.db,
		dbsqlc.OrganizationLeaseSetParams{ID: id, LockAfterSeconds: lock, EraseAfterSeconds: erase}))
}

func (e executor) OrganizationIssuerUpsert(ctx context.Context, i store.OrganizationIssuer) error {
	return res.Err("bind issuer", q.OrganizationIssuerUpsert(ctx, e.db, dbsqlc.OrganizationIssuerUpsertParams{
		Issuer: i.Issuer, OrganizationID: i.OrganizationID, JwksUrl: i.JWKSURL, Audience: i.Audience, BoundAt: i.BoundAt}))
}

func (e executor) OrganizationIssuerGet(ctx context.Context, issuer string) (*store.OrganizationIssuer, error) {
	return store.One(res, "get issuer binding", organizationIssuer)(q.OrganizationIssuerGet(ctx, e.db, issuer))
}

func (e executor) OrganizationIssuerList(ctx context.Context) ([]*store.OrganizationIssuer, error) {
	return store.All(res, "list issuer bindings", organizationIssuer)(q.OrganizationIssuerList(ctx, e.db))
}

func (e executor) HouseholdGetByCode(ctx context.Context, code string) (*store.Household, error) {
	return store.One(res, "get household by code", household)(q.HouseholdGetByCode(ctx, e.db, code))
}

func (e executor) HouseholdTeamSet(ctx context.Context, householdID, teamID string) error {
	return res.Err("move household "+householdID, q.HouseholdTeamSet(ctx, e.db, dbsqlc.HouseholdTeamSetParams{ID: householdID, TeamID: teamID}))
}

func (e executor) HouseholdClosedSet(ctx context.Context, householdID string, closedAt *time.Time) error {
	return res.Err("close household "+householdID, q.HouseholdClosedSet(ctx, e.db, dbsqlc.HouseholdClosedSetParams{ID: householdID, ClosedAt: closedAt}))
}

func (e executor) ScheduleStopByHousehold(ctx context.Context, householdID string, version int64, now time.Time) error {
	return res.Err("stop schedules of "+householdID, q.ScheduleStopByHousehold(ctx, e.db, dbsqlc.ScheduleStopByHouseholdParams{
		HouseholdID: householdID, Version: version, Now: now}))
}

func (e executor) AlertEndByHousehold(ctx context.Context, householdID, by string, now time.Time) error {
	return res.Err("end alerts of "+householdID, q.AlertEndByHousehold(ctx, e.db, dbsqlc.AlertEndByHouseholdParams{
		HouseholdID: householdID, By: by, Now: now}))
}
