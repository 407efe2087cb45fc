package storepgx

import (
	"context"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Alerts, notices and escalation policies: queries/alerts.sql.

func alert(r dbsqlc.Alert) *store.Alert {
	return &store.Alert{ID: r.ID, Kind: r.Kind, ScheduleID: r.ScheduleID, HouseholdID: r.HouseholdID, TeamID: r.TeamID,
		OrganizationID: r.OrganizationID, LeadID: r.LeadID, DueAt: r.DueAt, Step: r.Step, NextStepAt: r.NextStepAt,
		AcknowledgedAt: r.AcknowledgedAt, AcknowledgedBy: r.AcknowledgedBy, CreatedAt: r.CreatedAt}
}

func notice(r dbsqlc.Notice) *store.Notice {
	return &store.Notice{ID: r.ID, AlertID: r.AlertID, Step: r.Step, CreatedAt: r.CreatedAt}
}

// escalationPolicy keeps durations as whole seconds.
func escalationPolicy(r dbsqlc.EscalationPolicy) *store.EscalationPolicy {
	return &store.EscalationPolicy{ScopeID: r.ScopeID, SupervisorAfter: time.Duration(r.SupervisorAfterSecs) * time.Second,
		OnCallAfter: time.Duration(r.OnCallAfterSecs) * time.Second, OnCallProfessionalID: r.OnCallProfessionalID,
		UpdatedAt: r.UpdatedAt}
}

func (e executor) AlertInsertMany(ctx context.Context, p store.AlertInsertManyParams) ([]string, error) {
	as := p.Alerts
	return store.All(res, fmt.Sprintf("raise %d alerts", len(as)), store.Same[string])(q.AlertInsertMany(ctx, e.db, dbsqlc.AlertInsertManyParams{
		ID:             store.Column(as, func(a store.Alert) string { return a.ID }),
		Kind:           store.Column(as, func(a store.Alert) string { return a.Kind }),
		ScheduleID:     store.Column(as, func(a store.Alert) string { return a.ScheduleID }),
		HouseholdID:    store.Column(as, func(a store.Alert) string { return a.HouseholdID }),
		LeadID:         store.Column(as, func(a store.Alert) string { return a.LeadID }),
		OrganizationID: store.Column(as, func(a store.Alert) string { return a.OrganizationID }),
		DueAt:          store.Column(as, func(a store.Alert) time.Time { return a.DueAt }),
		NextStepAt:     store.Column(as, func(a store.Alert) *time.Time { return a.NextStepAt }),
		Now:            p.Now,
	}))
}

func (e executor) AlertGet(ctx context.Context, id string) (*store.Alert, error) {
	return store.One(res, "get alert "+id, alert)(q.AlertGet(ctx, e.db, id))
}

func (e executor) AlertListByHousehold(ctx context.Context, householdID string, limit int) ([]*store.Alert, error) {
	return store.All(res, "list alerts of "+householdID, alert)(q.AlertListByHousehold(ctx, e.db,
		dbsqlc.AlertListByHouseholdParams{HouseholdID: householdID, MaxRows: int32(limit)}))
}

func (e executor) AlertClaimDue(ctx context.Context, p store.ClaimParams) ([]*store.Alert, error) {
	return store.All(res, "claim due alerts", alert)(q.AlertClaimDue(ctx, e.db, dbsqlc.AlertClaimDueParams{Now: p.Now, MaxRows: int32(p.Limit)}))
}

func (e executor) AlertStepMany(ctx context.Context, rows []store.AlertStepRow) error {
	return res.Err(fmt.Sprintf("step %d alerts", len(rows)), q.AlertStepMany(ctx, e.db, dbsqlc.AlertStepManyParams{
		ID:         store.Column(rows, func(r store.AlertStepRow) string { return r.ID }),
		Step:       store.Column(rows, func(r store.AlertStepRow) int32 { return r.Step }),
		NextStepAt: store.Column(rows, func(r store.AlertStepRow) *time.Time { return r.NextStepAt }),
	}))
}

func (e executor) AlertAcknowledge(ctx context.Context, p store.AlertAcknowledgeParams) (*store.Alert, error) {
	return store.One(res, "acknowledge alert "+p.ID, alert)(q.AlertAcknowledge(ctx, e.db,
		dbsqlc.AlertAcknowledgeParams{ID: p.ID, By: p.ProfessionalID, Now: p.Now}))
}

func (e executor) AlertAcknowledgeOverdueMany(ctx context.Context, p store.AlertAcknowledgeOverdueManyParams) error {
	return res.Err("acknowledge overdue alerts", q.AlertAcknowledgeOverdueMany(ctx, e.db,
		dbsqlc.AlertAcknowledgeOverdueManyParams{HouseholdIDs: p.HouseholdIDs, By: p.By, Now: p.Now}))
}

func (e executor) NoticeInsertMany(ctx context.Context, p store.NoticeInsertManyParams) ([]string, error) {
	ns := p.Notices
	return store.All(res, fmt.Sprintf("record %d notices", len(ns)), store.Same[string])(q.NoticeInsertMany(ctx, e.db, dbsqlc.NoticeInsertManyParams{
		ID:      store.Column(ns, func(n store.Notice) string { return n.ID }),
		AlertID: store.Column(ns, func(n store.Notice) string { return n.AlertID }),
		Step:    store.Column(ns, func(n store.Notice) int32 { return n.Step }),
		Now:     p.Now,
	}))
}

func (e executor) NoticeList(ctx context.Context, alertID string) ([]*store.Notice, error) {
	return store.All(res, "list notices of "+alertID, notice)(q.NoticeList(ctx, e.db, alertID))
}

func (e executor) EscalationPolicyUpsert(ctx context.Context, p store.EscalationPolicy) error {
	return res.Err("set escalation policy of "+p.ScopeID, q.EscalationPolicyUpsert(ctx, e.db, dbsqlc.EscalationPolicyUpsertParams{
		ScopeID: p.ScopeID, SupervisorAfterSecs: int32(p.SupervisorAfter / time.Second),
		OnCallAfterSecs: int32(p.OnCallAfter / time.Second), OnCallProfessionalID: p.OnCallProfessionalID,
		UpdatedAt: p.UpdatedAt}))
}

func (e executor) EscalationPolicyList(ctx context.Context) ([]*store.EscalationPolicy, error) {
	return store.All(res, "list escalation policies", escalationPolicy)(q.EscalationPolicyList(ctx, e.db))
}

func (e executor) AlertLeadReroute(ctx context.Context, p store.LeadRerouteParams) ([]*store.Alert, error) {
	return store.All(res, "re-route alerts of "+p.HouseholdID, alert)(q.AlertLeadReroute(ctx, e.db, dbsqlc.AlertLeadRerouteParams{
		HouseholdID: p.HouseholdID, Former: p.Former, Lead: p.Lead, Now: p.Now}))
}
