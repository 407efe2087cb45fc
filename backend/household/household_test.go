package household_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storeopen"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

var t0 = time.Date(2027, 3, 28, 9, 0, 0, 0, time.UTC)

// bundle is what a test needs: the service under test, its storage, and the actors of a
// small region: h1 (team t1) has lead and member in its care team; sup supervises t1;
// outsider works for the same organization but sees nothing; h2 is in team t2.
type bundle struct {
	svc                         *household.Service
	db                          *store.DB
	lead, member, sup, outsider household.Actor
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	db, err := storeopen.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "veilig.db"))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	must(t, db.Migrate(ctx))
	must(t, db.OrganizationUpsert(ctx, store.Organization{ID: "org", Name: "Org", CreatedAt: t0}))
	// Each reading of the clock is a microsecond later, so audit records sort by time.
	now := t0
	b := &bundle{svc: household.New(db, func() time.Time { now = now.Add(time.Microsecond); return now }), db: db}
	actor := func(id string, role store.Role) household.Actor {
		p := store.Professional{ID: id, OrganizationID: "org", DisplayName: id, Role: role, CreatedAt: t0}
		must(t, db.ProfessionalUpsert(ctx, p))
		return household.Actor{Professional: &p, DeviceID: "dev-" + id, RequestID: "req-" + id}
	}
	b.lead, b.member = actor("lead", store.RoleProfessional), actor("member", store.RoleProfessional)
	b.sup, b.outsider = actor("sup", store.RoleSupervisor), actor("outsider", store.RoleProfessional)
	for _, team := range []string{"t1", "t2"} {
		must(t, db.TeamUpsert(ctx, store.Team{ID: team, Name: team, CreatedAt: t0}))
	}
	must(t, db.TeamMemberAdd(ctx, store.TeamMember{TeamID: "t1", ProfessionalID: "sup"}))
	for _, h := range []struct{ id, team string }{{"h1", "t1"}, {"h2", "t2"}} {
		must(t, db.HouseholdCreate(ctx, store.Household{ID: h.id, Code: "C-" + h.id, TeamID: h.team, DisplayName: "x", CreatedAt: t0}))
	}
	must(t, db.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: "h1", ProfessionalID: "lead", Lead: true}, Now: t0}))
	must(t, db.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: "h1", ProfessionalID: "member"}, Now: t0}))
	return b
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) actions(t *testing.T, household string) []string {
	t.Helper()
	events, err := b.db.AuditListByHousehold(context.Background(), household)
	must(t, err)
	var out []string
	for _, e := range events {
		a := e.ProfessionalID + ":" + e.Action
		if e.Outcome != store.AuditAllowed {
			a += ":" + string(e.Outcome)
		}
		out = append(out, a)
	}
	return out
}

func edit(id, household string) change.Mutation {
	stamp := hlc.New(t0, 0)
	return change.Mutation{ID: id, HouseholdID: household, DeviceID: "dev", ProfessionalID: "member", Kind: change.KindEdit,
		RecordID: "rec-" + id, Section: change.SectionAgreement, Writes: []change.FieldWrite{{Field: "text", Value: "v", Stamp: stamp}}}
}

func TestPushRejectsAnInvisibleHouseholdAloneAndAuditsTheRest(t *testing.T) {
	b := setup(t)
	results, err := b.svc.Push(context.Background(), b.member, []change.Mutation{edit("m1", "h1"), edit("m2", "h2"), edit("m3", "h1")})
	must(t, err)
	want := []change.Outcome{change.OutcomeApplied, change.OutcomeRejected, change.OutcomeApplied}
	for i, r := range results {
		if r.Outcome != want[i] {
			t.Errorf("result %d = %+v, want outcome %v", i, r, want[i])
		}
	}
	if results[1].Reason != change.ReasonForbidden {
		t.Errorf("the invisible household's mutation: reason %v, want forbidden", results[1].Reason)
	}
	if got := b.actions(t, "h1"); len(got) != 1 || got[0] != "member:sync.push" {
		t.Errorf("audit of h1 = %v, want one sync.push by member", got)
	}
	if got := b.actions(t, "h2"); len(got) != 1 || got[0] != "member:sync.push:denied" {
		t.Errorf("audit of h2 = %v, want one denied sync.push (nothing was read or written)", got)
	}
}

