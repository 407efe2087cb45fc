package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/veilig/veilig/backend/access"
	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/mobile-api/auth"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/hlc"
)

// matrix is the fixture of the authorization matrix: two organizations, each with its own
// identity provider; household h of team T (organization O) with care team lead, member and
// removable; and one professional for every other way of standing to h.
type matrix struct {
	orgO, orgP                 string
	teamT, teamU               string
	h                          string
	lead, member, removable    string
	teamMate, orgMate, foreign string
	supervisor, otherSuper     string
	adminO, adminP             string
	officerO, officerP         string
	regional                   string
	entry, schedule, link      string
	alert                      string
}

func newMatrix() *matrix {
	id := func() string { return uuid.NewString() }
	return &matrix{orgO: id(), orgP: id(), teamT: id(), teamU: id(), h: id(),
		lead: id(), member: id(), removable: id(), teamMate: id(), orgMate: id(), foreign: id(),
		supervisor: id(), otherSuper: id(), adminO: id(), adminP: id(), officerO: id(), officerP: id(), regional: id(),
		entry: id(), schedule: id(), link: id(), alert: "al_matrix"}
}

// seed writes the directory and the household through the store; the household's data is
// written through the API afterwards, as its lead.
func (m *matrix) seed(t *testing.T, st *store.DB) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.OrganizationUpsert(ctx, store.Organization{ID: m.orgO, Name: "Organisatie O", CreatedAt: testNow}))
	must(st.OrganizationUpsert(ctx, store.Organization{ID: m.orgP, Name: "Organisatie P", CreatedAt: testNow}))
	must(st.TeamUpsert(ctx, store.Team{ID: m.teamT, Name: "Team T", CreatedAt: testNow}))
	must(st.TeamUpsert(ctx, store.Team{ID: m.teamU, Name: "Team U", CreatedAt: testNow}))
	pro := func(id, org string, role store.Role, teams ...string) {
		must(st.ProfessionalUpsert(ctx, store.Professional{ID: id, OrganizationID: org, DisplayName: "P " + id[:4], Role: role, CreatedAt: testNow}))
		for _, team := range teams {
			must(st.TeamMemberAdd(ctx, store.TeamMember{TeamID: team, ProfessionalID: id}))
		}
	}
	pro(m.lead, m.orgO, store.RoleProfessional, m.teamT)
	pro(m.member, m.orgO, store.RoleProfessional, m.teamT)
	pro(m.removable, m.orgO, store.RoleProfessional, m.teamT)
	pro(m.teamMate, m.orgO, store.RoleProfessional, m.teamT)
	pro(m.orgMate, m.orgO, store.RoleProfessional)
	pro(m.foreign, m.orgP, store.RoleProfessional)
	pro(m.supervisor, m.orgO, store.RoleSupervisor, m.teamT)
	pro(m.otherSuper, m.orgO, store.RoleSupervisor, m.teamU)
	pro(m.adminO, m.orgO, store.RoleAdmin)
	pro(m.adminP, m.orgP, store.RoleAdmin)
	pro(m.officerO, m.orgO, store.RolePrivacyOfficer)
	pro(m.officerP, m.orgP, store.RolePrivacyOfficer)
	pro(m.regional, m.orgO, store.RoleRegionalAdmin)
	must(st.HouseholdCreate(ctx, store.Household{ID: m.h, Code: "MATRIX-1", TeamID: m.teamT, DisplayName: "Familie Matrix", CreatedAt: testNow, UpdatedAt: testNow}))
	for _, c := range []store.CareTeamMember{{HouseholdID: m.h, ProfessionalID: m.lead, Lead: true},
		{HouseholdID: m.h, ProfessionalID: m.member}, {HouseholdID: m.h, ProfessionalID: m.removable}} {
		must(st.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: c, Now: testNow}))
	}
	now := testNow
	_, err := st.AlertRaise(ctx, store.AlertRaiseParams{Now: now, Alert: store.Alert{ID: m.alert, Kind: store.AlertUrgent,
		HouseholdID: m.h, LeadID: m.lead, NextStepAt: &now}})
	must(err)
}

// caller is one kind of caller of the matrix: its token, and the relations it holds to the
// matrix's household and organization O by the fixture's facts (not by the policy).
type caller struct {
	name      string
	id        string // the professional the token signs in, "" when it signs in nobody
	token     string
	household []access.Relation
	org       []access.Relation
	// person is how it stands to the matrix's care-team member (whose devices the device
	// calls name) and, for an admin, to every professional of organization O.
	person []access.Relation
	// region is how it stands to the region's setup (RegionService).
	region []access.Relation
	// refused, when set, is the answer before any rule: the token is not a signed-in
	// professional.
	refused connect.Code
}

// outcome is what a call answered: its code (0 for success) and, for calls whose answer is
// filtered to what the caller may see, whether the matrix's household was in it.
type outcome struct {
	code   connect.Code
	listed *bool
}

func (o outcome) String() string {
	s := "ok"
	if o.code != 0 {
		s = o.code.String()
	}
	if o.listed != nil {
		s += fmt.Sprintf(" (household listed: %v)", *o.listed)
	}
	return s
}

func codeOf(err error) connect.Code {
	if err == nil {
		return 0
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Code()
	}
	return connect.CodeUnknown
}

