package storesqlite

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
	"github.com/veilig/veilig/sync/change"
)

func schedule(s dbsqlc.Schedule) *store.Schedule {
	return &store.Schedule{ID: s.ID, HouseholdID: s.HouseholdID, Rule: s.Rule, TimeZone: s.TimeZone, LocalTime: s.LocalTime,
		WindowEnd: s.WindowEnd, GraceMinutes: s.GraceMinutes, Channel: s.Channel, LeadProfessionalID: s.LeadProfessionalID,
		Paused: s.Paused, StartDate: s.StartDate, EndDate: s.EndDate, NextDueAt: timePtr(s.NextDueAt),
		OverdueAt: timePtr(s.OverdueAt), OpensAt: timePtr(s.OpensAt), LastCheckInAt: timePtr(s.LastCheckInAt),
		Version: s.Version, CreatedAt: fromMicros(s.CreatedAt), UpdatedAt: fromMicros(s.UpdatedAt)}
}

func checkIn(c dbsqlc.CheckIn) *change.CheckIn {
	return &change.CheckIn{ID: c.ID, HouseholdID: c.HouseholdID, ScheduleID: c.ScheduleID, Channel: c.Channel,
		Outcome: c.Outcome, Note: c.Note, RecordedBy: c.RecordedBy, RecordedAt: fromMicros(c.RecordedAt), Version: c.Version}
}

func alert(a dbsqlc.Alert) *store.Alert {
	return &store.Alert{ID: a.ID, Kind: a.Kind, ScheduleID: a.ScheduleID, HouseholdID: a.HouseholdID, TeamID: a.TeamID,
		OrganizationID: a.OrganizationID, LeadID: a.LeadID, DueAt: fromMicros(a.DueAt), Step: a.Step,
		NextStepAt: timePtr(a.NextStepAt), AcknowledgedAt: timePtr(a.AcknowledgedAt), AcknowledgedBy: a.AcknowledgedBy,
		CreatedAt: fromMicros(a.CreatedAt)}
}

func notice(n dbsqlc.Notice) *store.Notice {
	return &store.Notice{ID: n.ID, AlertID: n.AlertID, Step: n.Step, CreatedAt: fromMicros(n.CreatedAt)}
}

// ScheduleGet implements store.Executor.
func (e *executor) ScheduleGet(ctx context.Context, id string) (*store.Schedule, error) {
	return store.One(res, "get schedule", schedule)(e.q.ScheduleGet(ctx, id))
}

// ScheduleListMany implements store.Executor.
func (e *executor) ScheduleListMany(ctx context.Context, ids []string) ([]*store.Schedule, error) {
	return store.All(res, "list schedules", schedule)(e.q.ScheduleListMany(ctx, jsonList(ids)))
}

// ScheduleUpsert implements store.Executor.
func (e *executor) ScheduleUpsert(ctx context.Context, p store.ScheduleUpsertRowParams) (*store.Schedule, error) {
	s := p.Schedule
	return store.One(res, "upsert schedule", schedule)(e.q.ScheduleUpsert(ctx, dbsqlc.ScheduleUpsertParams{ID: s.ID,
		HouseholdID: s.HouseholdID, Rule: s.Rule, TimeZone: s.TimeZone, LocalTime: s.LocalTime, WindowEnd: s.WindowEnd,
		GraceMinutes: s.GraceMinutes, Channel: s.Channel, LeadProfessionalID: s.LeadProfessionalID, Paused: s.Paused,
		StartDate: s.StartDate, EndDate: s.EndDate, NextDueAt: microsPtr(s.NextDueAt), OverdueAt: microsPtr(s.OverdueAt),
		OpensAt: microsPtr(s.OpensAt), Version: p.Version, Now: micros(p.Now)}))
}

// ScheduleListByHousehold implements store.Executor.
func (e *executor) ScheduleListByHousehold(ctx context.Context, householdID string) ([]*store.Schedule, error) {
	return store.All(res, "list schedules", schedule)(e.q.ScheduleListByHousehold(ctx, householdID))
}

