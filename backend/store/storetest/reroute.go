package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// Re-routing: reminders follow the care team. A care-team change moves the schedules and
// open alerts the former lead led to the household's lead after it, in its own transaction,
// and an alert raised later resolves its lead against the care team of its own transaction.

// setMember assigns a professional to h1 at at.
func setMember(t *testing.T, s *store.DB, pro string, lead bool, at time.Time) {
	t.Helper()
	must(t, s.CareTeamMemberSet(ctx(), store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: "h1",
		ProfessionalID: pro, Lead: lead}, Now: at}))
}

// ledSchedule stores a paused schedule of h1 led by lead (paused: detection leaves it alone).
func ledSchedule(t *testing.T, s *store.DB, id, lead string) {
	t.Helper()
	_, err := s.ScheduleUpsert(ctx(), store.ScheduleUpsertParams{Now: t0, Schedule: store.Schedule{ID: id, HouseholdID: "h1",
		Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00", Channel: "visit", LeadProfessionalID: lead,
		StartDate: "2026-03-01", Paused: true}})
	must(t, err)
}

// scheduleLead returns a schedule's lead and version.
func scheduleLead(t *testing.T, s *store.DB, id string) (string, int64) {
	t.Helper()
	sc, err := s.ScheduleGet(ctx(), id)
	must(t, err)
	return sc.LeadProfessionalID, sc.Version
}

// raiseUrgent raises an urgent alert of h1 as the family link does: by schedule, no lead.
func raiseUrgent(t *testing.T, s *store.DB, id, scheduleID string, at time.Time) *store.Alert {
	t.Helper()
	raised, err := s.AlertRaise(ctx(), store.AlertRaiseParams{Now: at, Alert: store.Alert{ID: id, Kind: store.AlertUrgent,
		HouseholdID: "h1", ScheduleID: scheduleID, NextStepAt: &at}})
	must(t, err)
	equal(t, "raised "+id, raised, true)
	return getAlert(t, s, id)
}

func getAlert(t *testing.T, s *store.DB, id string) *store.Alert {
	t.Helper()
	a, err := s.AlertGet(ctx(), id)
	must(t, err)
	return a
}

// pushesOf returns "token:status" of a notice's pushes.
func pushesOf(t *testing.T, s *store.DB, noticeID string) []string {
	t.Helper()
	items, err := s.OutboxList(ctx(), noticeID)
	must(t, err)
	return ids(items, func(it *store.OutboxItem) string { return it.Token + ":" + it.Status })
}

func noticeIDs(t *testing.T, s *store.DB, alertID string) []string {
	t.Helper()
	ns, err := s.NoticeList(ctx(), alertID)
	must(t, err)
	return ids(ns, func(n *store.Notice) string { return n.ID })
}