// expect is what the written policy (package access) says c gets from procedure.
func expect(procedure string, c caller) outcome {
	if c.refused != 0 {
		return outcome{code: c.refused}
	}
	rule := access.For(procedure)
	switch rule.Object {
	case access.Household:
		switch {
		case rule.Allows(c.household):
			return outcome{}
		case access.Sees(c.household):
			return outcome{code: connect.CodePermissionDenied}
		default:
			return outcome{code: connect.CodeNotFound}
		}
	case access.Organization:
		if rule.Allows(c.org) {
			return outcome{}
		}
		return outcome{code: connect.CodePermissionDenied}
	case access.Person:
		if rule.Allows(c.person) {
			return outcome{}
		}
		return outcome{code: connect.CodePermissionDenied}
	case access.Region:
		if rule.Allows(c.region) {
			return outcome{}
		}
		return outcome{code: connect.CodePermissionDenied}
	case access.Visible:
		if procedure == "/veilig.v1.SyncService/Subscribe" {
			return outcome{}
		}
		sees := access.Sees(c.household)
		return outcome{listed: &sees}
	default:
		return outcome{}
	}
}

// rpc calls one procedure as the holder of tok, aimed at the matrix's household (or
// organization O); reset, when set, undoes what a successful call changed, so every cell
// starts from the same fixture.
type rpc struct {
	call  func(ctx context.Context, tok string) outcome
	reset func(t *testing.T)
}

