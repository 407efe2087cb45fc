package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// remindersTests are the scheduler's storage rules; Exercise runs them on every engine.
var remindersTests = []struct {
	name string
	run  func(*testing.T, *store.DB)
}{
	{"reminders: devices", testDevices},
	{"reminders: concurrent registrations of one token: one wins", testDevicesConcurrent},
	{"reminders: escalation policies and supervisors", testPolicies},
	{"reminders: a missed occurrence is noticed once and pushed to the lead", testDetect},
	{"reminders: a check-in satisfies the occurrence and stops the chain", testDetectCheckIn},
	{"reminders: escalation reaches supervisors, then on-call", testEscalate},
	{"reminders: concurrent detectors notice each occurrence once", testDetectConcurrent},
	{"reminders: the outbox leases, fences and cleans up tokens", testOutbox},
	{"reminders: digests count and are made once", testDigest},
	{"reminders: every household write pokes the devices that may see it", testSyncPokes},
	{"reminders: removing the lead re-routes schedules and open alerts", testRerouteRemoveLead},
	{"reminders: replacing the lead re-routes schedules, open alerts and unsent pushes", testRerouteReplaceLead},
	{"devices: records are registered, refreshed and revoked for good", testDeviceRecords},
	{"devices: disabling a professional revokes their devices and ends their care teams", testProfessionalDisable},
	{"family links", testLinks},
	{"family links: a form token is spent once across replicas, with its answer", testFormTokenSpends},
}

// tp is a time pointer.
func tp(t time.Time) *time.Time { return &t }

// dueSchedule stores a schedule whose current occurrence is due at due and overdue at
// overdue, opened at opens.
func dueSchedule(t testing.TB, s *store.DB, id, household string, due, overdue, opens time.Time) {
	t.Helper()
	_, err := s.ScheduleUpsert(ctx(), store.ScheduleUpsertParams{Now: t0, Schedule: store.Schedule{ID: id, HouseholdID: household,
		Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00", GraceMinutes: 60, Channel: "visit",
		LeadProfessionalID: "p-care", StartDate: "2026-03-01", NextDueAt: &due, OverdueAt: &overdue, OpensAt: &opens}})
	must(t, err)
}

// nextDay is an Advance that moves a schedule one day on and raises alert "al-<id>" when
// the occurrence was not satisfied.
func nextDay(now time.Time) func(store.DueSchedule) store.ScheduleAdvance {
	return func(d store.DueSchedule) store.ScheduleAdvance {
		next, overdue := d.Schedule.NextDueAt.Add(24*time.Hour), d.Schedule.OverdueAt.Add(24*time.Hour)
		adv := store.ScheduleAdvance{NextDueAt: &next, OverdueAt: &overdue}
		if !d.Satisfied {
			adv.AlertID, adv.NextStepAt = "al-"+d.Schedule.ID, &now
		}
		return adv
	}
}

// ledHousehold creates a household whose care team is p-care, its lead: alerts go only to
// members of the care team.
func ledHousehold(t testing.TB, s *store.DB, id, team string) {
	t.Helper()
	createHousehold(t, s, id, team)
	must(t, s.CareTeamMemberSet(ctx(), store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: id,
		ProfessionalID: "p-care", Lead: true}, Now: t0}))
}

func register(t testing.TB, s *store.DB, token, professional string) {
	t.Helper()
	must(t, s.DeviceRegister(ctx(), store.Device{Token: token, ProfessionalID: professional, Platform: "android", UpdatedAt: t0}))
}

func tokens(items []*store.OutboxItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Token
	}
	return out
}