func testRerouteRemoveLead(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	register(t, s, "tok-care", "p-care")
	register(t, s, "tok-colleague", "p-colleague")
	register(t, s, "tok-super", "p-super")
	setMember(t, s, "p-care", true, t0)
	setMember(t, s, "p-colleague", false, t0)
	ledSchedule(t, s, "s-lead", "p-care")
	ledSchedule(t, s, "s-colleague", "p-colleague")
	open := raiseUrgent(t, s, "al-open", "s-lead", t0)
	equal(t, "an urgent alert's lead is its schedule's", open.LeadID, "p-care")
	equalIDs(t, "its push", pushesOf(t, s, "al-open#0"), []string{"tok-care:pending"})
	raiseUrgent(t, s, "al-done", "s-lead", t0)
	_, err := s.AlertAcknowledge(ctx(), store.AlertAcknowledgeParams{ID: "al-done", ProfessionalID: "p-care", Now: t0})
	must(t, err)

	// The lead is removed and nobody takes over.
	removed := t0.Add(time.Hour)
	must(t, s.CareTeamMemberRemove(ctx(), store.CareTeamMemberRemoveParams{HouseholdID: "h1", ProfessionalID: "p-care", Now: removed}))
	v := version(t, s, "h1")
	lead, sv := scheduleLead(t, s, "s-lead")
	equal(t, "the removed lead's schedule has no lead (the household's)", lead, "")
	equal(t, "and syncs with the change", sv, v)
	lead, _ = scheduleLead(t, s, "s-colleague")
	equal(t, "another member's schedule keeps its lead", lead, "p-colleague")
	a := getAlert(t, s, "al-open")
	if a.LeadID != "" || a.OrganizationID != "org-1" || a.Step != 0 || a.NextStepAt == nil || !a.NextStepAt.Equal(removed) || !a.Open() {
		t.Errorf("open alert after its lead left = %+v, want no lead, due for escalation at once", *a)
	}
	equal(t, "an acknowledged alert keeps its lead", getAlert(t, s, "al-done").LeadID, "p-care")
	equalIDs(t, "the removed lead's unsent push is cancelled", pushesOf(t, s, "al-open#0"), []string{"tok-care:cancelled"})
	equalIDs(t, "the re-routing is recorded", noticeIDs(t, s, "al-open"), []string{"al-open#0", store.AlertRerouteNoticeID("al-open", v)})
	equal(t, "with nobody to push to", len(pushesOf(t, s, store.AlertRerouteNoticeID("al-open", v))), 0)
	// Escalation takes the lead-less alert up at once.
	var claimed []string
	_, err = s.AlertEscalate(ctx(), store.AlertEscalateParams{Now: removed, Limit: 10, Step: func(a store.Alert) store.AlertStep {
		claimed = append(claimed, a.ID+"/"+a.LeadID)
		return store.AlertStep{Step: a.Step, NextStepAt: a.NextStepAt}
	}})
	must(t, err)
	equalIDs(t, "claimed by escalation at once", claimed, []string{"al-open/"})

	// Raised now, an urgent alert of the removed lead's schedule goes to no one who left.
	none := raiseUrgent(t, s, "al-none", "s-lead", removed)
	equal(t, "lead of an alert raised without a lead", none.LeadID, "")
	equal(t, "its pushes", len(pushesOf(t, s, "al-none#0")), 0)
	// Detection of a schedule whose lead left (stale data) does not remind them either.
	due := removed.Add(time.Hour)
	_, err = s.ScheduleUpsert(ctx(), store.ScheduleUpsertParams{Now: removed, Schedule: store.Schedule{ID: "s-stale",
		HouseholdID: "h1", Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00", Channel: "visit",
		LeadProfessionalID: "p-care", StartDate: "2026-03-01", NextDueAt: &due, OverdueAt: &due, OpensAt: &removed}})
	must(t, err)
	_, raised, err := s.ReminderDetect(ctx(), store.ReminderDetectParams{Now: due, Limit: 10, Advance: nextDay(due)})
	must(t, err)
	equal(t, "raised", raised, 1)
	stale := getAlert(t, s, "al-s-stale")
	equal(t, "a detected alert's lead who left is not kept", stale.LeadID, "")
	equal(t, "but their organization's policy and on-call still apply", stale.OrganizationID, "org-1")
	equal(t, "and not pushed to", len(pushesOf(t, s, "al-s-stale#0")), 0)

	// A new lead takes over every open alert that has none, with a push of its own.
	took := removed.Add(2 * time.Hour)
	setMember(t, s, "p-colleague", true, took)
	v = version(t, s, "h1")
	for _, id := range []string{"al-open", "al-none", "al-s-stale"} {
		a := getAlert(t, s, id)
		equal(t, "lead of "+id+" after a new lead", a.LeadID, "p-colleague")
		equal(t, "organization of "+id, a.OrganizationID, "org-2")
		equalIDs(t, "the new lead's push of "+id, pushesOf(t, s, store.AlertRerouteNoticeID(id, v)), []string{"tok-colleague:pending"})
	}
	items, err := s.OutboxList(ctx(), store.AlertRerouteNoticeID("al-open", v))
	must(t, err)
	if p := items[0]; p.Kind != store.PushKindAlert || p.Ref != "al-open" || !p.Urgent {
		t.Errorf("re-routed push = %+v", *p)
	}
	equal(t, "the acknowledged alert is left alone", getAlert(t, s, "al-done").LeadID, "p-care")
	lead, _ = scheduleLead(t, s, "s-lead")
	equal(t, "a schedule without a lead keeps meaning the household's", lead, "")
	// And an urgent alert of that schedule now goes to the household's lead.
	later := raiseUrgent(t, s, "al-later", "s-lead", took)
	equal(t, "urgent raise after the change goes to the current lead", later.LeadID, "p-colleague")
	equalIDs(t, "its push", pushesOf(t, s, "al-later#0"), []string{"tok-colleague:pending"})
	// Nothing of it ever reached the removed lead's device again.
	for _, id := range []string{"al-none", "al-s-stale", "al-later"} {
		for _, n := range noticeIDs(t, s, id) {
			for _, p := range pushesOf(t, s, n) {
				if strings.HasPrefix(p, "tok-care:") {
					t.Errorf("notice %s pushes to the removed lead: %s", n, p)
				}
			}
		}
	}
	_, err = s.AlertRaise(ctx(), store.AlertRaiseParams{Now: took, Alert: store.Alert{ID: "al-x", Kind: store.AlertUrgent,
		HouseholdID: "h1", ScheduleID: "s-missing"}})
	wantErr(t, err, store.ErrNotFound)
}

