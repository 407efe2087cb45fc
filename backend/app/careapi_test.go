package app_test

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

func TestDirectoryService(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	lead, admin := b.token(t, b.region.LeadID), b.token(t, b.region.AdminID)

	t.Run("GetMe returns the caller with organization and teams", func(t *testing.T) {
		res, err := b.directory.GetMe(ctx, as(lead, &veiligv1.GetMeRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Msg.GetProfessional().GetId() != b.region.LeadID || res.Msg.GetOrganization().GetId() == "" || len(res.Msg.GetTeams()) != 1 {
			t.Fatalf("GetMe = %v", res.Msg)
		}
	})
	t.Run("ListOrganizations lists all six", func(t *testing.T) {
		res, err := b.directory.ListOrganizations(ctx, as(lead, &veiligv1.ListOrganizationsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res.Msg.GetOrganizations()); got != 6 {
			t.Fatalf("got %d organizations, want 6", got)
		}
	})
	t.Run("ListTeams lists the caller's team", func(t *testing.T) {
		res, err := b.directory.ListTeams(ctx, as(lead, &veiligv1.ListTeamsRequest{}))
		if err != nil || len(res.Msg.GetTeams()) != 1 {
			t.Fatalf("ListTeams = %v, %v", res, err)
		}
	})
	me, err := b.directory.GetMe(ctx, as(admin, &veiligv1.GetMeRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	adminOrg := me.Msg.GetOrganization().GetId()
	t.Run("an admin lists and adds professionals of their own organization", func(t *testing.T) {
		newID := uuid.NewString()
		_, err := b.directory.UpsertProfessional(ctx, as(admin, &veiligv1.UpsertProfessionalRequest{Professional: &veiligv1.Professional{
			Id: newID, OrganizationId: adminOrg, DisplayName: "Nieuwe Collega", Role: veiligv1.Role_ROLE_PROFESSIONAL, Phone: "+31612345678",
		}}))
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.directory.ListProfessionals(ctx, as(admin, &veiligv1.ListProfessionalsRequest{OrganizationId: adminOrg}))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range res.Msg.GetProfessionals() {
			found = found || p.GetId() == newID
		}
		if !found {
			t.Fatal("new professional not listed")
		}
	})
	t.Run("an admin may not manage another organization", func(t *testing.T) {
		other := b.region.OrganizationIDs[3]
		_, err := b.directory.ListProfessionals(ctx, as(admin, &veiligv1.ListProfessionalsRequest{OrganizationId: other}))
		wantCode(t, err, connect.CodePermissionDenied)
		_, err = b.directory.UpsertProfessional(ctx, as(admin, &veiligv1.UpsertProfessionalRequest{Professional: &veiligv1.Professional{
			Id: b.region.LeadID, OrganizationId: adminOrg, DisplayName: "Taken Over", Role: veiligv1.Role_ROLE_ADMIN,
		}}))
		// The lead works for another organization than the admin: no moving people across.
		wantCode(t, err, connect.CodePermissionDenied)
	})
	t.Run("a professional who is not an admin may not list professionals", func(t *testing.T) {
		_, err := b.directory.ListProfessionals(ctx, as(lead, &veiligv1.ListProfessionalsRequest{OrganizationId: adminOrg}))
		wantCode(t, err, connect.CodePermissionDenied)
	})
}

func TestHouseholdService(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	lead, sup, other := b.token(t, b.region.LeadID), b.token(t, b.region.SupervisorID), b.token(t, b.region.OtherTeamProfessionalID)

	listAll := func(t *testing.T, tok string, size int32) []*veiligv1.Household {
		t.Helper()
		var all []*veiligv1.Household
		page := ""
		for {
			res, err := b.household.ListHouseholds(ctx, as(tok, &veiligv1.ListHouseholdsRequest{PageSize: size, PageToken: page}))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, res.Msg.GetHouseholds()...)
			if page = res.Msg.GetNextPageToken(); page == "" {
				return all
			}
		}
	}
	t.Run("a supervisor sees every household of their team, across pages", func(t *testing.T) {
		all := listAll(t, sup, 3)
		if len(all) != 20 {
			t.Fatalf("supervisor sees %d households, want 20", len(all))
		}
		seen := map[string]bool{}
		for _, h := range all {
			if seen[h.GetId()] {
				t.Fatalf("household %s listed twice", h.GetId())
			}
			seen[h.GetId()] = true
		}
	})
	t.Run("a professional sees only their care teams' households", func(t *testing.T) {
		for _, h := range listAll(t, lead, 0) {
			rels, err := b.store.HouseholdRelationList(ctx, b.region.LeadID, h.GetId())
			if err != nil || len(rels) == 0 {
				t.Fatalf("listed household %s the lead may not see", h.GetId())
			}
		}
	})
	t.Run("GetHousehold returns the household with its care team", func(t *testing.T) {
		res, err := b.household.GetHousehold(ctx, as(lead, &veiligv1.GetHouseholdRequest{HouseholdId: b.region.FirstHouseholdID}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Msg.GetHousehold().GetCode() == "" || len(res.Msg.GetCareTeam()) != 2 {
			t.Fatalf("GetHousehold = %v", res.Msg)
		}
	})
	t.Run("another team's household answers NotFound, exactly like a missing one", func(t *testing.T) {
		_, errOther := b.household.GetHousehold(ctx, as(other, &veiligv1.GetHouseholdRequest{HouseholdId: b.region.FirstHouseholdID}))
		ce1 := wantCode(t, errOther, connect.CodeNotFound)
		_, errMissing := b.household.GetHousehold(ctx, as(other, &veiligv1.GetHouseholdRequest{HouseholdId: uuid.NewString()}))
		ce2 := wantCode(t, errMissing, connect.CodeNotFound)
		if ce1.Message() != ce2.Message() {
			t.Fatalf("messages differ: %q vs %q", ce1.Message(), ce2.Message())
		}
	})
	t.Run("the lead adds and removes a care team member", func(t *testing.T) {
		add := b.region.OtherTeamProfessionalID
		res, err := b.household.SetCareTeamMember(ctx, as(lead, &veiligv1.SetCareTeamMemberRequest{HouseholdId: b.region.FirstHouseholdID, ProfessionalId: add}))
		if err != nil || len(res.Msg.GetCareTeam()) != 3 {
			t.Fatalf("SetCareTeamMember = %v, %v", res, err)
		}
		// Now the added professional sees it; after removal, no longer.
		if _, err := b.household.GetHousehold(ctx, as(other, &veiligv1.GetHouseholdRequest{HouseholdId: b.region.FirstHouseholdID})); err != nil {
			t.Fatalf("added member cannot read: %v", err)
		}
		if _, err := b.household.RemoveCareTeamMember(ctx, as(lead, &veiligv1.RemoveCareTeamMemberRequest{HouseholdId: b.region.FirstHouseholdID, ProfessionalId: add})); err != nil {
			t.Fatal(err)
		}
		_, err = b.household.GetHousehold(ctx, as(other, &veiligv1.GetHouseholdRequest{HouseholdId: b.region.FirstHouseholdID}))
		wantCode(t, err, connect.CodeNotFound)
	})
	t.Run("a care team member who is not the lead may not change the care team", func(t *testing.T) {
		team, err := b.store.CareTeamMemberList(ctx, b.region.FirstHouseholdID)
		if err != nil {
			t.Fatal(err)
		}
		var helper string
		for _, m := range team {
			if !m.Lead {
				helper = m.ProfessionalID
			}
		}
		_, err = b.household.SetCareTeamMember(ctx, as(b.token(t, helper), &veiligv1.SetCareTeamMemberRequest{
			HouseholdId: b.region.FirstHouseholdID, ProfessionalId: helper, Lead: true,
		}))
		wantCode(t, err, connect.CodePermissionDenied)
	})
}

func TestPlanService(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	lead := b.token(t, b.region.LeadID)
	hid := b.region.FirstHouseholdID
	// The lead's phone is registered, so the audit log records it (an unregistered device id
	// is a claim, not a device).
	if _, err := b.device.RegisterDevice(ctx, as(lead, &veiligv1.RegisterDeviceRequest{Token: "fcm-lead", Platform: veiligv1.Platform_PLATFORM_ANDROID})); err != nil {
		t.Fatal(err)
	}

	plan, err := b.plan.GetPlan(ctx, as(lead, &veiligv1.GetPlanRequest{HouseholdId: hid}))
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Msg.GetEntries()) != 8 {
		t.Fatalf("demo plan has %d entries, want 8", len(plan.Msg.GetEntries()))
	}
	entry := &veiligv1.PlanEntry{Id: uuid.NewString(), Content: &veiligv1.PlanEntry_Agreement{Agreement: &veiligv1.Agreement{
		Who: "Grandmother", What: "Picks the children up from school on Fridays.", When: "Fridays", Status: veiligv1.AgreementStatus_AGREEMENT_STATUS_ACTIVE,
	}}}
	t.Run("an upsert stores the entry at a new household version", func(t *testing.T) {
		res, err := b.plan.UpsertPlanEntry(ctx, as(lead, &veiligv1.UpsertPlanEntryRequest{HouseholdId: hid, Entry: entry}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Msg.GetEntry().GetVersion() <= plan.Msg.GetVersion() || res.Msg.GetEntry().GetAgreement().GetWho() != "Grandmother" || res.Msg.GetEntry().GetUpdatedBy() != b.region.LeadID {
			t.Fatalf("UpsertPlanEntry = %v", res.Msg)
		}
		again, err := b.plan.GetPlan(ctx, as(lead, &veiligv1.GetPlanRequest{HouseholdId: hid}))
		if err != nil || len(again.Msg.GetEntries()) != 9 {
			t.Fatalf("after upsert: %d entries, %v", len(again.Msg.GetEntries()), err)
		}
	})
	t.Run("every section round-trips through the store", func(t *testing.T) {
		for _, e := range plan.Msg.GetEntries() {
			if e.GetContent() == nil {
				t.Fatalf("entry %s lost its content", e.GetId())
			}
		}
	})
	t.Run("a delete removes the entry from the plan", func(t *testing.T) {
		if _, err := b.plan.DeletePlanEntry(ctx, as(lead, &veiligv1.DeletePlanEntryRequest{HouseholdId: hid, EntryId: entry.GetId()})); err != nil {
			t.Fatal(err)
		}
		again, err := b.plan.GetPlan(ctx, as(lead, &veiligv1.GetPlanRequest{HouseholdId: hid}))
		if err != nil || len(again.Msg.GetEntries()) != 8 {
			t.Fatalf("after delete: %d entries, %v", len(again.Msg.GetEntries()), err)
		}
	})
	t.Run("an entry of another household cannot be overwritten through this one", func(t *testing.T) {
		other, err := b.plan.GetPlan(ctx, as(b.token(t, b.region.SupervisorID), &veiligv1.GetPlanRequest{HouseholdId: b.region.HouseholdIDs[2]}))
		if err != nil {
			t.Fatal(err)
		}
		hijack := &veiligv1.PlanEntry{Id: other.Msg.GetEntries()[0].GetId(), Content: &veiligv1.PlanEntry_Danger{Danger: &veiligv1.Danger{Description: "x"}}}
		_, err = b.plan.UpsertPlanEntry(ctx, as(lead, &veiligv1.UpsertPlanEntryRequest{HouseholdId: hid, Entry: hijack}))
		wantCode(t, err, connect.CodeNotFound)
	})
	t.Run("every read and write is in the audit log with who, what, device and request", func(t *testing.T) {
		events, err := b.store.AuditListByHousehold(ctx, hid)
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]bool{}
		for _, e := range events {
			if e.ProfessionalID != b.region.LeadID || e.RequestID == "veilig demo" { // the demo's seeding, not a request
				continue
			}
			if e.Outcome == store.AuditAllowed {
				actions[e.Action] = true
			}
			if e.RequestID == "" || e.At.IsZero() || e.OrganizationID == "" || e.Role == "" || e.Issuer == "" || e.Outcome == "" {
				t.Fatalf("incomplete audit event %+v", e)
			}
			if e.DeviceID != "device-"+b.region.LeadID[:8] {
				t.Fatalf("audit event %+v does not name the lead's registered device", e)
			}
		}
		for _, a := range []string{"plan.read", "plan.write"} {
			if !actions[a] {
				t.Fatalf("no %s audit event; have %v", a, actions)
			}
		}
	})
}

func TestCheckInService(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	lead := b.token(t, b.region.LeadID)
	hid := b.region.FirstHouseholdID

	scheds, err := b.checkIn.ListSchedules(ctx, as(lead, &veiligv1.ListSchedulesRequest{HouseholdId: hid}))
	if err != nil || len(scheds.Msg.GetSchedules()) != 1 {
		t.Fatalf("ListSchedules = %v, %v", scheds, err)
	}
	sc := scheds.Msg.GetSchedules()[0]
	if sc.GetTimeZone() != "Europe/Amsterdam" || sc.GetNextDueAt() == nil || sc.GetChannel() == veiligv1.Channel_CHANNEL_UNSPECIFIED {
		t.Fatalf("schedule = %v", sc)
	}
	req := &veiligv1.RecordCheckInRequest{
		HouseholdId: hid, CheckInId: uuid.NewString(), ScheduleId: sc.GetId(),
		Channel: veiligv1.Channel_CHANNEL_HOME_VISIT, Outcome: veiligv1.Outcome_OUTCOME_SAFE,
	}
	t.Run("a check-in is recorded once, however often it is sent", func(t *testing.T) {
		for range 3 {
			res, err := b.checkIn.RecordCheckIn(ctx, as(lead, req))
			if err != nil {
				t.Fatal(err)
			}
			if res.Msg.GetCheckIn().GetOutcome() != veiligv1.Outcome_OUTCOME_SAFE || !res.Msg.GetCheckIn().GetRecordedAt().AsTime().Equal(testNow) {
				t.Fatalf("RecordCheckIn = %v", res.Msg)
			}
		}
		list, err := b.checkIn.ListCheckIns(ctx, as(lead, &veiligv1.ListCheckInsRequest{HouseholdId: hid}))
		if err != nil || len(list.Msg.GetCheckIns()) != 1 {
			t.Fatalf("ListCheckIns = %v, %v", list, err)
		}
	})
	t.Run("a schedule of another household is not found", func(t *testing.T) {
		otherScheds, err := b.store.ScheduleListByHousehold(ctx, b.region.HouseholdIDs[1])
		if err != nil {
			t.Fatal(err)
		}
		r := &veiligv1.RecordCheckInRequest{HouseholdId: hid, CheckInId: uuid.NewString(), ScheduleId: otherScheds[0].ID,
			Channel: veiligv1.Channel_CHANNEL_PHONE_CALL, Outcome: veiligv1.Outcome_OUTCOME_CONCERNS}
		_, err = b.checkIn.RecordCheckIn(ctx, as(lead, r))
		wantCode(t, err, connect.CodeNotFound)
	})
	t.Run("another team cannot record or read check-ins", func(t *testing.T) {
		other := b.token(t, b.region.OtherTeamProfessionalID)
		_, err := b.checkIn.ListCheckIns(ctx, as(other, &veiligv1.ListCheckInsRequest{HouseholdId: hid}))
		wantCode(t, err, connect.CodeNotFound)
		_, err = b.checkIn.ListSchedules(ctx, as(other, &veiligv1.ListSchedulesRequest{HouseholdId: hid}))
		wantCode(t, err, connect.CodeNotFound)
	})
}

func containsAny(s string, needles []string) string {
	for _, n := range needles {
		if n != "" && strings.Contains(s, n) {
			return n
		}
	}
	return ""
}