func testDevices(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	register(t, s, "tok-b", "p-care")
	register(t, s, "tok-a", "p-care")
	// Registering one's own token again is idempotent, and refreshes platform and time.
	later := t0.Add(time.Hour)
	must(t, s.DeviceRegister(ctx(), store.Device{Token: "tok-a", ProfessionalID: "p-care", Platform: "ios", UpdatedAt: later}))
	list, err := s.DeviceListByProfessional(ctx(), "p-care")
	must(t, err)
	equalIDs(t, "devices", ids(list, func(d *store.Device) string { return d.Token }), []string{"tok-a", "tok-b"})
	if len(list) == 2 {
		equal(t, "re-registered platform", list[0].Platform, "ios")
		equal(t, "re-registered updated at", list[0].UpdatedAt, later)
	}

	// Another professional's token is refused, not moved: its holder keeps its pushes.
	err = s.DeviceRegister(ctx(), store.Device{Token: "tok-b", ProfessionalID: "p-super", Platform: "ios", UpdatedAt: later})
	wantErr(t, err, store.ErrConflict)
	var held *store.DeviceHeldError
	if !errors.As(err, &held) || held.HolderID != "p-care" || held.ProfessionalID != "p-super" {
		t.Errorf("refusal = %#v, want a *store.DeviceHeldError naming holder p-care and caller p-super", err)
	}
	stolen, err := s.DeviceListByProfessional(ctx(), "p-super")
	must(t, err)
	equal(t, "devices of the refused professional", len(stolen), 0)
	list, err = s.DeviceListByProfessional(ctx(), "p-care")
	must(t, err)
	if len(list) != 2 || list[1].Token != "tok-b" || list[1].Platform != "android" || !list[1].UpdatedAt.Equal(t0) {
		t.Errorf("the holder's token after a refused takeover = %+v, want tok-b unchanged (android, %v)", deref(list), t0)
	}

	must(t, s.DeviceUnregister(ctx(), "p-super", "tok-b")) // p-care's: left alone, no error
	must(t, s.DeviceUnregister(ctx(), "p-care", "tok-unknown"))
	list, err = s.DeviceListByProfessional(ctx(), "p-care")
	must(t, err)
	equalIDs(t, "another professional's token is not removed", ids(list, func(d *store.Device) string { return d.Token }), []string{"tok-a", "tok-b"})
	must(t, s.DeviceUnregister(ctx(), "p-care", "tok-a"))
	must(t, s.DeviceUnregister(ctx(), "p-care", "tok-b"))
	list, err = s.DeviceListByProfessional(ctx(), "p-care")
	must(t, err)
	equal(t, "devices left", len(list), 0)
	// An unregistered token is free again: anyone may register it.
	register(t, s, "tok-b", "p-super")
}

// testDevicesConcurrent registers one new token for several professionals at once, many
// times: exactly one becomes its holder each time, and every other registration is refused.
func testDevicesConcurrent(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	people := []string{"p-care", "p-colleague", "p-super", "p-other-super"}
	for round := range 5 {
		token := fmt.Sprintf("tok-race-%d", round)
		errs := make([]error, len(people))
		var wg sync.WaitGroup
		for i, p := range people {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.DeviceRegister(ctx(), store.Device{Token: token, ProfessionalID: p, Platform: "android", UpdatedAt: t0})
			}()
		}
		wg.Wait()
		winner := ""
		for i, err := range errs {
			switch {
			case err == nil && winner != "":
				t.Errorf("round %d: %s and %s both registered the token", round, winner, people[i])
			case err == nil:
				winner = people[i]
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("round %d: %s: %v, want ErrConflict", round, people[i], err)
			}
		}
		if winner == "" {
			t.Fatalf("round %d: nobody registered the token: %v", round, errs)
		}
		for i, p := range people {
			list, err := s.DeviceListByProfessional(ctx(), p)
			must(t, err)
			if holds := slices.Contains(ids(list, func(d *store.Device) string { return d.Token }), token); holds != (p == winner) {
				t.Errorf("round %d: %s holds the token: %v; the winner is %s", round, p, holds, winner)
			}
			var held *store.DeviceHeldError
			if errs[i] != nil && (!errors.As(errs[i], &held) || held.HolderID != winner) {
				t.Errorf("round %d: %s's refusal %v does not name the holder %s", round, p, errs[i], winner)
			}
		}
	}
}