func testRerouteReplaceLead(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	register(t, s, "tok-care", "p-care")
	register(t, s, "tok-colleague", "p-colleague")
	setMember(t, s, "p-care", true, t0)
	setMember(t, s, "p-colleague", false, t0)
	ledSchedule(t, s, "s-a", "p-care")
	ledSchedule(t, s, "s-b", "p-colleague")
	raiseUrgent(t, s, "al-pending", "s-a", t0)
	raiseUrgent(t, s, "al-sent", "s-a", t0)
	// al-sent's push went out before the change; al-pending's did not.
	items, err := s.OutboxList(ctx(), "al-sent#0")
	must(t, err)
	must(t, s.OutboxComplete(ctx(), store.OutboxCompleteParams{Now: t0, Results: []store.OutboxResult{{NoticeID: "al-sent#0",
		Token: "tok-care", Attempt: items[0].Attempts, Status: store.OutboxDelivered}}}))
	stepAt := getAlert(t, s, "al-pending").NextStepAt

	// A → B: the lead flag moves; A stays in the care team.
	moved := t0.Add(time.Hour)
	setMember(t, s, "p-colleague", true, moved)
	v := version(t, s, "h1")
	lead, sv := scheduleLead(t, s, "s-a")
	equal(t, "the former lead's schedule moves to the new lead", lead, "p-colleague")
	equal(t, "and syncs with the change", sv, v)
	lead, _ = scheduleLead(t, s, "s-b")
	equal(t, "the new lead's schedule", lead, "p-colleague")
	for _, id := range []string{"al-pending", "al-sent"} {
		a := getAlert(t, s, id)
		equal(t, "lead of "+id, a.LeadID, "p-colleague")
		equal(t, "organization of "+id, a.OrganizationID, "org-2")
		equalIDs(t, "the new lead's push of "+id, pushesOf(t, s, store.AlertRerouteNoticeID(id, v)), []string{"tok-colleague:pending"})
	}
	if a := getAlert(t, s, "al-pending"); a.NextStepAt == nil || !a.NextStepAt.Equal(*stepAt) {
		t.Errorf("next step of a re-routed alert = %v, want %v (a change of staff does not delay escalation)", a.NextStepAt, stepAt)
	}
	equalIDs(t, "the former lead's unsent push", pushesOf(t, s, "al-pending#0"), []string{"tok-care:cancelled"})
	equalIDs(t, "a push that went out stays as it was", pushesOf(t, s, "al-sent#0"), []string{"tok-care:delivered"})
	items, err = s.OutboxList(ctx(), "al-pending#0")
	must(t, err)
	if it := items[0]; it.FinishedAt == nil || !it.FinishedAt.Equal(moved) || it.LastError == "" {
		t.Errorf("cancelled push = %+v", *it)
	}
	// An urgent raise by the former lead's schedule goes to the current lead; a lead named
	// explicitly who is in the care team is kept.
	equal(t, "urgent raise after the change", raiseUrgent(t, s, "al-after", "s-a", moved).LeadID, "p-colleague")
	_, err = s.AlertRaise(ctx(), store.AlertRaiseParams{Now: moved, Alert: store.Alert{ID: "al-named", Kind: store.AlertUrgent,
		HouseholdID: "h1", LeadID: "p-care"}})
	must(t, err)
	equal(t, "a named lead in the care team", getAlert(t, s, "al-named").LeadID, "p-care")

	// A member who is not the lead joining changes no alert's lead.
	setMember(t, s, "p-super", false, moved)
	equal(t, "notices of al-pending after a member joins", len(noticeIDs(t, s, "al-pending")), 2)

	// B → A again: a new notice per change, and B's unsent re-route push is cancelled.
	back := moved.Add(time.Hour)
	setMember(t, s, "p-care", true, back)
	v2 := version(t, s, "h1")
	a := getAlert(t, s, "al-pending")
	equal(t, "lead after moving back", a.LeadID, "p-care")
	equalIDs(t, "notices of al-pending", noticeIDs(t, s, "al-pending"),
		[]string{"al-pending#0", store.AlertRerouteNoticeID("al-pending", v), store.AlertRerouteNoticeID("al-pending", v2)})
	equalIDs(t, "the replaced lead's re-route push", pushesOf(t, s, store.AlertRerouteNoticeID("al-pending", v)), []string{"tok-colleague:cancelled"})
	equalIDs(t, "the lead's again", pushesOf(t, s, store.AlertRerouteNoticeID("al-pending", v2)), []string{"tok-care:pending"})
	lead, _ = scheduleLead(t, s, "s-b")
	equal(t, "s-b, led by the lead who stepped down, moves too", lead, "p-care")
	equal(t, "al-named was led by the new lead already", len(noticeIDs(t, s, "al-named")), 1)
}
