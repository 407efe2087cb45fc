package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/push/fcm"
	"github.com/veilig/veilig/backend/push/fcm/fcmtest"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// TestStartARegion onboards a region from nothing through the API only (issue 14, acceptance
// 1–3), on SQLite and PostgreSQL: `veilig admin init` makes the regional administrator, who
// creates two organizations with their identity providers, their professionals, one team of
// both, and imports 20 households from a CSV after a dry run; a professional of each
// organization then syncs them and a schedule fires a reminder. Re-importing changes nothing;
// bad rows are reported by line and never applied; closing a household evicts it from the
// next pull and stops its reminders; transferring one moves its supervisors' access at once.
func TestStartARegion(t *testing.T) {
	t.Parallel()
	for _, engine := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(engine.name, func(t *testing.T) {
			t.Parallel()
			startRegion(t, engine.url(t))
		})
	}
}

func startRegion(t *testing.T, database string) {
	ctx := context.Background()
	b := setupWith(t, options{database: database, seed: func(*store.DB) {}, bound: true})
	idpR := newIDP(t, "https://login.regio-amsterdam.example")
	idpA := newIDP(t, "https://login.veiligthuis.example")
	idpB := newIDP(t, "https://login.jeugdbescherming.example")

	// Bootstrap, on the server: the one regional administrator, once.
	svc := household.New(b.store, func() time.Time { return testNow })
	init := household.RegionInit{OrganizationID: uuid.NewString(), OrganizationName: "Regio Amsterdam", Issuer: idpR.issuer,
		JWKSURL: idpR.srv.URL, Audience: idpAudience, Subject: "regio-admin", Name: "Regiobeheer"}
	admin, err := svc.InitRegion(ctx, init)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.InitRegion(ctx, init); err == nil {
		t.Fatal("a second admin init succeeded")
	}
	adm := idpR.token(t, "regio-admin", time.Hour)
	me, err := b.directory.GetMe(ctx, as(adm, &veiligv1.GetMeRequest{}))
	if err != nil || me.Msg.GetProfessional().GetId() != admin.ID || me.Msg.GetProfessional().GetRole() != veiligv1.Role_ROLE_REGIONAL_ADMIN {
		t.Fatalf("GetMe as the regional administrator: %v, %v", me, err)
	}
	// Nobody makes another one through the API.
	_, err = b.directory.UpsertProfessional(ctx, as(adm, &veiligv1.UpsertProfessionalRequest{Professional: &veiligv1.Professional{
		Id: uuid.NewString(), OrganizationId: init.OrganizationID, DisplayName: "Tweede", Role: veiligv1.Role_ROLE_REGIONAL_ADMIN}}))
	wantCode(t, err, connect.CodePermissionDenied)

	// Two organizations, each signed in by its own identity provider.
	orgA, orgB := uuid.NewString(), uuid.NewString()
	for _, o := range []struct {
		id, name string
		idp      *idp
	}{{orgA, "Veilig Thuis", idpA}, {orgB, "Jeugdbescherming", idpB}} {
		res, err := b.regionAPI.CreateOrganization(ctx, as(adm, &veiligv1.CreateOrganizationRequest{OrganizationId: o.id, Name: o.name}))
		if err != nil || !res.Msg.GetCreated() {
			t.Fatalf("create organization: %v, %v", res, err)
		}
		again, err := b.regionAPI.CreateOrganization(ctx, as(adm, &veiligv1.CreateOrganizationRequest{OrganizationId: o.id, Name: o.name}))
		if err != nil || again.Msg.GetCreated() {
			t.Fatalf("create organization again: %v, %v (want created false)", again, err)
		}
		if _, err := b.regionAPI.BindIssuer(ctx, as(adm, &veiligv1.BindIssuerRequest{OrganizationId: o.id, Issuer: o.idp.issuer,
			JwksUrl: o.idp.srv.URL, Audience: idpAudience})); err != nil {
			t.Fatal(err)
		}
	}
	// An issuer vouches for one organization.
	_, err = b.regionAPI.BindIssuer(ctx, as(adm, &veiligv1.BindIssuerRequest{OrganizationId: orgB, Issuer: idpA.issuer,
		JwksUrl: idpA.srv.URL, Audience: idpAudience}))
	wantCode(t, err, connect.CodeAlreadyExists)

	// Professionals, bound to their providers' subjects; one team of both organizations.
	type person struct {
		id, org, email, subject string
		role                    veiligv1.Role
		idp                     *idp
	}
	people := map[string]person{
		"a1": {uuid.NewString(), orgA, "a1@veiligthuis.example", "a1-sub", veiligv1.Role_ROLE_PROFESSIONAL, idpA},
		"a2": {uuid.NewString(), orgA, "a2@veiligthuis.example", "a2-sub", veiligv1.Role_ROLE_SUPERVISOR, idpA},
		"b1": {uuid.NewString(), orgB, "b1@jeugdbescherming.example", "b1-sub", veiligv1.Role_ROLE_PROFESSIONAL, idpB},
		"b2": {uuid.NewString(), orgB, "b2@jeugdbescherming.example", "b2-sub", veiligv1.Role_ROLE_SUPERVISOR, idpB},
	}
	for name, p := range people {
		if _, err := b.directory.UpsertProfessional(ctx, as(adm, &veiligv1.UpsertProfessionalRequest{Professional: &veiligv1.Professional{
			Id: p.id, OrganizationId: p.org, DisplayName: "Professional " + name, Email: p.email, Role: p.role},
			Issuer: p.idp.issuer, Subject: p.subject})); err != nil {
			t.Fatalf("upsert %s: %v", name, err)
		}
	}
	token := func(name string) string { p := people[name]; return p.idp.token(t, p.subject, time.Hour) }
	teamT, teamU := uuid.NewString(), uuid.NewString()
	for _, team := range []struct{ id, name string }{{teamT, "Team Oost"}, {teamU, "Team West"}} {
		if _, err := b.regionAPI.CreateTeam(ctx, as(adm, &veiligv1.CreateTeamRequest{TeamId: team.id, Name: team.name})); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct{ team, who string }{{teamT, "a1"}, {teamT, "a2"}, {teamT, "b1"}, {teamU, "b2"}} {
		if _, err := b.regionAPI.AddTeamMember(ctx, as(adm, &veiligv1.AddTeamMemberRequest{TeamId: m.team, ProfessionalId: people[m.who].id})); err != nil {
			t.Fatal(err)
		}
	}

	// 20 households from a CSV: a dry run first, then for real, then again.
	var csv strings.Builder
	csv.WriteString("code,display_name,team,lead,care_team\n")
	for i := range 20 {
		fmt.Fprintf(&csv, "HH-%05d,Familie %d,Team Oost,Veilig Thuis/a1@veiligthuis.example,Jeugdbescherming/subject:b1-sub\n", i, i)
	}
	imp := func(data string, dry, all bool) *veiligv1.ImportCaseloadResponse {
		t.Helper()
		res, err := b.regionAPI.ImportCaseload(ctx, as(adm, &veiligv1.ImportCaseloadRequest{Csv: []byte(data), DryRun: dry, AllOrNothing: all}))
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		return res.Msg
	}
	if r := imp(csv.String(), true, false); r.GetCreated() != 20 || r.GetApplied() {
		t.Fatalf("dry run: %d to create, applied %v; want 20, false", r.GetCreated(), r.GetApplied())
	}
	if res := b.pull(t, token("a1"), nil); len(res.GetChanges()) != 0 {
		t.Fatalf("a dry run wrote %d households", len(res.GetChanges()))
	}
	if r := imp(csv.String(), false, false); r.GetCreated() != 20 || !r.GetApplied() {
		t.Fatalf("import: %d created, applied %v", r.GetCreated(), r.GetApplied())
	}
	if r := imp(csv.String(), false, false); r.GetUnchanged() != 20 || r.GetCreated()+r.GetChanged()+r.GetFailed() != 0 {
		t.Fatalf("second import: %v, want 20 unchanged", r)
	}
	// Bad rows: reported with their lines, never applied; all_or_nothing applies none at all.
	bad := "code,display_name,team,lead,care_team\n" +
		"HH-90001,Familie Goed,Team Oost,Veilig Thuis/a1@veiligthuis.example,\n" +
		"HH-90002,Familie Fout,Team Nergens,Veilig Thuis/a1@veiligthuis.example,\n" +
		"hh 3,Familie Code,Team Oost,Veilig Thuis/a1@veiligthuis.example,\n" +
		"HH-90004,Familie Beheer,Team Oost,Regio Amsterdam/subject:regio-admin,\n"
	r := imp(bad, false, true)
	if r.GetApplied() || r.GetFailed() != 3 {
		t.Fatalf("all or nothing: %v", r)
	}
	var failedLines []int32
	for _, row := range r.GetRows() {
		if row.GetAction() == veiligv1.ImportAction_IMPORT_ACTION_FAILED {
			failedLines = append(failedLines, row.GetLine())
			if row.GetMessage() == "" || strings.Contains(row.GetMessage(), "Familie") {
				t.Errorf("line %d: message %q (want the column and rule, never a name)", row.GetLine(), row.GetMessage())
			}
		}
	}
	if !slices.Equal(failedLines, []int32{3, 4, 5}) {
		t.Fatalf("failed lines %v, want 3 4 5", failedLines)
	}
	if r := imp(bad, false, false); !r.GetApplied() || r.GetCreated() != 1 || r.GetFailed() != 3 {
		t.Fatalf("import with bad rows: %v", r)
	}

	// A professional of each organization syncs the households.
	a1, b1, a2, b2 := token("a1"), token("b1"), token("a2"), token("b2")
	pullA := b.pull(t, a1, nil)
	if n := len(pullA.GetChanges()); n != 21 {
		t.Fatalf("a1 pulled %d households, want 21", n)
	}
	if n := len(b.pull(t, b1, nil).GetChanges()); n != 20 {
		t.Fatalf("b1 pulled %d households, want 20", n)
	}
	if n := len(b.pull(t, a2, nil).GetChanges()); n != 21 {
		t.Fatalf("the team's supervisor pulled %d households, want 21", n)
	}
	if n := len(b.pull(t, b2, nil).GetChanges()); n != 0 {
		t.Fatalf("the other team's supervisor pulled %d households, want 0", n)
	}

	// A schedule fires a reminder to the lead's phone.
	h0, h1 := household.CaseloadHouseholdID("HH-00000"), household.CaseloadHouseholdID("HH-00001")
	fake := fcmtest.New()
	t.Cleanup(fake.Close)
	sender, err := fcm.New(ctx, fcm.Config{ProjectID: "veilig-test", Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.device.RegisterDevice(ctx, as(a1, &veiligv1.RegisterDeviceRequest{Token: "a1-phone", Platform: veiligv1.Platform_PLATFORM_ANDROID})); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{h0, h1} {
		if _, err := b.checkIn.UpsertSchedule(ctx, as(a1, &veiligv1.UpsertScheduleRequest{HouseholdId: h, ScheduleId: uuid.NewString(),
			Rule: "FREQ=DAILY", LocalTime: "18:00", GraceMinutes: 60, Channel: veiligv1.Channel_CHANNEL_PHONE_CALL,
			LeadProfessionalId: people["a1"].id, StartDate: "2026-11-01"})); err != nil {
			t.Fatal(err)
		}
	}
	// Closing h1 evicts it from the next pull (from every phone), answers not_found, and
	// stops its reminders: only h0's check is noticed.
	if _, err := b.regionAPI.CloseHousehold(ctx, as(adm, &veiligv1.CloseHouseholdRequest{HouseholdId: h1})); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{a1, b1, a2} {
		after := b.pull(t, tok, cursorsOf(pullA))
		if !slices.Contains(after.GetEvictedHouseholdIds(), h1) {
			t.Fatalf("after closing, the pull evicts %v, want %s among them", after.GetEvictedHouseholdIds(), h1)
		}
	}
	_, err = b.household.GetHousehold(ctx, as(a1, &veiligv1.GetHouseholdRequest{HouseholdId: h1}))
	wantCode(t, err, connect.CodeNotFound)
	later := testNow.Add(10 * time.Hour) // 20:30 in Amsterdam: past 18:00 + 1 h grace
	sched, err := reminders.New(b.store, sender, func() time.Time { return later }, zerolog.Nop(), reminders.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sched.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var alerts []string
	for _, m := range fake.ByToken("a1-phone") {
		if m.Data["kind"] == "alert" {
			alerts = append(alerts, m.Data["ref"])
		}
	}
	if len(alerts) != 1 {
		t.Fatalf("%d reminders to the lead, want 1 (h0's; the closed h1's stopped)", len(alerts))
	}
	got, err := b.alert.GetAlert(ctx, as(a1, &veiligv1.GetAlertRequest{AlertId: alerts[0]}))
	if err != nil || got.Msg.GetAlert().GetHouseholdId() != h0 {
		t.Fatalf("the reminder is of %v (%v), want %s", got, err, h0)
	}
	// Reopened, h1 is seen again.
	if _, err := b.regionAPI.ReopenHousehold(ctx, as(adm, &veiligv1.ReopenHouseholdRequest{HouseholdId: h1})); err != nil {
		t.Fatal(err)
	}
	if _, err := b.household.GetHousehold(ctx, as(a1, &veiligv1.GetHouseholdRequest{HouseholdId: h1})); err != nil {
		t.Fatalf("reopened household: %v", err)
	}

	// Closed again and kept past its retention period, h1 is erased by the scheduler and can
	// never be reopened; the refusal names the rule, not the household.
	if _, err := b.regionAPI.CloseHousehold(ctx, as(adm, &veiligv1.CloseHouseholdRequest{HouseholdId: h1})); err != nil {
		t.Fatal(err)
	}
	eraser, err := reminders.New(b.store, sender, func() time.Time { return later.Add(time.Hour) }, zerolog.Nop(),
		reminders.Config{Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := eraser.Tick(ctx); err != nil || st.Erased != 1 {
		t.Fatalf("erasing tick: %+v, %v; want h1 erased", st, err)
	}
	_, err = b.regionAPI.ReopenHousehold(ctx, as(adm, &veiligv1.ReopenHouseholdRequest{HouseholdId: h1}))
	wantCode(t, err, connect.CodeInvalidArgument)
	if !strings.Contains(err.Error(), "erased after its retention period") {
		t.Errorf("reopening an erased household: %v", err)
	}

	// Transferring h0 to the other team moves its supervisors' access at once.
	if _, err := b.regionAPI.TransferHousehold(ctx, as(adm, &veiligv1.TransferHouseholdRequest{HouseholdId: h0, TeamId: teamU})); err != nil {
		t.Fatal(err)
	}
	_, err = b.household.GetHousehold(ctx, as(a2, &veiligv1.GetHouseholdRequest{HouseholdId: h0}))
	wantCode(t, err, connect.CodeNotFound)
	if _, err := b.household.GetHousehold(ctx, as(b2, &veiligv1.GetHouseholdRequest{HouseholdId: h0})); err != nil {
		t.Fatalf("the new team's supervisor: %v", err)
	}
	if _, err := b.household.GetHousehold(ctx, as(a1, &veiligv1.GetHouseholdRequest{HouseholdId: h0})); err != nil {
		t.Fatalf("the care team stays: %v", err)
	}

	// Deactivating an organization disables its people and its issuer signs nobody in.
	if _, err := b.regionAPI.DeactivateOrganization(ctx, as(adm, &veiligv1.DeactivateOrganizationRequest{OrganizationId: orgB})); err != nil {
		t.Fatal(err)
	}
	_, err = b.sync.Pull(ctx, as(b1, &veiligv1.PullRequest{}))
	wantCode(t, err, connect.CodePermissionDenied)
}