func testDetect(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	ledHousehold(t, s, "h1", "team-north")
	register(t, s, "tok-care-1", "p-care")
	register(t, s, "tok-care-2", "p-care")
	register(t, s, "tok-super", "p-super")
	due := t0.Add(10 * time.Hour)
	dueSchedule(t, s, "s1", "h1", due, due.Add(time.Hour), t0)
	dueSchedule(t, s, "s-later", "h1", due.Add(48*time.Hour), due.Add(49*time.Hour), t0)
	paused := store.Schedule{ID: "s-paused", HouseholdID: "h1", Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00",
		Channel: "visit", LeadProfessionalID: "p-care", StartDate: "2026-03-01", Paused: true}
	_, err := s.ScheduleUpsert(ctx(), store.ScheduleUpsertParams{Schedule: paused, Now: t0})
	must(t, err)

	now := due.Add(2 * time.Hour)
	claimed, raised, err := s.ReminderDetect(ctx(), store.ReminderDetectParams{Now: now, Limit: 10, Advance: nextDay(now)})
	must(t, err)
	equal(t, "claimed", claimed, 1)
	equal(t, "raised", raised, 1)
	a, err := s.AlertGet(ctx(), "al-s1")
	must(t, err)
	if a.Kind != store.AlertOverdue || a.HouseholdID != "h1" || a.TeamID != "team-north" || a.OrganizationID != "org-1" ||
		a.LeadID != "p-care" || !a.DueAt.Equal(due) || a.Step != 0 || a.NextStepAt == nil || !a.NextStepAt.Equal(now) || !a.Open() {
		t.Errorf("alert = %+v", *a)
	}
	notices, err := s.NoticeList(ctx(), "al-s1")
	must(t, err)
	equalIDs(t, "notices", ids(notices, func(n *store.Notice) string { return n.ID }), []string{"al-s1#0"})
	pushes, err := s.OutboxList(ctx(), "al-s1#0")
	must(t, err)
	equalIDs(t, "pushes to the lead's devices", tokens(pushes), []string{"tok-care-1", "tok-care-2"})
	if p := pushes[0]; p.Kind != "alert" || p.Ref != "al-s1" || p.Status != store.OutboxPending || p.Attempts != 0 {
		t.Errorf("push = %+v", *p)
	}
	sc, err := s.ScheduleGet(ctx(), "s1")
	must(t, err)
	if !sc.NextDueAt.Equal(due.Add(24*time.Hour)) || !sc.OpensAt.Equal(due.Add(time.Hour)) {
		t.Errorf("advanced schedule: next %v opens %v", sc.NextDueAt, sc.OpensAt)
	}

	claimed, _, err = s.ReminderDetect(ctx(), store.ReminderDetectParams{Now: now, Limit: 10, Advance: nextDay(now)})
	must(t, err)
	equal(t, "nothing is due twice", claimed, 0)

	// Raising the same alert again (a replica that decided it a second time) notices nothing.
	dueSchedule(t, s, "s1", "h1", due, due.Add(time.Hour), t0)
	_, raised, err = s.ReminderDetect(ctx(), store.ReminderDetectParams{Now: now, Limit: 10, Advance: nextDay(now)})
	must(t, err)
	equal(t, "an occurrence is raised once", raised, 0)
	notices, err = s.NoticeList(ctx(), "al-s1")
	must(t, err)
	equal(t, "notices after a repeat", len(notices), 1)
}

func testDetectCheckIn(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	createHousehold(t, s, "h2", "team-north")
	due := t0.Add(10 * time.Hour)
	dueSchedule(t, s, "s1", "h1", due, due.Add(time.Hour), t0)
	dueSchedule(t, s, "s2", "h2", due, due.Add(time.Hour), t0)
	// h1 was checked; h2 only got a "no contact", which confirms nothing.
	_, err := s.CheckInAppend(ctx(), change.CheckIn{ID: "c1", HouseholdID: "h1", Channel: "phone", Outcome: "safe", RecordedAt: due.Add(-time.Hour)})
	must(t, err)
	_, err = s.CheckInAppend(ctx(), change.CheckIn{ID: "c2", HouseholdID: "h2", Channel: "phone", Outcome: "no_contact", RecordedAt: due})
	must(t, err)
	now := due.Add(2 * time.Hour)
	claimed, raised, err := s.ReminderDetect(ctx(), store.ReminderDetectParams{Now: now, Limit: 10, Advance: nextDay(now)})
	must(t, err)
	equal(t, "claimed", claimed, 2)
	equal(t, "raised (only the unchecked household)", raised, 1)
	_, err = s.AlertGet(ctx(), "al-s1")
	wantErr(t, err, store.ErrNotFound)

	// A check-in that arrives later (a phone back online) stops the chain.
	_, err = s.CheckInAppend(ctx(), change.CheckIn{ID: "c3", HouseholdID: "h2", Channel: "visit", Outcome: "safe", RecordedAt: now.Add(time.Minute)})
	must(t, err)
	a, err := s.AlertGet(ctx(), "al-s2")
	must(t, err)
	if a.Open() || a.NextStepAt != nil || a.AcknowledgedBy != "check-in" {
		t.Errorf("alert after check-in = %+v", *a)
	}
	// The late check-in counts for the next occurrence of h2, which opened at the claimed one's
	// overdue instant.
	next := now.Add(24 * time.Hour)
	_, raised, err = s.ReminderDetect(ctx(), store.ReminderDetectParams{Now: next, Limit: 10, Advance: nextDay(next)})
	must(t, err)
	equal(t, "raised for h1 only (its check-in was for the previous occurrence)", raised, 1)
	_, err = s.AlertGet(ctx(), "al-s1")
	must(t, err)
}

