package store

import (
	"context"
	"fmt"
)

// HouseholdCreate inserts a household with Version 1; a duplicate Code is ErrConflict.
func (db *DB) HouseholdCreate(ctx context.Context, h Household) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.HouseholdInsert(ctx, h) })
}

// CareTeamMemberSet adds or updates an assignment and bumps the household version. Setting
// Lead clears the lead flag of every other member of that household. In the same
// transaction it re-routes reminders to the household's lead after the change: when the
// lead flag moves (or the lead steps down), the schedules and open alerts the former
// lead led go to the new lead (none: the supervisors), and so does anything led by
// nobody or by someone no longer in the care team; each re-routed alert gets a re-route
// notice (AlertRerouteNoticeID) with a push to the new lead, and the former lead's lead
// pushes that have not gone out are cancelled (OutboxCancelled).
// A household has at most one lead, so setting one
// clears the others in the same transaction.
func (db *DB) CareTeamMemberSet(ctx context.Context, p CareTeamMemberSetParams) error {
	return db.InTx(ctx, func(ctx context.Context, tx *Tx) error { return tx.CareTeamMemberSet(ctx, p) })
}

// CareTeamMemberSet is DB.CareTeamMemberSet in tx.
func (tx *Tx) CareTeamMemberSet(ctx context.Context, p CareTeamMemberSetParams) error {
	m := p.Member
	v, err := lockHousehold(ctx, tx.ex, m.HouseholdID, p.Now)
	if err != nil {
		return err
	}
	former, err := householdLead(ctx, tx.ex, m.HouseholdID)
	if err != nil {
		return err
	}
	if m.Lead {
		if err := tx.ex.CareTeamMemberClearLead(ctx, m.HouseholdID); err != nil {
			return err
		}
	}
	if err := tx.ex.CareTeamMemberUpsert(ctx, m); err != nil {
		return err
	}
	lead := former
	switch {
	case m.Lead:
		lead = m.ProfessionalID
	case m.ProfessionalID == former:
		lead = "" // the lead stepped down and nobody took over
	}
	if lead == former {
		former = "" // what the lead led stays; only what nobody in the team leads moves
	}
	return rerouteLead(ctx, tx.ex, LeadRerouteParams{HouseholdID: m.HouseholdID, Former: former, Lead: lead, Version: v, Now: p.Now})
}

// CareTeamMemberRemove removes an assignment and bumps the household version; a
// professional not in the care team is ErrNotFound. It re-routes, in the same
// transaction and as CareTeamMemberSet does, what the removed professional led to the
// household's lead; a removed lead is not replaced, so what they led goes to nobody and
// their open alerts still at the lead step climb to the team's supervisors at once.
func (db *DB) CareTeamMemberRemove(ctx context.Context, p CareTeamMemberRemoveParams) error {
	return db.InTx(ctx, func(ctx context.Context, tx *Tx) error { return tx.CareTeamMemberRemove(ctx, p) })
}

// CareTeamMemberRemove is DB.CareTeamMemberRemove in tx.
func (tx *Tx) CareTeamMemberRemove(ctx context.Context, p CareTeamMemberRemoveParams) error {
	v, err := lockHousehold(ctx, tx.ex, p.HouseholdID, p.Now)
	if err != nil {
		return err
	}
	lead, err := householdLead(ctx, tx.ex, p.HouseholdID)
	if err != nil {
		return err
	}
	existed, err := tx.ex.CareTeamMemberDelete(ctx, p.HouseholdID, p.ProfessionalID)
	if err != nil {
		return err
	}
	if !existed {
		return fmt.Errorf("care team member of %s: %w", p.HouseholdID, ErrNotFound)
	}
	former := ""
	if lead == p.ProfessionalID {
		// Nobody is promoted in the lead's place: choosing the next lead is a person's
		// decision. Until then the supervisors are the fallback (rerouteLead).
		former, lead = lead, ""
	}
	return rerouteLead(ctx, tx.ex, LeadRerouteParams{HouseholdID: p.HouseholdID, Former: former, Lead: lead, Version: v, Now: p.Now})
}

// householdLead is the household's lead: the care-team member flagged lead (empty for none;
// the first by id should a bug ever flag two, as in resolveLeads).
func householdLead(ctx context.Context, tx Executor, householdID string) (string, error) {
	members, err := tx.CareTeamMemberList(ctx, householdID)
	if err != nil {
		return "", err
	}
	for _, m := range members {
		if m.Lead {
			return m.ProfessionalID, nil
		}
	}
	return "", nil
}

// rerouteReason is the last_error of a lead push cancelled by a care-team change.
const rerouteReason = "rerouted: no longer the alert's lead"

// rerouteLead makes a care-team change take effect on reminders in its own transaction, so
// that alerts and their pushes go to whoever leads the household now, never to someone who
// has left its care team:
//
//   - schedules led by the former lead, or by someone no longer in the care team, get the
//     new lead (empty when there is none, which detection reads as "the household's
//     lead");
//   - open alerts led by the former lead, by someone no longer in the care team, or by
//     nobody get the new lead; their lead pushes that have not gone out are cancelled, and
//     each alert gets a re-route notice (AlertRerouteNoticeID, the trace of the change)
//     with a push to the new lead's devices;
//   - with no lead left, re-routed alerts at the lead step climb to the team's supervisors
//     at once (AlertLeadReroute makes them due; escalation skips the lead step of an alert
//     without a lead).
//
// The supervisor step keeps its time (counted from the alert's creation): a change of staff
// does not delay the escalation of a missed check.
func rerouteLead(ctx context.Context, tx Executor, p LeadRerouteParams) error {
	if err := tx.ScheduleLeadReroute(ctx, p); err != nil {
		return err
	}
	alerts, err := tx.AlertLeadReroute(ctx, p)
	if err != nil || len(alerts) == 0 {
		return err
	}
	ids := Column(alerts, func(a *Alert) string { return a.ID })
	if err := tx.OutboxLeadCancel(ctx, OutboxLeadCancelParams{AlertIDs: ids, Keep: p.Lead, Reason: rerouteReason, Now: p.Now}); err != nil {
		return err
	}
	notices := make([]noticeSpec, len(alerts))
	for i, a := range alerts {
		n := alertNotice(a, StepLead, a.Kind == AlertUrgent, a.LeadID)
		n.notice.ID = AlertRerouteNoticeID(a.ID, p.Version)
		notices[i] = n
	}
	return queueNotices(ctx, tx, p.Now, notices)
}