// Issue 12: a push that fails after it was authorized (here its context is canceled inside
// the transaction) leaves a failed record for each allowed household, its denials, and
// nothing of the write.
func TestAFailedPushLeavesAFailedRecordAndItsDenials(t *testing.T) {
	b := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	household.SetPushHook(t, func(context.Context) { cancel() })
	_, err := b.svc.Push(ctx, b.member, []change.Mutation{edit("m1", "h1"), edit("m2", "h2")})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	events, err := b.db.AuditListByHousehold(context.Background(), "h1")
	must(t, err)
	if len(events) != 1 || events[0].Outcome != store.AuditFailed || events[0].Reason != "canceled" ||
		events[0].Action != "sync.push" || events[0].ProfessionalID != "member" {
		t.Fatalf("audit of h1 = %+v, want one failed sync.push by member", events)
	}
	if got := b.actions(t, "h2"); len(got) != 1 || got[0] != "member:sync.push:denied" {
		t.Errorf("audit of h2 = %v, want its denial", got)
	}
	household.SetPushHook(t, nil)
	// Nothing of the failed push was written: the same mutation applies afresh.
	results, err := b.svc.Push(context.Background(), b.member, []change.Mutation{edit("m1", "h1")})
	must(t, err)
	if results[0].Outcome != change.OutcomeApplied {
		t.Errorf("the failed push's mutation again: %+v, want applied (it was never stored)", results[0])
	}
}