func testEscalate(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	ledHousehold(t, s, "h1", "team-north")
	register(t, s, "tok-care", "p-care")
	register(t, s, "tok-super", "p-super")
	register(t, s, "tok-other-super", "p-other-super")
	register(t, s, "tok-oncall", "p-admin")
	register(t, s, "tok-colleague", "p-colleague")
	raised, err := s.AlertRaise(ctx(), store.AlertRaiseParams{Now: t0, Alert: store.Alert{ID: "al-u", Kind: store.AlertUrgent,
		HouseholdID: "h1", LeadID: "p-care", NextStepAt: tp(t0)}})
	must(t, err)
	equal(t, "raised", raised, true)
	raised, err = s.AlertRaise(ctx(), store.AlertRaiseParams{Now: t0, Alert: store.Alert{ID: "al-u", Kind: store.AlertUrgent,
		HouseholdID: "h1", LeadID: "p-care", NextStepAt: tp(t0)}})
	must(t, err)
	equal(t, "raised twice", raised, false)
	pushes, err := s.OutboxList(ctx(), "al-u#0")
	must(t, err)
	equalIDs(t, "step 0 pushes", tokens(pushes), []string{"tok-care"})
	equal(t, "an urgent alert's push is urgent", pushes[0].Urgent, true)

	steps := []store.AlertStep{
		{Step: 0, NextStepAt: tp(t0.Add(time.Minute))}, // not yet: only the time moves
		{Step: 1, Supervisors: true, NextStepAt: tp(t0.Add(2 * time.Minute))},
		{Step: 2, ProfessionalIDs: []string{"p-admin"}},
	}
	for i, st := range steps {
		now := t0.Add(time.Duration(i) * time.Minute)
		n, err := s.AlertEscalate(ctx(), store.AlertEscalateParams{Now: now, Limit: 10, Step: func(store.Alert) store.AlertStep { return st }})
		must(t, err)
		equal(t, fmt.Sprintf("claimed at step %d", i), n, 1)
	}
	n, err := s.AlertEscalate(ctx(), store.AlertEscalateParams{Now: t0.Add(time.Hour), Limit: 10,
		Step: func(store.Alert) store.AlertStep {
			t.Error("an alert at the end of its chain was claimed")
			return store.AlertStep{}
		}})
	must(t, err)
	equal(t, "claimed after the chain ended", n, 0)
	notices, err := s.NoticeList(ctx(), "al-u")
	must(t, err)
	equalIDs(t, "notices", ids(notices, func(n *store.Notice) string { return n.ID }), []string{"al-u#0", "al-u#1", "al-u#2"})
	pushes, err = s.OutboxList(ctx(), "al-u#1")
	must(t, err)
	equalIDs(t, "step 1 reaches the team's supervisors only", tokens(pushes), []string{"tok-super"})
	pushes, err = s.OutboxList(ctx(), "al-u#2")
	must(t, err)
	equalIDs(t, "step 2 reaches the on-call", tokens(pushes), []string{"tok-oncall"})

	// Acknowledging stops a chain, and the first acknowledgement is kept.
	_, err = s.AlertRaise(ctx(), store.AlertRaiseParams{Now: t0, Alert: store.Alert{ID: "al-v", Kind: store.AlertUrgent,
		HouseholdID: "h1", LeadID: "p-care", NextStepAt: tp(t0)}})
	must(t, err)
	a, err := s.AlertAcknowledge(ctx(), store.AlertAcknowledgeParams{ID: "al-v", ProfessionalID: "p-care", Now: t0.Add(time.Second)})
	must(t, err)
	_, err = s.AlertAcknowledge(ctx(), store.AlertAcknowledgeParams{ID: "al-v", ProfessionalID: "p-super", Now: t0.Add(time.Hour)})
	must(t, err)
	a, err = s.AlertGet(ctx(), "al-v")
	must(t, err)
	if a.Open() || a.AcknowledgedBy != "p-care" || !a.AcknowledgedAt.Equal(t0.Add(time.Second)) || a.NextStepAt != nil {
		t.Errorf("acknowledged alert = %+v", *a)
	}
	// An urgent alert is not acknowledged by an ordinary check-in.
	_, err = s.AlertRaise(ctx(), store.AlertRaiseParams{Now: t0, Alert: store.Alert{ID: "al-w", Kind: store.AlertUrgent,
		HouseholdID: "h1", LeadID: "p-care", NextStepAt: tp(t0)}})
	must(t, err)
	_, err = s.CheckInAppend(ctx(), change.CheckIn{ID: "c1", HouseholdID: "h1", Channel: "visit", Outcome: "safe", RecordedAt: t0.Add(time.Minute)})
	must(t, err)
	a, err = s.AlertGet(ctx(), "al-w")
	must(t, err)
	equal(t, "urgent alert open after a check-in", a.Open(), true)
	_, err = s.AlertAcknowledge(ctx(), store.AlertAcknowledgeParams{ID: "al-missing", ProfessionalID: "p-care", Now: t0})
	wantErr(t, err, store.ErrNotFound)
	list, err := s.AlertListByHousehold(ctx(), "h1", 10)
	must(t, err)
	equal(t, "alerts of h1", len(list), 3)
}

