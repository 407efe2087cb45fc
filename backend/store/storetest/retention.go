package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// Retention: a closed household is erased once its retention period has passed, in one
// transaction with its access-log record; a reopened or open household is left alone, and an
// erased one cannot be reopened.

// fillHousehold gives household h a row in every table keyed by households: plan entries
// with a conflict and a delete, a schedule, a check-in, a link, and an urgent alert with its
// notice and push.
func fillHousehold(t *testing.T, s *store.DB, h string) {
	t.Helper()
	push(t, s, edit(h+"-m1", h, h+"-e1", "phone-a", "p-care", change.SectionCrisisContact, fw("phone", "0611", 1, 0)))
	_, err := s.SyncPush(ctx(), store.SyncPushParams{Now: t0.Add(time.Minute),
		Mutations: []change.Mutation{edit(h+"-m2", h, h+"-e1", "phone-b", "p-care", "", fw("phone", "0633", 2, 0))}})
	must(t, err)
	push(t, s, edit(h+"-m3", h, h+"-e2", "phone-a", "p-care", change.SectionAgreement, fw("what", "w1", 4, 0)))
	push(t, s, change.Mutation{ID: h + "-m4", HouseholdID: h, DeviceID: "phone-a", ProfessionalID: "p-care", Kind: change.KindDelete,
		RecordID: h + "-e2", Stamp: stamp(5), Seen: stamp(4)})
	_, err = s.ScheduleUpsert(ctx(), store.ScheduleUpsertParams{Now: t0, Schedule: store.Schedule{ID: h + "-s1", HouseholdID: h,
		Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00", Channel: "visit", LeadProfessionalID: "p-care",
		StartDate: "2026-03-01"}})
	must(t, err)
	_, err = s.CheckInAppend(ctx(), change.CheckIn{ID: h + "-c1", HouseholdID: h, ScheduleID: h + "-s1", Channel: "home_visit",
		Outcome: change.CheckInSafe, RecordedBy: "p-care", RecordedAt: t0})
	must(t, err)
	must(t, s.LinkCreate(ctx(), store.Link{ID: h + "-l1", TokenHash: h + "-hash", HouseholdID: h, ScheduleID: h + "-s1",
		CreatedBy: "p-care", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	at := t0
	raised, err := s.AlertRaise(ctx(), store.AlertRaiseParams{Now: t0, Alert: store.Alert{ID: h + "-al", Kind: store.AlertUrgent,
		HouseholdID: h, ScheduleID: h + "-s1", NextStepAt: &at}})
	must(t, err)
	equal(t, "raised", raised, true)
	must(t, s.AuditAppend(ctx(), []store.AuditEvent{{ID: h + "-read", At: t0, ProfessionalID: "p-care",
		Action: "household.read", ObjectKind: "household", ObjectID: h, HouseholdID: h}}))
}

// householdRows counts household h's rows by kind, as the store reads them.
func householdRows(t *testing.T, s *store.DB, h string) string {
	t.Helper()
	f := readFile(t, s, h)
	alerts, err := s.AlertListByHousehold(ctx(), h, 100)
	must(t, err)
	links, err := s.LinkListByHousehold(ctx(), h)
	must(t, err)
	notices := len(noticeIDs(t, s, h+"-al"))
	pushes := len(pushesOf(t, s, h+"-al#0"))
	return fmt.Sprintf("entries=%d writes=%d deletes=%d conflicts=%d care=%d schedules=%d checkins=%d links=%d alerts=%d notices=%d pushes=%d",
		len(f.Entries), len(f.Writes), len(f.Deletes), len(f.Conflicts), len(f.CareTeam), len(f.Schedules), len(f.CheckIns),
		len(links), len(alerts), notices, pushes)
}

func closeHousehold(t *testing.T, s *store.DB, h string, at time.Time) {
	t.Helper()
	must(t, s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error { return tx.HouseholdClose(ctx, h, "p-admin", at) }))
}

func testRetention(t *testing.T, s *store.DB) {
	syncFixture(t, s)
	createHousehold(t, s, "h3", "team-north")
	must(t, s.CareTeamMemberSet(ctx(), store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: "h3",
		ProfessionalID: "p-care", Lead: true}, Now: t0}))
	register(t, s, "tok-care", "p-care")
	for _, h := range []string{"h1", "h2", "h3"} {
		fillHousehold(t, s, h)
	}
	full := householdRows(t, s, "h2")
	equal(t, "a filled household", full,
		"entries=2 writes=3 deletes=1 conflicts=1 care=1 schedules=1 checkins=1 links=1 alerts=1 notices=1 pushes=1")
	before := map[string]string{"h1": householdRows(t, s, "h1"), "h2": full, "h3": householdRows(t, s, "h3")}

	const retention = 1000 * time.Hour
	closed := t0.Add(time.Hour)
	closeHousehold(t, s, "h1", closed)
	closeHousehold(t, s, "h3", closed)
	// h3 is reopened before its retention ends: it is not erased, then or later.
	must(t, s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error {
		return tx.HouseholdReopen(ctx, "h3", closed.Add(time.Minute))
	}))

	erase := func(now time.Time) int {
		t.Helper()
		n, err := s.HouseholdEraseExpired(ctx(), store.HouseholdEraseParams{Retention: retention, Now: now, MaxHouseholds: 50})
		must(t, err)
		return n
	}
	_, err := s.HouseholdEraseExpired(ctx(), store.HouseholdEraseParams{Retention: 0, Now: closed, MaxHouseholds: 50})
	if err == nil {
		t.Error("a zero retention was accepted")
	}
	equal(t, "erased a second before the retention ends", erase(closed.Add(retention-time.Second)), 0)
	equal(t, "h1 kept a second before", householdRows(t, s, "h1"), before["h1"])
	erasedAt := closed.Add(retention)
	equal(t, "erased when the retention ends", erase(erasedAt), 1)
	equal(t, "erased again", erase(erasedAt.Add(time.Hour)), 0)

	equal(t, "h1 after erasure", householdRows(t, s, "h1"),
		"entries=0 writes=0 deletes=0 conflicts=0 care=0 schedules=0 checkins=0 links=0 alerts=0 notices=0 pushes=0")
	for _, h := range []string{"h2", "h3"} {
		equal(t, h+" untouched", householdRows(t, s, h), before[h])
	}
	h1, err := s.HouseholdGet(ctx(), "h1")
	must(t, err)
	if h1.DisplayName != "" || h1.Code != "erased:h1" || h1.ErasedAt == nil || !h1.ErasedAt.Equal(erasedAt) || h1.ClosedAt == nil {
		t.Errorf("erased household = %+v, want a tombstone erased at %v", *h1, erasedAt)
	}
	h2, err := s.HouseholdGet(ctx(), "h2")
	must(t, err)
	equal(t, "an open household is not erased", h2.ErasedAt == nil && h2.DisplayName != "", true)

	log, err := s.AuditListByHousehold(ctx(), "h1")
	must(t, err)
	last := log[len(log)-1]
	if last.Action != store.ActionHouseholdErase || last.ActorKind != store.ActorSystem || last.ProfessionalID != store.RetentionActor ||
		last.ObjectID != "h1" || !last.At.Equal(erasedAt) || last.ChainID != "household:h1" {
		t.Errorf("last access record of h1 = %+v, want the erasure", *last)
	}
	rep, err := s.AuditVerify(ctx(), store.AuditVerifyParams{})
	must(t, err)
	equal(t, "the access log after erasure", fmt.Sprint(rep.Problems), "[]")

	err = s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error { return tx.HouseholdReopen(ctx, "h1", erasedAt) })
	wantErr(t, err, store.ErrErased)
}

// testRetentionBatches: one call erases at most its batch, oldest closing first.
func testRetentionBatches(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	for i := range 5 {
		h := fmt.Sprintf("hb%d", i)
		createHousehold(t, s, h, "team-north")
		closeHousehold(t, s, h, t0.Add(time.Duration(5-i)*time.Minute))
	}
	n, err := s.HouseholdEraseExpired(ctx(), store.HouseholdEraseParams{Retention: time.Hour, Now: t0.Add(2 * time.Hour), MaxHouseholds: 2})
	must(t, err)
	equal(t, "erased in the first batch", n, 2)
	for i := range 5 {
		h, err := s.HouseholdGet(ctx(), fmt.Sprintf("hb%d", i))
		must(t, err)
		equal(t, "erased "+h.ID, h.ErasedAt != nil, i >= 3)
	}
	n, err = s.HouseholdEraseExpired(ctx(), store.HouseholdEraseParams{Retention: time.Hour, Now: t0.Add(2 * time.Hour), MaxHouseholds: 50})
	must(t, err)
	equal(t, "erased in the second batch", n, 3)
}