func TestPushRejectsACheckInForAnotherHouseholdsSchedule(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	_, err := b.db.ScheduleUpsert(ctx, store.ScheduleUpsertParams{Schedule: store.Schedule{ID: "s2", HouseholdID: "h2",
		Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00", Channel: "home_visit", StartDate: "2027-03-28"}, Now: t0})
	must(t, err)
	ci := change.Mutation{ID: "c1", HouseholdID: "h1", Kind: change.KindCheckIn, Stamp: hlc.New(t0, 0),
		CheckIn: change.CheckIn{ScheduleID: "s2", Channel: "home_visit", Outcome: change.CheckInSafe, RecordedAt: t0}}
	results, err := b.svc.Push(ctx, b.member, []change.Mutation{ci})
	must(t, err)
	if r := results[0]; r.Outcome != change.OutcomeRejected || r.Reason != change.ReasonNotFound {
		t.Errorf("result = %+v, want rejected as not found", r)
	}
}

func TestARefusedChangeLeavesNeitherTheWriteNorItsAuditRecord(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	_, err := b.svc.SetCareTeamMember(ctx, b.member, store.CareTeamMember{HouseholdID: "h1", ProfessionalID: "outsider"})
	var refusal *household.Refusal
	if !errors.As(err, &refusal) || !errors.Is(err, household.ErrPermission) {
		t.Fatalf("a member who is not the lead changed the care team: err = %v", err)
	}
	team, err := b.db.CareTeamMemberList(ctx, "h1")
	must(t, err)
	if len(team) != 2 {
		t.Errorf("care team has %d members after a refused change, want 2", len(team))
	}
	if got := b.actions(t, "h1"); len(got) != 1 || got[0] != "member:careteam.write:denied" {
		t.Errorf("audit = %v after a refused change, want only its denial, no record of a write that did not happen", got)
	}
	// The lead and the team's supervisor may change it; each change is audited with it.
	_, err = b.svc.SetCareTeamMember(ctx, b.lead, store.CareTeamMember{HouseholdID: "h1", ProfessionalID: "outsider"})
	must(t, err)
	_, err = b.svc.RemoveCareTeamMember(ctx, b.sup, "h1", "outsider")
	must(t, err)
	if got := b.actions(t, "h1"); len(got) != 3 || got[1] != "lead:careteam.write" || got[2] != "sup:careteam.write" {
		t.Errorf("audit = %v, want the denial, then the lead's and the supervisor's careteam.write", got)
	}
}

func TestEveryUseCaseAnswersNotFoundToSomeoneWhoMayNotSeeTheHousehold(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	noPlan := func(_, _ *store.Schedule, _ time.Time) error { return nil }
	cases := map[string]func() error{
		"get household": func() error { _, _, err := b.svc.GetHousehold(ctx, b.outsider, "h1"); return err },
		"get plan":      func() error { _, _, err := b.svc.GetPlan(ctx, b.outsider, "h1"); return err },
		"upsert plan entry": func() error {
			_, err := b.svc.UpsertPlanEntry(ctx, b.outsider, store.PlanEntry{ID: "e1", HouseholdID: "h1", Section: change.SectionAgreement, Fields: map[string]string{"text": "x"}})
			return err
		},
		"delete plan entry": func() error { _, err := b.svc.DeletePlanEntry(ctx, b.outsider, "h1", "e1"); return err },
		"set care team": func() error {
			_, err := b.svc.SetCareTeamMember(ctx, b.outsider, store.CareTeamMember{HouseholdID: "h1", ProfessionalID: "outsider"})
			return err
		},
		"remove care team": func() error { _, err := b.svc.RemoveCareTeamMember(ctx, b.outsider, "h1", "member"); return err },
		"list schedules":   func() error { _, err := b.svc.ListSchedules(ctx, b.outsider, "h1"); return err },
		"list check-ins":   func() error { _, err := b.svc.ListCheckIns(ctx, b.outsider, "h1", 10); return err },
		"record check-in": func() error {
			_, err := b.svc.RecordCheckIn(ctx, b.outsider, change.CheckIn{ID: "c", HouseholdID: "h1", Outcome: change.CheckInSafe})
			return err
		},
		"upsert schedule": func() error {
			_, err := b.svc.UpsertSchedule(ctx, b.outsider, store.Schedule{ID: "s", HouseholdID: "h1", LeadProfessionalID: "lead"}, noPlan)
			return err
		},
		"unknown household": func() error { _, _, err := b.svc.GetHousehold(ctx, b.lead, "h-unknown"); return err },
	}
	for name, call := range cases {
		if err := call(); !errors.Is(err, household.ErrHouseholdNotFound) {
			t.Errorf("%s: err = %v, want ErrHouseholdNotFound", name, err)
		}
	}
	got := b.actions(t, "h1")
	if len(got) != len(cases)-1 {
		t.Errorf("audit = %v, want one denial for each refused call", got)
	}
	for _, a := range got {
		if !strings.HasPrefix(a, "outsider:") || !strings.HasSuffix(a, ":denied") {
			t.Errorf("audit record %q, want a denial of the outsider", a)
		}
	}
	if got := b.actions(t, "h-unknown"); len(got) != 1 || got[0] != "lead:household.read:denied" {
		t.Errorf("audit of the unknown household = %v, want its denial", got)
	}
}

// Issue 12, acceptance 2: a write that fails after it was allowed leaves no "done" record,
// only a failed one, and nothing of the write.
func TestAFailedWriteLeavesNoDoneRecord(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	_, err := b.svc.RemoveCareTeamMember(ctx, b.lead, "h1", "outsider") // not in the care team
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want store.ErrNotFound", err)
	}
	events, err := b.db.AuditListByHousehold(ctx, "h1")
	must(t, err)
	if len(events) != 1 || events[0].Outcome != store.AuditFailed || events[0].Reason != "not_found" || events[0].Action != "careteam.write" {
		t.Fatalf("audit = %+v, want one failed careteam.write", events)
	}
}

func TestUpsertSchedulePlansFromTheStoredScheduleInsideTheWrite(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	var seen []*store.Schedule
	plan := func(sc, stored *store.Schedule, now time.Time) error {
		seen = append(seen, stored)
		due := now.Add(time.Hour)
		sc.NextDueAt, sc.OpensAt = &due, &now
		return nil
	}
	sc := store.Schedule{ID: "s1", HouseholdID: "h1", Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00",
		Channel: "home_visit", LeadProfessionalID: "lead", StartDate: "2027-03-28"}
	_, err := b.svc.UpsertSchedule(ctx, b.lead, sc, plan)
	must(t, err)
	sc.LocalTime = "19:00"
	out, err := b.svc.UpsertSchedule(ctx, b.lead, sc, plan)
	must(t, err)
	if len(seen) != 2 || seen[0] != nil || seen[1] == nil || seen[1].LocalTime != "18:00" {
		t.Fatalf("the planner saw %v, want nil then the stored 18:00 schedule", seen)
	}
	if out.LocalTime != "19:00" || out.NextDueAt == nil || !out.NextDueAt.After(t0) {
		t.Errorf("stored %+v, want the planned 19:00 schedule", out)
	}
	// A lead outside the care team is refused, and nothing is written.
	sc.LeadProfessionalID = "outsider"
	if _, err := b.svc.UpsertSchedule(ctx, b.lead, sc, plan); !errors.Is(err, household.ErrInvalid) {
		t.Errorf("a lead outside the care team: err = %v, want ErrInvalid", err)
	}
	// A planner's refusal is ErrInvalid with its message, and rolls the write back.
	sc.LeadProfessionalID = "lead"
	_, err = b.svc.UpsertSchedule(ctx, b.lead, sc, func(_, _ *store.Schedule, _ time.Time) error { return errors.New("rule: bad") })
	var refusal *household.Refusal
	if !errors.As(err, &refusal) || refusal.Message != "rule: bad" {
		t.Errorf("a planner's refusal: err = %v", err)
	}
	stored, err := b.db.ScheduleGet(ctx, "s1")
	must(t, err)
	if stored.LocalTime != "19:00" {
		t.Errorf("a refused write changed the schedule to %s", stored.LocalTime)
	}
}