func (b *bundle) matrixCalls(m *matrix) map[string]rpc {
	listed := func(ok bool) *bool { return &ok }
	plain := func(err error) outcome { return outcome{code: codeOf(err)} }
	entry := func(id string) *veiligv1.PlanEntry {
		return &veiligv1.PlanEntry{Id: id, Content: &veiligv1.PlanEntry_Agreement{Agreement: &veiligv1.Agreement{
			Who: "Moeder", What: "belt de buurvrouw", Status: veiligv1.AgreementStatus_AGREEMENT_STATUS_ACTIVE}}}
	}
	schedule := &veiligv1.UpsertScheduleRequest{HouseholdId: m.h, ScheduleId: m.schedule, Rule: "FREQ=DAILY", LocalTime: "18:00",
		GraceMinutes: 60, Channel: veiligv1.Channel_CHANNEL_PHONE_CALL, LeadProfessionalId: m.lead, StartDate: "2026-11-01"}
	return map[string]rpc{
		"/veilig.v1.DirectoryService/GetMe": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.directory.GetMe(ctx, as(tok, &veiligv1.GetMeRequest{}))
			return plain(err)
		}},
		"/veilig.v1.DirectoryService/ListOrganizations": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.directory.ListOrganizations(ctx, as(tok, &veiligv1.ListOrganizationsRequest{}))
			return plain(err)
		}},
		"/veilig.v1.DirectoryService/ListTeams": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.directory.ListTeams(ctx, as(tok, &veiligv1.ListTeamsRequest{}))
			return plain(err)
		}},
		"/veilig.v1.DirectoryService/ListProfessionals": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.directory.ListProfessionals(ctx, as(tok, &veiligv1.ListProfessionalsRequest{OrganizationId: m.orgO}))
			return plain(err)
		}},
		"/veilig.v1.DirectoryService/UpsertProfessional": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.directory.UpsertProfessional(ctx, as(tok, &veiligv1.UpsertProfessionalRequest{Professional: &veiligv1.Professional{
				Id: m.orgMate, OrganizationId: m.orgO, DisplayName: "P " + m.orgMate[:4], Role: veiligv1.Role_ROLE_PROFESSIONAL}}))
			return plain(err)
		}},
		"/veilig.v1.HouseholdService/ListHouseholds": {call: func(ctx context.Context, tok string) outcome {
			res, err := b.household.ListHouseholds(ctx, as(tok, &veiligv1.ListHouseholdsRequest{PageSize: 50}))
			if err != nil {
				return plain(err)
			}
			return outcome{listed: listed(slices.ContainsFunc(res.Msg.GetHouseholds(), func(h *veiligv1.Household) bool { return h.GetId() == m.h }))}
		}},
		"/veilig.v1.HouseholdService/GetHousehold": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.household.GetHousehold(ctx, as(tok, &veiligv1.GetHouseholdRequest{HouseholdId: m.h}))
			return plain(err)
		}},
		"/veilig.v1.HouseholdService/SetCareTeamMember": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.household.SetCareTeamMember(ctx, as(tok, &veiligv1.SetCareTeamMemberRequest{HouseholdId: m.h, ProfessionalId: m.member}))
			return plain(err)
		}},
		"/veilig.v1.HouseholdService/RemoveCareTeamMember": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.household.RemoveCareTeamMember(ctx, as(tok, &veiligv1.RemoveCareTeamMemberRequest{HouseholdId: m.h, ProfessionalId: m.removable}))
			return plain(err)
		}, reset: func(t *testing.T) {
			err := b.store.CareTeamMemberSet(context.Background(), store.CareTeamMemberSetParams{
				Member: store.CareTeamMember{HouseholdID: m.h, ProfessionalID: m.removable}, Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
		}},
		"/veilig.v1.PlanService/GetPlan": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.plan.GetPlan(ctx, as(tok, &veiligv1.GetPlanRequest{HouseholdId: m.h}))
			return plain(err)
		}},
		"/veilig.v1.PlanService/UpsertPlanEntry": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.plan.UpsertPlanEntry(ctx, as(tok, &veiligv1.UpsertPlanEntryRequest{HouseholdId: m.h, Entry: entry(uuid.NewString())}))
			return plain(err)
		}},
		"/veilig.v1.PlanService/DeletePlanEntry": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.plan.DeletePlanEntry(ctx, as(tok, &veiligv1.DeletePlanEntryRequest{HouseholdId: m.h, EntryId: m.entry}))
			return plain(err)
		}},
		"/veilig.v1.CheckInService/ListSchedules": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.checkIn.ListSchedules(ctx, as(tok, &veiligv1.ListSchedulesRequest{HouseholdId: m.h}))
			return plain(err)
		}},
		"/veilig.v1.CheckInService/ListCheckIns": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.checkIn.ListCheckIns(ctx, as(tok, &veiligv1.ListCheckInsRequest{HouseholdId: m.h}))
			return plain(err)
		}},
		"/veilig.v1.CheckInService/UpsertSchedule": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.checkIn.UpsertSchedule(ctx, as(tok, schedule))
			return plain(err)
		}},
		"/veilig.v1.CheckInService/RecordCheckIn": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.checkIn.RecordCheckIn(ctx, as(tok, &veiligv1.RecordCheckInRequest{HouseholdId: m.h, CheckInId: uuid.NewString(),
				Channel: veiligv1.Channel_CHANNEL_HOME_VISIT, Outcome: veiligv1.Outcome_OUTCOME_SAFE}))
			return plain(err)
		}},
		"/veilig.v1.SyncService/Push": {call: func(ctx context.Context, tok string) outcome {
			stamp := hlc.New(testNow, 0)
			res, err := b.sync.Push(ctx, as(tok, &veiligv1.PushRequest{Mutations: []*veiligv1.Mutation{
				planEdit(m.h, uuid.NewString(), "agreement", stamp, stamp, "who", "Oma", "what", "haalt de kinderen op")}}))
			if err != nil {
				return plain(err)
			}
			if r := res.Msg.GetResults(); len(r) != 1 || r[0].GetOutcome() == veiligv1.MutationOutcome_MUTATION_OUTCOME_REJECTED {
				return outcome{code: connect.CodeNotFound} // rejected alone: the household is not visible
			}
			return outcome{}
		}},
		"/veilig.v1.SyncService/Pull": {call: func(ctx context.Context, tok string) outcome {
			res, err := b.sync.Pull(ctx, as(tok, &veiligv1.PullRequest{}))
			if err != nil {
				return plain(err)
			}
			return outcome{listed: listed(changesFor(res.Msg, m.h) != nil)}
		}},
		"/veilig.v1.SyncService/Subscribe": {call: func(ctx context.Context, tok string) outcome {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			stream, err := b.sync.Subscribe(ctx, as(tok, &veiligv1.SubscribeRequest{}))
			if err != nil {
				return plain(err)
			}
			defer stream.Close()
			if !stream.Receive() {
				return plain(stream.Err())
			}
			return outcome{}
		}},
		"/veilig.v1.AlertService/GetAlert": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.alert.GetAlert(ctx, as(tok, &veiligv1.GetAlertRequest{AlertId: m.alert}))
			return plain(err)
		}},
		"/veilig.v1.AlertService/ListAlerts": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.alert.ListAlerts(ctx, as(tok, &veiligv1.ListAlertsRequest{HouseholdId: m.h}))
			return plain(err)
		}},
		"/veilig.v1.AlertService/AcknowledgeAlert": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.alert.AcknowledgeAlert(ctx, as(tok, &veiligv1.AcknowledgeAlertRequest{AlertId: m.alert}))
			return plain(err)
		}},
		"/veilig.v1.DeviceService/RegisterDevice": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.device.RegisterDevice(ctx, as(tok, &veiligv1.RegisterDeviceRequest{Token: "fcm-" + tok[max(0, len(tok)-12):],
				Platform: veiligv1.Platform_PLATFORM_ANDROID}))
			return plain(err)
		}},
		"/veilig.v1.DeviceService/UnregisterDevice": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.device.UnregisterDevice(ctx, as(tok, &veiligv1.UnregisterDeviceRequest{Token: "fcm-unknown"}))
			return plain(err)
		}},
		"/veilig.v1.DeviceService/ListDevices": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.device.ListDevices(ctx, as(tok, &veiligv1.ListDevicesRequest{ProfessionalId: m.member}))
			return plain(err)
		}},
		"/veilig.v1.DeviceService/RevokeDevice": {call: func(ctx context.Context, tok string) outcome {
			id := uuid.NewString() // a fresh phone of the member for every cell
			if err := b.store.DeviceRecordRegister(ctx, store.DeviceRecord{ID: id, ProfessionalID: m.member, Platform: "android",
				RegisteredAt: time.Now().UTC()}); err != nil {
				return outcome{code: connect.CodeInternal}
			}
			_, err := b.device.RevokeDevice(ctx, as(tok, &veiligv1.RevokeDeviceRequest{DeviceId: id}))
			return plain(err)
		}},
		"/veilig.v1.DirectoryService/DisableProfessional": {call: func(ctx context.Context, tok string) outcome {
			id := uuid.NewString() // a fresh leaver of organization O for every cell
			if err := b.store.ProfessionalUpsert(ctx, store.Professional{ID: id, OrganizationID: m.orgO, DisplayName: "P " + id[:4],
				Role: store.RoleProfessional, CreatedAt: testNow}); err != nil {
				return outcome{code: connect.CodeInternal}
			}
			_, err := b.directory.DisableProfessional(ctx, as(tok, &veiligv1.DisableProfessionalRequest{ProfessionalId: id}))
			return plain(err)
		}},
		"/veilig.v1.DirectoryService/GetPreferences": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.directory.GetPreferences(ctx, as(tok, &veiligv1.GetPreferencesRequest{ProfessionalId: m.member}))
			return plain(err)
		}},
		"/veilig.v1.DirectoryService/SetPreferences": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.directory.SetPreferences(ctx, as(tok, &veiligv1.SetPreferencesRequest{ProfessionalId: m.member,
				Preferences: &veiligv1.Preferences{Language: "en", DigestTimes: []string{"07:30"}, TimeZone: "Europe/Amsterdam"}}))
			return plain(err)
		}},
		"/veilig.v1.FamilyLinkService/CreateCheckInLink": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.familyLink.CreateCheckInLink(ctx, as(tok, &veiligv1.CreateCheckInLinkRequest{HouseholdId: m.h, ValidHours: 24}))
			return plain(err)
		}},
		"/veilig.v1.FamilyLinkService/ListCheckInLinks": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.familyLink.ListCheckInLinks(ctx, as(tok, &veiligv1.ListCheckInLinksRequest{HouseholdId: m.h}))
			return plain(err)
		}},
		"/veilig.v1.AuditService/ListAuditEntries": {call: func(ctx context.Context, tok string) outcome {
			res, err := b.audit.ListAuditEntries(ctx, as(tok, &veiligv1.ListAuditEntriesRequest{OrganizationId: m.orgO, PageSize: 1000}))
			if err != nil {
				return plain(err)
			}
			// Own organization's staff only.
			for _, e := range res.Msg.GetEntries() {
				if e.GetOrganizationId() != m.orgO {
					return outcome{code: connect.CodeInternal}
				}
			}
			return outcome{}
		}},
		"/veilig.v1.AuditService/ListHouseholdAccess": {call: func(ctx context.Context, tok string) outcome {
			res, err := b.audit.ListHouseholdAccess(ctx, as(tok, &veiligv1.ListHouseholdAccessRequest{HouseholdId: m.h, PageSize: 1000}))
			if err != nil {
				return plain(err)
			}
			for _, e := range res.Msg.GetEntries() {
				if e.GetHouseholdId() != m.h {
					return outcome{code: connect.CodeInternal}
				}
			}
			return outcome{}
		}},
		"/veilig.v1.AuditService/ExportAuditEntries": {call: func(ctx context.Context, tok string) outcome {
			res, err := b.audit.ExportAuditEntries(ctx, as(tok, &veiligv1.ExportAuditEntriesRequest{OrganizationId: m.orgO,
				Format: veiligv1.ExportFormat_EXPORT_FORMAT_CSV}))
			if err != nil {
				return plain(err)
			}
			if !strings.HasPrefix(string(res.Msg.GetDocument()), "id,at,") || strings.Contains(string(res.Msg.GetDocument()), m.orgP) {
				return outcome{code: connect.CodeInternal} // not a CSV of organization O's staff only
			}
			return outcome{}
		}},
		"/veilig.v1.RegionService/CreateOrganization": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.regionAPI.CreateOrganization(ctx, as(tok, &veiligv1.CreateOrganizationRequest{OrganizationId: uuid.NewString(), Name: "Nieuwe organisatie"}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/RenameOrganization": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.regionAPI.RenameOrganization(ctx, as(tok, &veiligv1.RenameOrganizationRequest{OrganizationId: m.orgP, Name: "Organisatie P"}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/BindIssuer": {call: func(ctx context.Context, tok string) outcome {
			iss := "https://login-" + uuid.NewString()[:8] + ".organisatie-p.example"
			_, err := b.regionAPI.BindIssuer(ctx, as(tok, &veiligv1.BindIssuerRequest{OrganizationId: m.orgP, Issuer: iss,
				JwksUrl: iss + "/jwks", Audience: "veilig"}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/DeactivateOrganization": {call: func(ctx context.Context, tok string) outcome {
			id := uuid.NewString() // a fresh organization for every cell
			if err := b.store.OrganizationUpsert(ctx, store.Organization{ID: id, Name: "Vertrekt", CreatedAt: testNow}); err != nil {
				return outcome{code: connect.CodeInternal}
			}
			_, err := b.regionAPI.DeactivateOrganization(ctx, as(tok, &veiligv1.DeactivateOrganizationRequest{OrganizationId: id}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/SetOrganizationLease": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.regionAPI.SetOrganizationLease(ctx, as(tok, &veiligv1.SetOrganizationLeaseRequest{OrganizationId: m.orgO,
				Change: &veiligv1.SetOrganizationLeaseRequest_Lease{Lease: &veiligv1.LeasePeriods{
					LockAfter: durationpb.New(24 * time.Hour), EraseAfter: durationpb.New(7 * 24 * time.Hour)}}}))
			return plain(err)
		}, reset: func(t *testing.T) {
			if err := b.store.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
				return tx.OrganizationLeaseSet(ctx, m.orgO, store.Lease{})
			}); err != nil {
				t.Fatal(err)
			}
		}},
		"/veilig.v1.RegionService/CreateTeam": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.regionAPI.CreateTeam(ctx, as(tok, &veiligv1.CreateTeamRequest{TeamId: uuid.NewString(), Name: "Nieuw team"}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/RenameTeam": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.regionAPI.RenameTeam(ctx, as(tok, &veiligv1.RenameTeamRequest{TeamId: m.teamU, Name: "Team U"}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/AddTeamMember": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.regionAPI.AddTeamMember(ctx, as(tok, &veiligv1.AddTeamMemberRequest{TeamId: m.teamU, ProfessionalId: freshProfessional(ctx, b, m)}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/RemoveTeamMember": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.regionAPI.RemoveTeamMember(ctx, as(tok, &veiligv1.RemoveTeamMemberRequest{TeamId: m.teamU, ProfessionalId: freshProfessional(ctx, b, m)}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/CreateHousehold": {call: func(ctx context.Context, tok string) outcome {
			id := uuid.NewString()
			_, err := b.regionAPI.CreateHousehold(ctx, as(tok, &veiligv1.CreateHouseholdRequest{HouseholdId: id, Code: "HH-" + strings.ToUpper(id[:8]),
				TeamId: m.teamU, DisplayName: "Familie Nieuw", LeadProfessionalId: freshProfessional(ctx, b, m)}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/TransferHousehold": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.regionAPI.TransferHousehold(ctx, as(tok, &veiligv1.TransferHouseholdRequest{HouseholdId: freshHousehold(ctx, b, m), TeamId: m.teamU}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/CloseHousehold": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.regionAPI.CloseHousehold(ctx, as(tok, &veiligv1.CloseHouseholdRequest{HouseholdId: freshHousehold(ctx, b, m)}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/ReopenHousehold": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.regionAPI.ReopenHousehold(ctx, as(tok, &veiligv1.ReopenHouseholdRequest{HouseholdId: freshHousehold(ctx, b, m)}))
			return plain(err)
		}},
		"/veilig.v1.RegionService/ImportCaseload": {call: func(ctx context.Context, tok string) outcome {
			lead := freshProfessional(ctx, b, m)
			code := "HH-" + strings.ToUpper(uuid.NewString()[:8])
			csv := "code,display_name,team,lead,care_team\n" + code + ",Familie Import,Team U,Organisatie O/" + lead[:8] + "@example.org,\n"
			res, err := b.regionAPI.ImportCaseload(ctx, as(tok, &veiligv1.ImportCaseloadRequest{Csv: []byte(csv)}))
			if err != nil {
				return plain(err)
			}
			if res.Msg.GetCreated() != 1 || !res.Msg.GetApplied() {
				return outcome{code: connect.CodeInternal} // the row was not imported
			}
			return outcome{}
		}},
		"/veilig.v1.HouseholdFileService/RenderPlan": {call: func(ctx context.Context, tok string) outcome {
			res, err := b.file.RenderPlan(ctx, as(tok, &veiligv1.RenderPlanRequest{HouseholdId: m.h, Language: "en"}))
			if err != nil {
				return plain(err)
			}
			if !strings.Contains(string(res.Msg.GetHtml()), "MATRIX-1") {
				return outcome{code: connect.CodeInternal} // not the household's plan
			}
			return outcome{}
		}},
		"/veilig.v1.HouseholdFileService/ExportHousehold": {call: func(ctx context.Context, tok string) outcome {
			res, err := b.file.ExportHousehold(ctx, as(tok, &veiligv1.ExportHouseholdRequest{HouseholdId: m.h}))
			if err != nil {
				return plain(err)
			}
			if !strings.Contains(string(res.Msg.GetDocument()), m.entry) {
				return outcome{code: connect.CodeInternal} // not the household's data
			}
			return outcome{}
		}},
		"/veilig.v1.HouseholdFileService/ImportHousehold": {call: func(ctx context.Context, tok string) outcome {
			// The matrix household's own export: an allowed import finds it present and
			// changes nothing, so every cell starts from the same fixture.
			res, err := b.file.ImportHousehold(ctx, as(tok, &veiligv1.ImportHouseholdRequest{Document: matrixExport(ctx, b, m)}))
			if err != nil {
				return plain(err)
			}
			if !res.Msg.GetAlreadyPresent() || res.Msg.GetHouseholdId() != m.h {
				return outcome{code: connect.CodeInternal}
			}
			return outcome{}
		}},
		"/veilig.v1.FamilyLinkService/RevokeCheckInLink": {call: func(ctx context.Context, tok string) outcome {
			_, err := b.familyLink.RevokeCheckInLink(ctx, as(tok, &veiligv1.RevokeCheckInLinkRequest{HouseholdId: m.h, LinkId: m.link}))
			return plain(err)
		}},
	}
}

// freshProfessional is a new professional of organization O (e-mail: the first 8 characters
// of its id @example.org), so that a matrix cell that adds them changes nothing another cell
// looks at.
func freshProfessional(ctx context.Context, b *bundle, m *matrix) string {
	id := uuid.NewString()
	if err := b.store.ProfessionalUpsert(ctx, store.Professional{ID: id, OrganizationID: m.orgO, DisplayName: "P " + id[:4],
		Email: id[:8] + "@example.org", Role: store.RoleProfessional, CreatedAt: testNow}); err != nil {
		panic(err)
	}
	return id
}

// freshHousehold is a new household of team U with a fresh lead, for cells that move or
// close one.
func freshHousehold(ctx context.Context, b *bundle, m *matrix) string {
	id := uuid.NewString()
	if err := b.store.HouseholdCreate(ctx, store.Household{ID: id, Code: "HH-" + strings.ToUpper(id[:8]), TeamID: m.teamU,
		DisplayName: "Familie Vers", CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
		panic(err)
	}
	return id
}

// apiProcedures lists every RPC of the API from the service descriptors, so that a new RPC
// without a row in the matrix fails it.
func apiProcedures(t *testing.T) []string {
	out := access.Procedures()
	if len(out) < 20 {
		t.Fatalf("only %d procedures registered", len(out))
	}
	return out
}

// TestAuthorizationMatrix calls every RPC of the API as every kind of caller, over the wire
// with the generated clients, on SQLite and on PostgreSQL, and checks each answer against
// the written policy (package access, docs/access.md).
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	engines := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	}
	for _, engine := range engines {
		t.Run(engine.name, func(t *testing.T) {
			t.Parallel()
			runMatrix(t, engine.url(t))
		})
	}
}

func runMatrix(t *testing.T, database string) {
	ctx := context.Background()
	m := newMatrix()
	idpO := newIDP(t, "https://login.organisatie-o.example")
	idpP := newIDP(t, "https://login.organisatie-p.example")
	b := setupWith(t, options{database: database, seed: func(st *store.DB) { m.seed(t, st) },
		issuers: func(*store.DB, *demo.Region) []auth.IssuerConfig {
			return []auth.IssuerConfig{idpO.config(m.orgO), idpP.config(m.orgP)}
		}})

	// The household's data, written as its lead through the API.
	lead := idpO.token(t, m.lead, time.Hour)
	if _, err := b.plan.UpsertPlanEntry(ctx, as(lead, &veiligv1.UpsertPlanEntryRequest{HouseholdId: m.h, Entry: &veiligv1.PlanEntry{
		Id: m.entry, Content: &veiligv1.PlanEntry_Agreement{Agreement: &veiligv1.Agreement{Who: "Vader", What: "blijft weg",
			Status: veiligv1.AgreementStatus_AGREEMENT_STATUS_ACTIVE}}}})); err != nil {
		t.Fatal(err)
	}
	link, err := b.familyLink.CreateCheckInLink(ctx, as(lead, &veiligv1.CreateCheckInLinkRequest{HouseholdId: m.h, ValidHours: 24}))
	if err != nil {
		t.Fatal(err)
	}
	m.link = link.Msg.GetLink().GetId()

	careTeam := []access.Relation{access.CareTeam}
	callers := []caller{
		{name: "lead", id: m.lead, token: lead, household: []access.Relation{access.Lead, access.CareTeam}},
		{name: "care-team member", id: m.member, token: idpO.token(t, m.member, time.Hour), household: careTeam, person: []access.Relation{access.Owner}},
		{name: "same-team non-member", id: m.teamMate, token: idpO.token(t, m.teamMate, time.Hour)},
		{name: "same-organization non-member", id: m.orgMate, token: idpO.token(t, m.orgMate, time.Hour)},
		{name: "other organization", id: m.foreign, token: idpP.token(t, m.foreign, time.Hour)},
		{name: "supervisor of the team", id: m.supervisor, token: idpO.token(t, m.supervisor, time.Hour), household: []access.Relation{access.TeamSupervisor}},
		{name: "supervisor of another team", id: m.otherSuper, token: idpO.token(t, m.otherSuper, time.Hour)},
		{name: "organization admin (own)", id: m.adminO, token: idpO.token(t, m.adminO, time.Hour), org: []access.Relation{access.OrganizationAdmin},
			person: []access.Relation{access.OrganizationAdmin}},
		{name: "organization admin (other)", id: m.adminP, token: idpP.token(t, m.adminP, time.Hour)},
		{name: "privacy officer (own organization, which works on the household)", id: m.officerO, token: idpO.token(t, m.officerO, time.Hour),
			household: []access.Relation{access.HouseholdPrivacyOfficer}, org: []access.Relation{access.PrivacyOfficer}},
		{name: "privacy officer (other organization)", id: m.officerP, token: idpP.token(t, m.officerP, time.Hour)},
		{name: "regional administrator", id: m.regional, token: idpO.token(t, m.regional, time.Hour),
			org: []access.Relation{access.RegionalAdmin}, region: []access.Relation{access.RegionalAdmin}},
		{name: "token of another organization's issuer", token: idpP.token(t, m.lead, time.Hour), refused: connect.CodePermissionDenied},
		{name: "expired token", token: idpO.tokenAt(t, m.lead, time.Now().Add(-3*time.Hour), time.Hour), refused: connect.CodeUnauthenticated},
		{name: "unknown user", token: idpO.token(t, uuid.NewString(), time.Hour), refused: connect.CodePermissionDenied},
		{name: "no token", token: "", refused: connect.CodeUnauthenticated},
	}

	calls := b.matrixCalls(m)
	cells := 0
	for _, proc := range apiProcedures(t) {
		r, ok := calls[proc]
		if !ok {
			t.Errorf("%s has no row in the authorization matrix", proc)
			continue
		}
		for _, c := range callers {
			want := expect(proc, c)
			before := auditHeads(t, b.store)
			got := r.call(ctx, c.token)
			cells++
			if got.String() != want.String() {
				t.Errorf("%s as %s: got %v, want %v (docs/access.md)", proc, c.name, got, want)
			}
			if problem := checkAudit(proc, c, m, want, newRecords(t, b.store, before)); problem != "" {
				t.Errorf("%s as %s: access log: %s", proc, c.name, problem)
			}
			if r.reset != nil && got.code == 0 {
				r.reset(t)
			}
		}
	}
	if want := len(calls) * len(callers); cells != want {
		t.Errorf("checked %d cells, want %d", cells, want)
	}
}

// auditHeads is every chain's last position: what a cell's new records come after.
func auditHeads(t *testing.T, st *store.DB) map[string]int64 {
	t.Helper()
	heads, err := st.AuditHeadList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, h := range heads {
		out[h.ChainID] = h.Seq
	}
	return out
}

// newRecords lists the records appended after the heads before: for every chain that
// moved, its positions past the old head. (Reading only those keeps the matrix from
// reading the whole log once per cell.)
func newRecords(t *testing.T, st *store.DB, before map[string]int64) []*store.AuditEvent {
	t.Helper()
	var out []*store.AuditEvent
	for chain, seq := range auditHeads(t, st) {
		old := before[chain]
		if seq == old {
			continue
		}
		rows, err := st.AuditListPage(context.Background(), store.AuditPageParams{AfterChainID: chain, AfterSeq: old, Limit: int(seq-old) + 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range rows {
			if e.ChainID == chain && e.Seq > old {
				out = append(out, e)
			}
		}
	}
	return out
}

// allRecords reads the whole access log, in chain order.
func allRecords(t *testing.T, st *store.DB) []*store.AuditEvent {
	t.Helper()
	var out []*store.AuditEvent
	p := store.AuditPageParams{Limit: 1000}
	for {
		rows, err := st.AuditListPage(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
		if len(rows) < p.Limit {
			return out
		}
		last := rows[len(rows)-1]
		p.AfterChainID, p.AfterSeq, p.AfterID = last.ChainID, last.Seq, last.ID
	}
}

// checkAudit says what is wrong with the records one cell of the matrix left, by the policy
// (issue 12, acceptance 2): a caller who signs in nobody leaves none (the server's request log
// has it); an allowed call on a household or an organization leaves allowed records, a
// refused one exactly one denied record; a filtered list leaves one allowed record per
// household it returned; device calls and streams leave one allowed record; allowed calls on
// a person (device records, disabling) leave allowed records; a call on a person's preferences
// leaves exactly one record naming the person, allowed or denied with its reason; the caller's
// own profile and the organization names leave none. Every record names the caller.
func checkAudit(proc string, c caller, m *matrix, want outcome, recs []*store.AuditEvent) string {
	var outcomes []string
	for _, e := range recs {
		outcomes = append(outcomes, e.Action+":"+string(e.Outcome))
		if e.ProfessionalID != c.id || e.ActorKind != store.ActorProfessional || e.ChainID == "" || e.Hash == "" {
			return fmt.Sprintf("record %+v does not name the caller %s, or is not chained", e, c.id)
		}
	}
	all := func(o store.AuditOutcome) bool {
		return !slices.ContainsFunc(recs, func(e *store.AuditEvent) bool { return e.Outcome != o })
	}
	rule := access.For(proc)
	switch {
	case c.refused != 0:
		if len(recs) != 0 {
			return fmt.Sprintf("%v, want none for a caller who signs in nobody", outcomes)
		}
	case rule.Object == access.Household || rule.Object == access.Organization || rule.Object == access.Region:
		if want.code == 0 && (len(recs) == 0 || !all(store.AuditAllowed)) {
			return fmt.Sprintf("%v, want allowed records only", outcomes)
		}
		if want.code != 0 && (len(recs) != 1 || recs[0].Outcome != store.AuditDenied || recs[0].Reason == "") {
			return fmt.Sprintf("%v, want one denied record with its reason", outcomes)
		}
		if rule.Object == access.Household && recs[0].HouseholdID != m.h {
			return fmt.Sprintf("record of household %s, want %s", recs[0].HouseholdID, m.h)
		}
	case proc == "/veilig.v1.DirectoryService/GetPreferences" || proc == "/veilig.v1.DirectoryService/SetPreferences":
		o := store.AuditAllowed
		if want.code != 0 {
			o = store.AuditDenied
		}
		if len(recs) != 1 || recs[0].Outcome != o || recs[0].SubjectID != m.member || recs[0].HouseholdID != "" || (o == store.AuditDenied && recs[0].Reason == "") {
			return fmt.Sprintf("%v, want one %s record about the member, with no household", outcomes, o)
		}
	case rule.Object == access.Person && want.code == 0:
		// Device records and disabling: the call on a person is recorded when it is allowed.
		if len(recs) == 0 || !all(store.AuditAllowed) {
			return fmt.Sprintf("%v, want allowed records only", outcomes)
		}
	case rule.Object == access.Visible && proc == "/veilig.v1.SyncService/Subscribe",
		proc == "/veilig.v1.DeviceService/RegisterDevice", proc == "/veilig.v1.DeviceService/UnregisterDevice":
		if len(recs) != 1 || !all(store.AuditAllowed) {
			return fmt.Sprintf("%v, want one allowed record", outcomes)
		}
	case rule.Object == access.Visible:
		listed := slices.ContainsFunc(recs, func(e *store.AuditEvent) bool { return e.HouseholdID == m.h })
		if !all(store.AuditAllowed) || listed != *want.listed {
			return fmt.Sprintf("%v, want an allowed record for each household listed (listed: %v)", outcomes, *want.listed)
		}
	default:
		if len(recs) != 0 {
			return fmt.Sprintf("%v, want none", outcomes)
		}
	}
	return ""
}

// matrixBundle serves the matrix fixture on SQLite with an identity provider per
// organization.
func matrixBundle(t *testing.T) (*bundle, *matrix, *idp) {
	t.Helper()
	m := newMatrix()
	idpO := newIDP(t, "https://login.organisatie-o.example")
	idpP := newIDP(t, "https://login.organisatie-p.example")
	b := setupWith(t, options{seed: func(st *store.DB) { m.seed(t, st) },
		issuers: func(*store.DB, *demo.Region) []auth.IssuerConfig {
			return []auth.IssuerConfig{idpO.config(m.orgO), idpP.config(m.orgP)}
		}})
	return b, m, idpO
}

// grants lists the access records of directory and care-team grants about subject.
func grants(t *testing.T, b *bundle, householdID, subject string) []string {
	t.Helper()
	events, err := b.store.AuditListByHousehold(context.Background(), householdID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		if e.SubjectID == subject {
			out = append(out, e.Action+" by "+e.ProfessionalID)
		}
	}
	return out
}

// TestPrivilegeChainEnds reproduces the chain of issue 11 point 3: an admin who sees no
// household makes a colleague supervisor (recorded), the colleague then tries to put the
// admin into a care team (refused: admins hold no relation to households), and the admin
// cannot read the plan even when listed in a care team from before. An admin cannot change
// their own entry.
func TestPrivilegeChainEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, m, idpO := matrixBundle(t)
	admin := idpO.token(t, m.adminO, time.Hour)

	_, err := b.directory.UpsertProfessional(ctx, as(admin, &veiligv1.UpsertProfessionalRequest{Professional: &veiligv1.Professional{
		Id: m.teamMate, OrganizationId: m.orgO, DisplayName: "Collega", Role: veiligv1.Role_ROLE_SUPERVISOR}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := grants(t, b, "", m.teamMate); !slices.Equal(got, []string{"professional.write by " + m.adminO}) {
		t.Fatalf("the role grant is not recorded: %v", got)
	}
	colleague := idpO.token(t, m.teamMate, time.Hour)
	_, err = b.household.SetCareTeamMember(ctx, as(colleague, &veiligv1.SetCareTeamMemberRequest{HouseholdId: m.h, ProfessionalId: m.adminO, Lead: true}))
	wantCode(t, err, connect.CodeInvalidArgument)

	// A grant the colleague may make (a supervisor of the household's team) is recorded with
	// whom it is about.
	_, err = b.household.SetCareTeamMember(ctx, as(colleague, &veiligv1.SetCareTeamMemberRequest{HouseholdId: m.h, ProfessionalId: m.orgMate}))
	if err != nil {
		t.Fatal(err)
	}
	if got := grants(t, b, m.h, m.orgMate); !slices.Equal(got, []string{"careteam.write by " + m.teamMate}) {
		t.Fatalf("the care-team grant is not recorded: %v", got)
	}

	// An admin listed in a care team from before the rule still sees nothing.
	if err := b.store.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: m.h, ProfessionalID: m.adminO}, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	_, err = b.plan.GetPlan(ctx, as(admin, &veiligv1.GetPlanRequest{HouseholdId: m.h}))
	wantCode(t, err, connect.CodeNotFound)
	list, err := b.household.ListHouseholds(ctx, as(admin, &veiligv1.ListHouseholdsRequest{}))
	if err != nil || len(list.Msg.GetHouseholds()) != 0 {
		t.Fatalf("an admin lists households: %v %v", list, err)
	}

	_, err = b.directory.UpsertProfessional(ctx, as(admin, &veiligv1.UpsertProfessionalRequest{Professional: &veiligv1.Professional{
		Id: m.adminO, OrganizationId: m.orgO, DisplayName: "Zelf", Role: veiligv1.Role_ROLE_SUPERVISOR}}))
	wantCode(t, err, connect.CodePermissionDenied)
	if !strings.Contains(b.logs.String(), "access refused by the policy") {
		t.Fatal("the refusals are not logged")
	}
}

// TestCareTeamIsManagedByLeadOrTeamSupervisor reproduces issue 11 point 5: a supervisor who
// is an ordinary member of a household's care team (supervising another team) may neither
// make themselves lead nor remove the lead; the refusal is logged with ids only.
func TestCareTeamIsManagedByLeadOrTeamSupervisor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, m, idpO := matrixBundle(t)
	if err := b.store.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: m.h, ProfessionalID: m.otherSuper}, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	other := idpO.token(t, m.otherSuper, time.Hour)
	_, err := b.household.SetCareTeamMember(ctx, as(other, &veiligv1.SetCareTeamMemberRequest{HouseholdId: m.h, ProfessionalId: m.otherSuper, Lead: true}))
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = b.household.RemoveCareTeamMember(ctx, as(other, &veiligv1.RemoveCareTeamMemberRequest{HouseholdId: m.h, ProfessionalId: m.lead}))
	wantCode(t, err, connect.CodePermissionDenied)
	team, err := b.store.CareTeamMemberList(ctx, m.h)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(team, func(c *store.CareTeamMember) bool { return c.ProfessionalID == m.lead && c.Lead }) {
		t.Fatal("the lead was changed")
	}
	refusals := 0
	for _, line := range logLines(t, b.logs.String()) {
		if line["message"] == "access refused by the policy" && line["professional_id"] == m.otherSuper && line["household_id"] == m.h {
			refusals++
		}
	}
	if refusals != 2 {
		t.Fatalf("%d refusals logged, want 2", refusals)
	}
	// The supervisor of the household's own team may.
	sup := idpO.token(t, m.supervisor, time.Hour)
	if _, err := b.household.SetCareTeamMember(ctx, as(sup, &veiligv1.SetCareTeamMemberRequest{HouseholdId: m.h, ProfessionalId: m.member, Lead: true})); err != nil {
		t.Fatal(err)
	}
}

// TestProfessionalFoundByIssuerAndSubject: an identity provider's own subjects name
// professionals through their binding, and the issuer must still be bound to the
// professional's organization: a binding cannot let provider P sign in as someone of O.
func TestProfessionalFoundByIssuerAndSubject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMatrix()
	idpO := newIDP(t, "https://login.organisatie-o.example")
	idpP := newIDP(t, "https://login.organisatie-p.example")
	b := setupWith(t, options{seed: func(st *store.DB) {
		m.seed(t, st)
		for _, id := range []store.ProfessionalIdentity{
			{Issuer: idpO.issuer, Subject: "alice@organisatie-o", ProfessionalID: m.member},
			{Issuer: idpP.issuer, Subject: "mallory", ProfessionalID: m.lead},
		} {
			if err := st.ProfessionalIdentityUpsert(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}, issuers: func(*store.DB, *demo.Region) []auth.IssuerConfig {
		return []auth.IssuerConfig{idpO.config(m.orgO), idpP.config(m.orgP)}
	}})
	me, err := b.directory.GetMe(ctx, as(idpO.token(t, "alice@organisatie-o", time.Hour), &veiligv1.GetMeRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if me.Msg.GetProfessional().GetId() != m.member {
		t.Fatalf("signed in as %s, want the bound professional", me.Msg.GetProfessional().GetId())
	}
	_, err = b.directory.GetMe(ctx, as(idpP.token(t, "mallory", time.Hour), &veiligv1.GetMeRequest{}))
	wantCode(t, err, connect.CodePermissionDenied)
	if !strings.Contains(b.logs.String(), "bound to another organization") {
		t.Fatal("the refusal is not logged")
	}
}