func testDetectConcurrent(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	const households, perHousehold = 10, 20
	due := t0.Add(10 * time.Hour)
	for h := range households {
		ledHousehold(t, s, fmt.Sprintf("h%d", h), "team-north")
		for i := range perHousehold {
			dueSchedule(t, s, fmt.Sprintf("s%d-%d", h, i), fmt.Sprintf("h%d", h), due, due.Add(time.Hour), t0)
		}
	}
	register(t, s, "tok-care", "p-care")
	now := due.Add(2 * time.Hour)
	var (
		wg             sync.WaitGroup
		mu             sync.Mutex
		claimed, alert int
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, r, err := s.ReminderDetect(ctx(), store.ReminderDetectParams{Now: now, Limit: 7, Advance: nextDay(now)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				claimed, alert = claimed+c, alert+r
				mu.Unlock()
				if c == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	equal(t, "schedules claimed over all detectors", claimed, households*perHousehold)
	equal(t, "alerts raised over all detectors", alert, households*perHousehold)
	for h := range households {
		for i := range perHousehold {
			id := fmt.Sprintf("al-s%d-%d", h, i)
			pushes, err := s.OutboxList(ctx(), id+"#0")
			must(t, err)
			equal(t, "pushes of "+id, len(pushes), 1)
		}
	}
}

func testOutbox(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	ledHousehold(t, s, "h1", "team-north")
	for _, tok := range []string{"tok-1", "tok-2", "tok-3", "tok-4"} {
		register(t, s, tok, "p-care")
	}
	_, err := s.AlertRaise(ctx(), store.AlertRaiseParams{Now: t0, Alert: store.Alert{ID: "al-1", Kind: store.AlertOverdue, HouseholdID: "h1", LeadID: "p-care"}})
	must(t, err)
	claim := func(now time.Time, limit int) []*store.OutboxItem {
		t.Helper()
		items, err := s.OutboxClaim(ctx(), store.OutboxClaimParams{Now: now, Limit: limit, Lease: time.Minute})
		must(t, err)
		return items
	}
	first := claim(t0, 3)
	equal(t, "claimed", len(first), 3)
	equal(t, "attempt", first[0].Attempts, 1)
	second := claim(t0.Add(time.Second), 10)
	equalIDs(t, "a leased push is not claimed again", tokens(second), []string{"tok-4"})
	// The first claimer dies; after the lease another replica takes its pushes.
	third := claim(t0.Add(2*time.Minute), 10)
	equal(t, "claimed after the lease", len(third), 4)
	byToken := map[string]*store.OutboxItem{}
	for _, it := range third {
		byToken[it.Token] = it
	}
	results := []store.OutboxResult{
		{NoticeID: "al-1#0", Token: "tok-1", Attempt: byToken["tok-1"].Attempts, Status: store.OutboxDelivered},
		{NoticeID: "al-1#0", Token: "tok-2", Attempt: byToken["tok-2"].Attempts, Status: store.OutboxUnregistered, Reason: "UNREGISTERED"},
		{NoticeID: "al-1#0", Token: "tok-3", Attempt: byToken["tok-3"].Attempts, Status: store.OutboxPending, Reason: "UNAVAILABLE",
			NextAttemptAt: t0.Add(10 * time.Minute)},
		{NoticeID: "al-1#0", Token: "tok-4", Attempt: byToken["tok-4"].Attempts, Status: store.OutboxFailed, Reason: "INVALID_ARGUMENT"},
	}
	// A late outcome from the dead replica (an older attempt) is ignored.
	must(t, s.OutboxComplete(ctx(), store.OutboxCompleteParams{Now: t0.Add(3 * time.Minute), Results: []store.OutboxResult{
		{NoticeID: "al-1#0", Token: "tok-1", Attempt: first[0].Attempts, Status: store.OutboxFailed, Reason: "stale"}}}))
	must(t, s.OutboxComplete(ctx(), store.OutboxCompleteParams{Now: t0.Add(3 * time.Minute), Results: results}))
	items, err := s.OutboxList(ctx(), "al-1#0")
	must(t, err)
	got := map[string]string{}
	for _, it := range items {
		got[it.Token] = it.Status + "/" + it.LastError
	}
	want := map[string]string{"tok-1": "delivered/", "tok-2": "unregistered/UNREGISTERED", "tok-3": "pending/UNAVAILABLE", "tok-4": "failed/INVALID_ARGUMENT"}
	if !mapsEqual(got, want) {
		t.Errorf("outcomes = %v, want %v", got, want)
	}
	devices, err := s.DeviceListByProfessional(ctx(), "p-care")
	must(t, err)
	equalIDs(t, "an unregistered token is removed", ids(devices, func(d *store.Device) string { return d.Token }), []string{"tok-1", "tok-3", "tok-4"})
	equal(t, "a retry waits for its time", len(claim(t0.Add(9*time.Minute), 10)), 0)
	equalIDs(t, "a retry is claimed at its time", tokens(claim(t0.Add(10*time.Minute), 10)), []string{"tok-3"})
}

func testDigest(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	createHousehold(t, s, "h2", "team-south")
	register(t, s, "tok-super", "p-super")
	register(t, s, "tok-other", "p-other-super")
	slot := t0.Add(8 * time.Hour)
	for _, a := range []store.Alert{
		{ID: "al-1", Kind: store.AlertOverdue, HouseholdID: "h1", LeadID: "p-care"},
		{ID: "al-2", Kind: store.AlertOverdue, HouseholdID: "h1", LeadID: "p-care"},
		{ID: "al-3", Kind: store.AlertUrgent, HouseholdID: "h1", LeadID: "p-care"},
		{ID: "al-4", Kind: store.AlertOverdue, HouseholdID: "h1", LeadID: "p-care"},
	} {
		_, err := s.AlertRaise(ctx(), store.AlertRaiseParams{Now: t0, Alert: a})
		must(t, err)
	}
	_, err := s.AlertAcknowledge(ctx(), store.AlertAcknowledgeParams{ID: "al-4", ProfessionalID: "p-care", Now: t0})
	must(t, err)
	for i, outcome := range []string{"concerns", "unsafe", "safe", "concerns"} {
		at := t0.Add(time.Duration(i+1) * time.Hour)
		if i == 3 {
			at = slot.Add(time.Minute) // after the slot: the next digest's
		}
		_, err := s.CheckInAppend(ctx(), change.CheckIn{ID: fmt.Sprintf("c%d", i), HouseholdID: "h1", Channel: "visit", Outcome: outcome, RecordedAt: at})
		must(t, err)
	}
	// The ordinary check-ins acknowledged the overdue alerts; raise one more that stays open.
	_, err = s.AlertRaise(ctx(), store.AlertRaiseParams{Now: slot, Alert: store.Alert{ID: "al-5", Kind: store.AlertOverdue, HouseholdID: "h1", LeadID: "p-care"}})
	must(t, err)

	d, created, err := s.DigestCreate(ctx(), store.DigestCreateParams{ProfessionalID: "p-super", SlotAt: slot, Since: slot.Add(-16 * time.Hour), Now: slot})
	must(t, err)
	equal(t, "created", created, true)
	if d.Overdue != 1 || d.Escalated != 1 || d.Concerns != 2 || d.NoticeID == "" {
		t.Errorf("digest = %+v, want 1 overdue, 1 escalated (the urgent one), 2 concerns", *d)
	}
	pushes, err := s.OutboxList(ctx(), d.NoticeID)
	must(t, err)
	equalIDs(t, "digest push", tokens(pushes), []string{"tok-super"})
	if p := pushes[0]; p.Kind != "digest" || p.Counts != [3]int32{1, 1, 2} || p.Urgent {
		t.Errorf("digest push = %+v", *p)
	}
	again, created, err := s.DigestCreate(ctx(), store.DigestCreateParams{ProfessionalID: "p-super", SlotAt: slot, Since: slot.Add(-16 * time.Hour), Now: slot.Add(time.Minute)})
	must(t, err)
	equal(t, "created twice", created, false)
	equal(t, "the second call returns the first digest", *again, *d)

	quiet, created, err := s.DigestCreate(ctx(), store.DigestCreateParams{ProfessionalID: "p-other-super", SlotAt: slot, Since: slot.Add(-16 * time.Hour), Now: slot})
	must(t, err)
	if !created || quiet.NoticeID != "" || quiet.Overdue+quiet.Escalated+quiet.Concerns != 0 {
		t.Errorf("a supervisor with nothing to hear of got %+v", *quiet)
	}
}

func testPolicies(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	list, err := s.EscalationPolicyList(ctx())
	must(t, err)
	equal(t, "policies of a new database", len(list), 0)
	p := store.EscalationPolicy{ScopeID: "team-north", SupervisorAfter: 20 * time.Minute, OnCallAfter: 45 * time.Minute,
		OnCallProfessionalID: "p-admin", UpdatedAt: t0}
	must(t, s.EscalationPolicySet(ctx(), store.EscalationPolicy{ScopeID: "org-1", SupervisorAfter: time.Hour, OnCallAfter: time.Hour, UpdatedAt: t0}))
	must(t, s.EscalationPolicySet(ctx(), store.EscalationPolicy{ScopeID: "team-north", SupervisorAfter: time.Minute, UpdatedAt: t0}))
	must(t, s.EscalationPolicySet(ctx(), p)) // replaces
	list, err = s.EscalationPolicyList(ctx())
	must(t, err)
	equalIDs(t, "policies", ids(list, func(p *store.EscalationPolicy) string { return p.ScopeID }), []string{"org-1", "team-north"})
	equal(t, "replaced policy", *list[1], p)

	sups, err := s.ProfessionalListByRole(ctx(), store.RoleSupervisor)
	must(t, err)
	equalIDs(t, "supervisors", ids(sups, func(p *store.Professional) string { return p.ID }), []string{"p-other-super", "p-super"})
}

func testSyncPokes(t *testing.T, s *store.DB) {
	syncFixture(t, s)
	for tok, p := range map[string]string{"tok-care": "p-care", "tok-super": "p-super", "tok-other": "p-other-super", "tok-colleague": "p-colleague"} {
		register(t, s, tok, p)
	}
	drain := func() int {
		t.Helper()
		n, err := s.SyncPokeDrain(ctx(), store.SyncPokeDrainParams{Now: t0, Limit: 10})
		must(t, err)
		return n
	}
	drain() // the fixture's own writes
	for i := range 3 {
		_, err := s.PlanEntryUpsert(ctx(), store.PlanEntryUpsertParams{Entry: store.PlanEntry{ID: "e-poke", HouseholdID: "h1",
			Section: change.SectionAgreement, Fields: map[string]string{"text": fmt.Sprint(i)}}, UpdatedBy: "p-care", Now: t0})
		must(t, err)
	}
	equal(t, "households poked after three writes", drain(), 1)
	v := version(t, s, "h1")
	pushes, err := s.OutboxList(ctx(), fmt.Sprintf("sync:h1@%d", v))
	must(t, err)
	equalIDs(t, "poked devices: the care team and the team's supervisors, not another team's", tokens(pushes), []string{"tok-care", "tok-colleague", "tok-super"})
	if p := pushes[0]; p.Kind != "sync" || p.Urgent || p.Ref != "" {
		t.Errorf("poke = %+v", *p)
	}
	equal(t, "households poked again", drain(), 0)

	// A push from a phone pokes too.
	push(t, s, edit("m-poke", "h1", "e-poke", "dev-a", "p-care", change.SectionAgreement, fw("text", "x", 50, 0)))
	equal(t, "households poked after a sync push", drain(), 1)
}