// ScheduleListChanged implements store.Executor.
func (e *executor) ScheduleListChanged(ctx context.Context, p store.ChangedParams) ([]*store.Schedule, error) {
	return store.All(res, "list changed schedules", schedule)(e.q.ScheduleListChanged(ctx, dbsqlc.ScheduleListChangedParams{
		HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}

// ScheduleClaimDue implements store.Executor.
func (e *executor) ScheduleClaimDue(ctx context.Context, p store.ClaimParams) ([]*store.Schedule, error) {
	return store.All(res, "claim due schedules", schedule)(e.q.ScheduleClaimDue(ctx, dbsqlc.ScheduleClaimDueParams{
		Now: micros(p.Now), Max: int64(p.Limit)}))
}

// ScheduleAdvanceMany implements store.Executor.
func (e *executor) ScheduleAdvanceMany(ctx context.Context, rows []store.ScheduleAdvanceRow) error {
	return each("advance schedule", rows, func(r store.ScheduleAdvanceRow) error {
		return e.q.ScheduleAdvance(ctx, dbsqlc.ScheduleAdvanceParams{ID: r.ID, NextDueAt: microsPtr(r.NextDueAt),
			OverdueAt: microsPtr(r.OverdueAt), OpensAt: microsPtr(r.OpensAt)})
	})
}

// ScheduleCheckInMany implements store.Executor.
func (e *executor) ScheduleCheckInMany(ctx context.Context, rows []store.HouseholdInstant) error {
	return each("record check-in on schedules", rows, func(r store.HouseholdInstant) error {
		return e.q.ScheduleCheckIn(ctx, dbsqlc.ScheduleCheckInParams{HouseholdID: r.HouseholdID, At: micros(r.At)})
	})
}

// CheckInGet implements store.Executor.
func (e *executor) CheckInGet(ctx context.Context, id string) (*change.CheckIn, error) {
	return store.One(res, "get check-in", checkIn)(e.q.CheckInGet(ctx, id))
}

// CheckInInsertMany implements store.Executor: one statement.
func (e *executor) CheckInInsertMany(ctx context.Context, rows []change.CheckIn) error {
	return res.Err("insert check-ins", e.q.CheckInInsertMany(ctx, jsonRows(rows, func(c change.CheckIn) []any {
		return []any{c.ID, c.HouseholdID, c.ScheduleID, c.Channel, c.Outcome, c.Note, c.RecordedBy, micros(c.RecordedAt), c.Version}
	})))
}

// CheckInListByHousehold implements store.Executor.
func (e *executor) CheckInListByHousehold(ctx context.Context, householdID string, limit int) ([]*change.CheckIn, error) {
	return store.All(res, "list check-ins", checkIn)(e.q.CheckInListByHousehold(ctx, dbsqlc.CheckInListByHouseholdParams{
		HouseholdID: householdID, Max: int64(limit)}))
}

// CheckInListChanged implements store.Executor.
func (e *executor) CheckInListChanged(ctx context.Context, p store.ChangedParams) ([]*change.CheckIn, error) {
	return store.All(res, "list changed check-ins", checkIn)(e.q.CheckInListChanged(ctx, dbsqlc.CheckInListChangedParams{
		HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}

// AlertInsertMany implements store.Executor.
func (e *executor) AlertInsertMany(ctx context.Context, p store.AlertInsertManyParams) ([]string, error) {
	var inserted []string
	err := each("insert alert", p.Alerts, func(a store.Alert) error {
		n, err := e.q.AlertInsert(ctx, dbsqlc.AlertInsertParams{ID: a.ID, Kind: a.Kind, ScheduleID: a.ScheduleID,
			HouseholdID: a.HouseholdID, LeadID: a.LeadID, OrganizationID: a.OrganizationID, DueAt: micros(a.DueAt),
			NextStepAt: microsPtr(a.NextStepAt), Now: micros(p.Now)})
		if n == 1 {
			inserted = append(inserted, a.ID)
		}
		return err
	})
	return inserted, err
}

// AlertGet implements store.Executor.
func (e *executor) AlertGet(ctx context.Context, id string) (*store.Alert, error) {
	return store.One(res, "get alert", alert)(e.q.AlertGet(ctx, id))
}

// AlertListByHousehold implements store.Executor.
func (e *executor) AlertListByHousehold(ctx context.Context, householdID string, limit int) ([]*store.Alert, error) {
	return store.All(res, "list alerts", alert)(e.q.AlertListByHousehold(ctx, dbsqlc.AlertListByHouseholdParams{
		HouseholdID: householdID, Max: int64(limit)}))
}

// AlertClaimDue implements store.Executor.
func (e *executor) AlertClaimDue(ctx context.Context, p store.ClaimParams) ([]*store.Alert, error) {
	return store.All(res, "claim due alerts", alert)(e.q.AlertClaimDue(ctx, dbsqlc.AlertClaimDueParams{Now: micros(p.Now), Max: int64(p.Limit)}))
}

// AlertStepMany implements store.Executor.
func (e *executor) AlertStepMany(ctx context.Context, rows []store.AlertStepRow) error {
	return each("step alert", rows, func(r store.AlertStepRow) error {
		return e.q.AlertStep(ctx, dbsqlc.AlertStepParams{ID: r.ID, Step: r.Step, NextStepAt: microsPtr(r.NextStepAt)})
	})
}

// AlertAcknowledge implements store.Executor.
func (e *executor) AlertAcknowledge(ctx context.Context, p store.AlertAcknowledgeParams) (*store.Alert, error) {
	return store.One(res, "acknowledge alert", alert)(e.q.AlertAcknowledge(ctx, dbsqlc.AlertAcknowledgeParams{ID: p.ID,
		AcknowledgedBy: p.ProfessionalID, Now: micros(p.Now)}))
}

// AlertAcknowledgeOverdueMany implements store.Executor.
func (e *executor) AlertAcknowledgeOverdueMany(ctx context.Context, p store.AlertAcknowledgeOverdueManyParams) error {
	return res.Err("acknowledge overdue alerts", e.q.AlertAcknowledgeOverdueMany(ctx, dbsqlc.AlertAcknowledgeOverdueManyParams{
		HouseholdIDs: jsonList(p.HouseholdIDs), AcknowledgedBy: p.By, Now: micros(p.Now)}))
}

// NoticeInsertMany implements store.Executor.
func (e *executor) NoticeInsertMany(ctx context.Context, p store.NoticeInsertManyParams) ([]string, error) {
	var inserted []string
	err := each("insert notice", p.Notices, func(n store.Notice) error {
		k, err := e.q.NoticeInsert(ctx, dbsqlc.NoticeInsertParams{ID: n.ID, AlertID: n.AlertID, Step: n.Step, Now: micros(p.Now)})
		if k == 1 {
			inserted = append(inserted, n.ID)
		}
		return err
	})
	return inserted, err
}

// NoticeList implements store.Executor.
func (e *executor) NoticeList(ctx context.Context, alertID string) ([]*store.Notice, error) {
	return store.All(res, "list notices", notice)(e.q.NoticeList(ctx, alertID))
}

// EscalationPolicyUpsert implements store.Executor. Durations are stored in whole seconds.
func (e *executor) EscalationPolicyUpsert(ctx context.Context, p store.EscalationPolicy) error {
	return res.Err("upsert escalation policy", e.q.EscalationPolicyUpsert(ctx, dbsqlc.EscalationPolicyUpsertParams{
		ScopeID: p.ScopeID, SupervisorAfterSecs: int64(p.SupervisorAfter / time.Second), OnCallAfterSecs: int64(p.OnCallAfter / time.Second),
		OnCallProfessionalID: p.OnCallProfessionalID, UpdatedAt: micros(p.UpdatedAt)}))
}

func escalationPolicy(p dbsqlc.EscalationPolicy) *store.EscalationPolicy {
	return &store.EscalationPolicy{ScopeID: p.ScopeID, SupervisorAfter: time.Duration(p.SupervisorAfterSecs) * time.Second,
		OnCallAfter: time.Duration(p.OnCallAfterSecs) * time.Second, OnCallProfessionalID: p.OnCallProfessionalID,
		UpdatedAt: fromMicros(p.UpdatedAt)}
}

// EscalationPolicyList implements store.Executor.
func (e *executor) EscalationPolicyList(ctx context.Context) ([]*store.EscalationPolicy, error) {
	return store.All(res, "list escalation policies", escalationPolicy)(e.q.EscalationPolicyList(ctx))
}

// AlertLeadReroute implements store.Executor.
func (e *executor) AlertLeadReroute(ctx context.Context, p store.LeadRerouteParams) ([]*store.Alert, error) {
	return store.All(res, "re-route alerts", alert)(e.q.AlertLeadReroute(ctx, dbsqlc.AlertLeadRerouteParams{
		HouseholdID: p.HouseholdID, Former: p.Former, Lead: p.Lead, Now: micros(p.Now)}))
}

// ScheduleLeadReroute implements store.Executor.
func (e *executor) ScheduleLeadReroute(ctx context.Context, p store.LeadRerouteParams) error {
	return res.Err("re-route schedules", e.q.ScheduleLeadReroute(ctx, dbsqlc.ScheduleLeadRerouteParams{
		HouseholdID: p.HouseholdID, Former: p.Former, Lead: p.Lead, Version: p.Version, Now: micros(p.Now)}))
}
