package storepgx

import (
	"context"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Schedules and the scheduler's claims: queries/schedules.sql.

func schedule(r dbsqlc.Schedule) *store.Schedule {
	return &store.Schedule{ID: r.ID, HouseholdID: r.HouseholdID, Rule: r.Rule, TimeZone: r.TimeZone,
		LocalTime: r.LocalTime, WindowEnd: r.WindowEnd, GraceMinutes: r.GraceMinutes, Channel: r.Channel,
		LeadProfessionalID: r.LeadProfessionalID, Paused: r.Paused, StartDate: r.StartDate, EndDate: r.EndDate,
		NextDueAt: r.NextDueAt, OverdueAt: r.OverdueAt, OpensAt: r.OpensAt, LastCheckInAt: r.LastCheckInAt,
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (e executor) ScheduleGet(ctx context.Context, id string) (*store.Schedule, error) {
	return store.One(res, "get schedule "+id, schedule)(q.ScheduleGet(ctx, e.db, id))
}

func (e executor) ScheduleListMany(ctx context.Context, ids []string) ([]*store.Schedule, error) {
	return store.All(res, "list schedules", schedule)(q.ScheduleListMany(ctx, e.db, ids))
}

func (e executor) ScheduleUpsert(ctx context.Context, p store.ScheduleUpsertRowParams) (*store.Schedule, error) {
	s := p.Schedule
	return store.One(res, "write schedule "+s.ID, schedule)(q.ScheduleUpsert(ctx, e.db, dbsqlc.ScheduleUpsertParams{
		ID: s.ID, HouseholdID: s.HouseholdID, Rule: s.Rule, TimeZone: s.TimeZone, LocalTime: s.LocalTime,
		GraceMinutes: s.GraceMinutes, Channel: s.Channel, LeadProfessionalID: s.LeadProfessionalID, Paused: s.Paused,
		StartDate: s.StartDate, EndDate: s.EndDate, NextDueAt: s.NextDueAt, Version: p.Version, Now: p.Now,
		OverdueAt: s.OverdueAt, OpensAt: s.OpensAt, WindowEnd: s.WindowEnd}))
}

func (e executor) ScheduleListByHousehold(ctx context.Context, householdID string) ([]*store.Schedule, error) {
	return store.All(res, "list schedules of "+householdID, schedule)(q.ScheduleListByHousehold(ctx, e.db, householdID))
}

func (e executor) ScheduleListChanged(ctx context.Context, p store.ChangedParams) ([]*store.Schedule, error) {
	return store.All(res, "pull schedules of "+p.HouseholdID, schedule)(q.ScheduleListChanged(ctx, e.db,
		dbsqlc.ScheduleListChangedParams{HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}

func (e executor) ScheduleClaimDue(ctx context.Context, p store.ClaimParams) ([]*store.Schedule, error) {
	return store.All(res, "claim due schedules", schedule)(q.ScheduleClaimDue(ctx, e.db,
		dbsqlc.ScheduleClaimDueParams{Now: p.Now, MaxRows: int32(p.Limit)}))
}

func (e executor) ScheduleAdvanceMany(ctx context.Context, rows []store.ScheduleAdvanceRow) error {
	return res.Err(fmt.Sprintf("advance %d schedules", len(rows)), q.ScheduleAdvanceMany(ctx, e.db, dbsqlc.ScheduleAdvanceManyParams{
		ID:        store.Column(rows, func(r store.ScheduleAdvanceRow) string { return r.ID }),
		NextDueAt: store.Column(rows, func(r store.ScheduleAdvanceRow) *time.Time { return r.NextDueAt }),
		OverdueAt: store.Column(rows, func(r store.ScheduleAdvanceRow) *time.Time { return r.OverdueAt }),
		OpensAt:   store.Column(rows, func(r store.ScheduleAdvanceRow) *time.Time { return r.OpensAt }),
	}))
}

func (e executor) ScheduleLeadReroute(ctx context.Context, p store.LeadRerouteParams) error {
	return res.Err("re-route schedules of "+p.HouseholdID, q.ScheduleLeadReroute(ctx, e.db, dbsqlc.ScheduleLeadRerouteParams{
		HouseholdID: p.HouseholdID, Former: p.Former, Lead: p.Lead, Version: p.Version, Now: p.Now}))
}

func (e executor) ScheduleCheckInMany(ctx context.Context, rows []store.HouseholdInstant) error {
	return res.Err("record check-ins on schedules", q.ScheduleCheckInMany(ctx, e.db, dbsqlc.ScheduleCheckInManyParams{
		HouseholdID: store.Column(rows, func(r store.HouseholdInstant) string { return r.HouseholdID }),
		At:          store.Column(rows, func(r store.HouseholdInstant) time.Time { return r.At }),
	}))
}
