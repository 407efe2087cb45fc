package storesqlite

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

// Setting up a region (RegionService): issuer bindings, deactivation, households moved,
// closed and reopened. Queries in directory.sql, households.sql, schedules.sql and
// alerts.sql.

func organizationIssuer(r dbsqlc.OrganizationIssuer) *store.OrganizationIssuer {
	return &store.OrganizationIssuer{Issuer: r.Issuer, OrganizationID: r.OrganizationID, JWKSURL: r.JwksUrl,
		Audience: r.Audience, BoundAt: fromMicros(r.BoundAt)}
}

func (e *executor) OrganizationDeactivate(ctx context.Context, id string, at time.Time) error {
	return res.Err("deactivate organization "+id, e.q.OrganizationDeactivate(ctx, dbsqlc.OrganizationDeactivateParams{ID: id, DeactivatedAt: microsPtr(&at)}))
}

// OrganizationLeaseSet implements store.Executor.
func (e *executor) OrganizationLeaseSet(ctx context.Context, id string, lease store.Lease) error {
	lock, erase := lease.Seconds()
	return store.Updated(res, "set lease of organization")(e.q.OrganizationLeaseSet(ctx,
		dbsqlc.OrganizationLeaseSetParams{ID: id, LockAfterSeconds: lock, EraseAfterSeconds: erase}))
}

func (e *executor) OrganizationIssuerUpsert(ctx context.Context, i store.OrganizationIssuer) error {
	return res.Err("bind issuer", e.q.OrganizationIssuerUpsert(ctx, dbsqlc.OrganizationIssuerUpsertParams{
		Issuer: i.Issuer, OrganizationID: i.OrganizationID, JwksUrl: i.JWKSURL, Audience: i.Audience, BoundAt: micros(i.BoundAt)}))
}

func (e *executor) OrganizationIssuerGet(ctx context.Context, issuer string) (*store.OrganizationIssuer, error) {
	return store.One(res, "get issuer binding", organizationIssuer)(e.q.OrganizationIssuerGet(ctx, issuer))
}

func (e *executor) OrganizationIssuerList(ctx context.Context) ([]*store.OrganizationIssuer, error) {
	return store.All(res, "list issuer bindings", organizationIssuer)(e.q.OrganizationIssuerList(ctx))
}

func (e *executor) HouseholdGetByCode(ctx context.Context, code string) (*store.Household, error) {
	return store.One(res, "get household by code", household)(e.q.HouseholdGetByCode(ctx, code))
}

func (e *executor) HouseholdTeamSet(ctx context.Context, householdID, teamID string) error {
	return res.Err("move household "+householdID, e.q.HouseholdTeamSet(ctx, dbsqlc.HouseholdTeamSetParams{ID: householdID, TeamID: teamID}))
}

func (e *executor) HouseholdClosedSet(ctx context.Context, householdID string, closedAt *time.Time) error {
	return res.Err("close household "+householdID, e.q.HouseholdClosedSet(ctx, dbsqlc.HouseholdClosedSetParams{ID: householdID, ClosedAt: microsPtr(closedAt)}))
}

func (e *executor) ScheduleStopByHousehold(ctx context.Context, householdID string, version int64, now time.Time) error {
	return res.Err("stop schedules of "+householdID, e.q.ScheduleStopByHousehold(ctx, dbsqlc.ScheduleStopByHouseholdParams{
		HouseholdID: householdID, Version: version, Now: micros(now)}))
}

func (e *executor) AlertEndByHousehold(ctx context.Context, householdID, by string, now time.Time) error {
	return res.Err("end alerts of "+householdID, e.q.AlertEndByHousehold(ctx, dbsqlc.AlertEndByHouseholdParams{
		HouseholdID: householdID, By: by, Now: micros(now)}))
}
