// Package storetest is the conformance suite of *store.DB: every engine runs the same
// tests, so that the embedded SQLite default and PostgreSQL/CockroachDB behave alike.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// Exercise runs the suite, its tests in parallel. open must return, for each call, a driver
// on a new, empty database that was never migrated, and close it when t ends.
func Exercise(t *testing.T, open func(t testing.TB) store.Driver) {
	t.Run("a new database has migrations pending", func(t *testing.T) {
		t.Parallel()
		s := store.New(open(t))
		pending, err := s.MigrationsPending(ctx())
		must(t, err)
		equal(t, "pending", pending, true)
		before, err := s.MigrationStatus(ctx())
		must(t, err)
		if len(before) == 0 {
			t.Fatal("MigrationStatus lists no migrations")
		}
		for i, m := range before {
			equal(t, "applied before Migrate: "+m.String(), m.Applied, false)
			if m.Name == "" || (i > 0 && m.Version <= before[i-1].Version) {
				t.Errorf("MigrationStatus[%d] = %+v: want a name and ascending versions", i, m)
			}
		}
		applied, err := s.MigrateUp(ctx())
		must(t, err)
		equal(t, "migrations applied by the first MigrateUp", len(applied), len(before))
		for i, m := range applied {
			equal(t, "applied", m.String(), before[i].String())
		}
		pending, err = s.MigrationsPending(ctx())
		must(t, err)
		equal(t, "pending after Migrate", pending, false)
		again, err := s.MigrateUp(ctx())
		must(t, err)
		equal(t, "migrations applied by a second MigrateUp", len(again), 0)
		after, err := s.MigrationStatus(ctx())
		must(t, err)
		equal(t, "migrations listed after MigrateUp", len(after), len(before))
		for _, m := range after {
			equal(t, "applied after Migrate: "+m.String(), m.Applied, true)
		}
	})
	tests := []struct {
		name string
		run  func(*testing.T, *store.DB)
	}{
		{"migrate is idempotent", testMigrate},
		{"organizations", testOrganizations},
		{"organizations: an own offline lease is set, read with each professional, and cleared", testOrganizationLease},
		{"professionals", testProfessionals},
		{"preferences", testPreferences},
		{"teams and members", testTeams},
		{"households", testHouseholds},
		{"visibility", testVisibility},
		{"care team", testCareTeam},
		{"plan entries", testPlanEntries},
		{"schedules", testSchedules},
		{"check-ins", testCheckIns},
		{"audit", testAudit},
		{"retention: a closed household is erased after its retention period", testRetention},
		{"retention: erasure runs in bounded batches, oldest closing first", testRetentionBatches},
		{"audit: concurrent appends to one chain take each position once", testAuditConcurrentAppends},
		{"audit: the latest checkpoint", testAuditCheckpointLatest},
		{"audit retention: old entries covered by a signed checkpoint are cut, and verify stays clean", testAuditCut},
		{"audit retention: a call is bounded and the pass resumes", testAuditCutBounded},
		{"audit retention: a chain tampered with before the cut is not cut", testAuditCutTampering},
		{"audit retention: a forged cut or a kept entry deleted after a cut is reported", testAuditCutForged},
		{"audit retention: cuts from two replicas beside concurrent appends cut each entry once", testAuditCutConcurrent},
		{"version is a gap-free cursor under concurrent writers", testConcurrentVersions},
		{"sync: push and pull", testSyncPushAndPull},
		{"sync: a re-pushed batch applies nothing twice", testSyncIdempotent},
		{"sync: a mutation id answers only its sender, for its household", testSyncMutationIDsAreScoped},
		{"sync: concurrent pushes of the same ids apply each once", testSyncConcurrentSameIDs},
		{"sync: a concurrent edit is kept as a conflict and resolved", testSyncConflict},
		{"sync: an edit beats a concurrent delete", testSyncEditBeatsDelete},
		{"sync: bad mutations are rejected alone", testSyncRejections},
		{"sync: losing access evicts", testSyncEviction},
		{"sync: pull pages are bounded in bytes", testSyncPaging},
		{"sync: one large household is paged within the asked size, skipping nothing", testSyncLargeHouseholdPaged},
		{"sync: one push larger than a page is paged within the asked size too", testSyncSinglePushPaged},
	}
	t.Run("household file: read, and written into an empty store", func(t *testing.T) {
		t.Parallel()
		testHouseholdFile(t, Open(t, open), Open(t, open))
	})
	tests = append(tests, remindersTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, Open(t, open))
		})
	}
}

// Open returns the storage core over a new driver from open, migrated.
func Open(t testing.TB, open func(t testing.TB) store.Driver) *store.DB {
	t.Helper()
	s := store.New(open(t))
	must(t, s.Migrate(ctx()))
	return s
}

// t0 has microsecond precision: both engines store microseconds.
var t0 = time.Date(2026, 3, 29, 1, 30, 0, 123456000, time.UTC)

func ctx() context.Context { return context.Background() }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func ids[T any](items []*T, id func(*T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func equalIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func testMigrate(t *testing.T, s *store.DB) {
	must(t, s.Migrate(ctx()))
	must(t, s.Ping(ctx()))
	pending, err := s.MigrationsPending(ctx())
	must(t, err)
	equal(t, "migrations pending after Migrate", pending, false)
}

func testOrganizations(t *testing.T, s *store.DB) {
	_, err := s.OrganizationGet(ctx(), "org-missing")
	wantErr(t, err, store.ErrNotFound)
	must(t, s.OrganizationUpsert(ctx(), store.Organization{ID: "org-b", Name: "Veilig Thuis", CreatedAt: t0}))
	must(t, s.OrganizationUpsert(ctx(), store.Organization{ID: "org-a", Name: "Jeugdzorg", CreatedAt: t0}))
	must(t, s.OrganizationUpsert(ctx(), store.Organization{ID: "org-a", Name: "Jeugdzorg Amsterdam", CreatedAt: t0.Add(time.Hour)}))
	got, err := s.OrganizationGet(ctx(), "org-a")
	must(t, err)
	equal(t, "name after re-upsert", got.Name, "Jeugdzorg Amsterdam")
	equal(t, "created_at is kept", got.CreatedAt, t0)
	list, err := s.OrganizationList(ctx())
	must(t, err)
	equalIDs(t, "organizations", ids(list, func(o *store.Organization) string { return o.ID }), []string{"org-a", "org-b"})
}

func seedDirectory(t testing.TB, s *store.DB) {
	t.Helper()
	must(t, s.OrganizationUpsert(ctx(), store.Organization{ID: "org-1", Name: "Org 1", CreatedAt: t0}))
	must(t, s.OrganizationUpsert(ctx(), store.Organization{ID: "org-2", Name: "Org 2", CreatedAt: t0}))
	people := []store.Professional{
		{ID: "p-care", OrganizationID: "org-1", DisplayName: "Anna de Vries", Email: "anna@example.org", Phone: "+31201234567", Role: store.RoleProfessional},
		{ID: "p-colleague", OrganizationID: "org-2", DisplayName: "Bram Jansen", Role: store.RoleProfessional},
		{ID: "p-super", OrganizationID: "org-1", DisplayName: "Carla Bakker", Role: store.RoleSupervisor},
		{ID: "p-other-super", OrganizationID: "org-2", DisplayName: "Dirk Visser", Role: store.RoleSupervisor},
		{ID: "p-admin", OrganizationID: "org-1", DisplayName: "Eva Smit", Role: store.RoleAdmin},
	}
	for _, p := range people {
		p.CreatedAt = t0
		must(t, s.ProfessionalUpsert(ctx(), p))
	}
	must(t, s.TeamUpsert(ctx(), store.Team{ID: "team-north", Name: "Noord", CreatedAt: t0}))
	must(t, s.TeamUpsert(ctx(), store.Team{ID: "team-south", Name: "Zuid", CreatedAt: t0}))
	for _, m := range []store.TeamMember{
		{TeamID: "team-north", ProfessionalID: "p-care"},
		{TeamID: "team-north", ProfessionalID: "p-colleague"},
		{TeamID: "team-north", ProfessionalID: "p-super"},
		{TeamID: "team-south", ProfessionalID: "p-other-super"},
	} {
		must(t, s.TeamMemberAdd(ctx(), m))
	}
}

func testProfessionals(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	_, err := s.ProfessionalGet(ctx(), "p-missing")
	wantErr(t, err, store.ErrNotFound)
	p, err := s.ProfessionalGet(ctx(), "p-care")
	must(t, err)
	want := store.Professional{ID: "p-care", OrganizationID: "org-1", DisplayName: "Anna de Vries", Email: "anna@example.org",
		Phone: "+31201234567", Role: store.RoleProfessional, CreatedAt: t0}
	equal(t, "professional", *p, want)

	p.Role, p.DisplayName = store.RoleSupervisor, "Anna de Vries-Bakker"
	must(t, s.ProfessionalUpsert(ctx(), *p))
	p, err = s.ProfessionalGet(ctx(), "p-care")
	must(t, err)
	equal(t, "role after update", p.Role, store.RoleSupervisor)
	equal(t, "name after update", p.DisplayName, "Anna de Vries-Bakker")

	list, err := s.ProfessionalListByOrganization(ctx(), "org-1")
	must(t, err)
	equalIDs(t, "org-1 professionals", ids(list, func(p *store.Professional) string { return p.ID }), []string{"p-admin", "p-care", "p-super"})
	list, err = s.ProfessionalListByOrganization(ctx(), "org-none")
	must(t, err)
	equal(t, "professionals of an unknown organization", len(list), 0)

	// Identities: (issuer, subject) names one professional; rebinding the pair moves it.
	const iss = "https://login.org-1.example"
	_, err = s.ProfessionalGetByIdentity(ctx(), iss, "anna")
	wantErr(t, err, store.ErrNotFound)
	must(t, s.ProfessionalIdentityUpsert(ctx(), store.ProfessionalIdentity{Issuer: iss, Subject: "anna", ProfessionalID: "p-care"}))
	p, err = s.ProfessionalGetByIdentity(ctx(), iss, "anna")
	must(t, err)
	equal(t, "professional by identity", p.ID, "p-care")
	_, err = s.ProfessionalGetByIdentity(ctx(), "https://login.org-2.example", "anna")
	wantErr(t, err, store.ErrNotFound)
	must(t, s.ProfessionalIdentityUpsert(ctx(), store.ProfessionalIdentity{Issuer: iss, Subject: "anna", ProfessionalID: "p-super"}))
	p, err = s.ProfessionalGetByIdentity(ctx(), iss, "anna")
	must(t, err)
	equal(t, "professional by identity after rebinding", p.ID, "p-super")
	if err := s.ProfessionalIdentityUpsert(ctx(), store.ProfessionalIdentity{Issuer: iss, Subject: "x", ProfessionalID: "p-missing"}); err == nil {
		t.Fatal("bound an identity to an unknown professional")
	}
}

func testTeams(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	_, err := s.TeamGet(ctx(), "team-missing")
	wantErr(t, err, store.ErrNotFound)
	must(t, s.TeamUpsert(ctx(), store.Team{ID: "team-north", Name: "Noord-Oost", CreatedAt: t0}))
	team, err := s.TeamGet(ctx(), "team-north")
	must(t, err)
	equal(t, "team", *team, store.Team{ID: "team-north", Name: "Noord-Oost", CreatedAt: t0})
	teams, err := s.TeamList(ctx())
	must(t, err)
	equalIDs(t, "teams", ids(teams, func(t *store.Team) string { return t.ID }), []string{"team-north", "team-south"})

	// Adding twice is a no-op.
	must(t, s.TeamMemberAdd(ctx(), store.TeamMember{TeamID: "team-north", ProfessionalID: "p-care"}))
	members, err := s.TeamMemberList(ctx(), "team-north")
	must(t, err)
	equalIDs(t, "members", ids(members, func(p *store.Professional) string { return p.ID }), []string{"p-care", "p-colleague", "p-super"})

	must(t, s.TeamMemberAdd(ctx(), store.TeamMember{TeamID: "team-south", ProfessionalID: "p-care"}))
	teams, err = s.TeamListByProfessional(ctx(), "p-care")
	must(t, err)
	equalIDs(t, "teams of p-care", ids(teams, func(t *store.Team) string { return t.ID }), []string{"team-north", "team-south"})

	must(t, s.TeamMemberRemove(ctx(), store.TeamMember{TeamID: "team-north", ProfessionalID: "p-care"}))
	must(t, s.TeamMemberRemove(ctx(), store.TeamMember{TeamID: "team-north", ProfessionalID: "p-care"}))
	teams, err = s.TeamListByProfessional(ctx(), "p-care")
	must(t, err)
	equalIDs(t, "teams of p-care after removal", ids(teams, func(t *store.Team) string { return t.ID }), []string{"team-south"})
}

func createHousehold(t testing.TB, s *store.DB, id, team string) {
	t.Helper()
	must(t, s.HouseholdCreate(ctx(), store.Household{ID: id, Code: "HH-" + id, TeamID: team, DisplayName: "Familie " + id, CreatedAt: t0}))
}

func version(t *testing.T, s *store.DB, householdID string) int64 {
	t.Helper()
	h, err := s.HouseholdGet(ctx(), householdID)
	must(t, err)
	return h.Version
}

func testHouseholds(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	h, err := s.HouseholdGet(ctx(), "h1")
	must(t, err)
	equal(t, "household", *h, store.Household{ID: "h1", Code: "HH-h1", TeamID: "team-north", DisplayName: "Familie h1",
		Version: 1, CreatedAt: t0, UpdatedAt: t0})
	_, err = s.HouseholdGet(ctx(), "h-missing")
	wantErr(t, err, store.ErrNotFound)
	err = s.HouseholdCreate(ctx(), store.Household{ID: "h2", Code: "HH-h1", TeamID: "team-north", DisplayName: "x", CreatedAt: t0})
	wantErr(t, err, store.ErrConflict)
}

func testVisibility(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	for i := 1; i <= 5; i++ {
		createHousehold(t, s, fmt.Sprintf("h%d", i), "team-north")
	}
	createHousehold(t, s, "h9", "team-south")
	for _, h := range []string{"h1", "h3", "h4", "h9"} {
		must(t, s.CareTeamMemberSet(ctx(), store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: h, ProfessionalID: "p-care"}, Now: t0}))
	}
	// A supervisor who leads a household of their own team, and an admin listed in a care team
	// (admins hold no relation to households: household_care_team leaves them out).
	must(t, s.CareTeamMemberSet(ctx(), store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: "h2", ProfessionalID: "p-super", Lead: true}, Now: t0}))
	must(t, s.CareTeamMemberSet(ctx(), store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: "h2", ProfessionalID: "p-admin"}, Now: t0}))
	t.Run("relations", func(t *testing.T) {
		for _, tt := range []struct {
			pro, h string
			want   []string
		}{
			{"p-care", "h1", []string{"care_team"}},
			{"p-care", "h2", nil},
			{"p-super", "h1", []string{"team_supervisor"}},
			{"p-super", "h2", []string{"lead", "team_supervisor"}},
			{"p-other-super", "h1", nil},
			{"p-other-super", "h9", []string{"team_supervisor"}},
			{"p-colleague", "h1", nil},
			{"p-admin", "h2", nil},
			{"p-care", "h-missing", nil},
		} {
			got, err := s.HouseholdRelationList(ctx(), tt.pro, tt.h)
			must(t, err)
			slices.Sort(got)
			equal(t, tt.pro+" to "+tt.h, fmt.Sprint(got), fmt.Sprint(tt.want))
		}
	})
	list := func(pro, after string, limit int) []string {
		hs, err := s.HouseholdListVisible(ctx(), store.HouseholdListVisibleParams{ProfessionalID: pro, AfterID: after, Limit: limit})
		must(t, err)
		return ids(hs, func(h *store.Household) string { return h.ID })
	}
	tests := []struct {
		name, pro, after string
		limit            int
		want             []string
	}{
		{"care team member sees assigned households, any team", "p-care", "", 100, []string{"h1", "h3", "h4", "h9"}},
		{"paging: first page", "p-care", "", 2, []string{"h1", "h3"}},
		{"paging: next page", "p-care", "h3", 2, []string{"h4", "h9"}},
		{"supervisor sees every household of the teams they belong to", "p-super", "", 100, []string{"h1", "h2", "h3", "h4", "h5"}},
		{"supervisor of another team sees only that team", "p-other-super", "", 100, []string{"h9"}},
		{"team member outside the care team sees nothing", "p-colleague", "", 100, []string{}},
		{"admin sees no household data", "p-admin", "", 100, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			equalIDs(t, "visible", list(tt.pro, tt.after, tt.limit), tt.want)
			if tt.after != "" || tt.limit < 100 {
				return
			}
			for _, h := range []string{"h1", "h2", "h3", "h4", "h5", "h9", "h-missing"} {
				rels, err := s.HouseholdRelationList(ctx(), tt.pro, h)
				must(t, err)
				equal(t, "can access "+h, len(rels) > 0, slices.Contains(tt.want, h))
			}
		})
	}
}

func testCareTeam(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	set := func(pro string, lead bool, at time.Time) error {
		return s.CareTeamMemberSet(ctx(), store.CareTeamMemberSetParams{
			Member: store.CareTeamMember{HouseholdID: "h1", ProfessionalID: pro, Lead: lead}, Now: at})
	}
	must(t, set("p-care", true, t0.Add(time.Minute)))
	must(t, set("p-colleague", false, t0.Add(2*time.Minute)))
	must(t, set("p-colleague", true, t0.Add(3*time.Minute))) // moves the lead
	members, err := s.CareTeamMemberList(ctx(), "h1")
	must(t, err)
	want := []store.CareTeamMember{{HouseholdID: "h1", ProfessionalID: "p-care"}, {HouseholdID: "h1", ProfessionalID: "p-colleague", Lead: true}}
	if len(members) != 2 || *members[0] != want[0] || *members[1] != want[1] {
		t.Fatalf("care team = %+v, want %+v (exactly one lead)", deref(members), want)
	}
	h, err := s.HouseholdGet(ctx(), "h1")
	must(t, err)
	equal(t, "version after three sets", h.Version, 4)
	equal(t, "updated_at", h.UpdatedAt, t0.Add(3*time.Minute))

	must(t, s.CareTeamMemberRemove(ctx(), store.CareTeamMemberRemoveParams{HouseholdID: "h1", ProfessionalID: "p-care", Now: t0}))
	equal(t, "version after remove", version(t, s, "h1"), 5)
	err = s.CareTeamMemberRemove(ctx(), store.CareTeamMemberRemoveParams{HouseholdID: "h1", ProfessionalID: "p-care", Now: t0})
	wantErr(t, err, store.ErrNotFound)
	equal(t, "a failed remove leaves the version", version(t, s, "h1"), 5)
	err = s.CareTeamMemberSet(ctx(), store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: "h-missing", ProfessionalID: "p-care"}, Now: t0})
	wantErr(t, err, store.ErrNotFound)
}

func deref[T any](ps []*T) []T {
	out := make([]T, 0, len(ps))
	for _, p := range ps {
		out = append(out, *p)
	}
	return out
}

func testPlanEntries(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	createHousehold(t, s, "h2", "team-north")
	upsert := func(household, id string, section change.Section, fields map[string]string, at time.Time) (*store.PlanEntry, error) {
		return s.PlanEntryUpsert(ctx(), store.PlanEntryUpsertParams{
			Entry: store.PlanEntry{ID: id, HouseholdID: household, Section: section, Fields: fields}, UpdatedBy: "p-care", Now: at})
	}
	fields := map[string]string{"name": "Oma Truus", "phone": "+31612345678", "note": "sleutel bij de buren — “altijd”"}
	e, err := upsert("h1", "e2", change.SectionNetworkPerson, fields, t0.Add(time.Minute))
	must(t, err)
	if e.ID != "e2" || e.HouseholdID != "h1" || e.Section != change.SectionNetworkPerson || e.Deleted || e.Version != 2 ||
		e.UpdatedBy != "p-care" || !e.CreatedAt.Equal(t0.Add(time.Minute)) || !e.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("stored entry = %+v", *e)
	}
	if !mapsEqual(e.Fields, fields) {
		t.Errorf("fields = %v, want %v", e.Fields, fields)
	}
	_, err = upsert("h1", "e1", change.SectionDanger, map[string]string{"description": "escalatie bij alcohol"}, t0.Add(2*time.Minute))
	must(t, err)
	e, err = upsert("h1", "e2", change.SectionNetworkPerson, map[string]string{"name": "Oma Truus"}, t0.Add(3*time.Minute))
	must(t, err)
	equal(t, "version of a replaced entry", e.Version, 4)
	equal(t, "created_at survives a replace", e.CreatedAt, t0.Add(time.Minute))
	equal(t, "field removed by replace", len(e.Fields), 1)

	_, err = upsert("h2", "e2", change.SectionDanger, map[string]string{}, t0)
	wantErr(t, err, store.ErrNotFound)
	equal(t, "an entry id of another household writes nothing", version(t, s, "h2"), 1)
	_, err = upsert("h-missing", "e9", change.SectionDanger, map[string]string{}, t0)
	wantErr(t, err, store.ErrNotFound)

	del, err := s.PlanEntryDelete(ctx(), store.PlanEntryDeleteParams{HouseholdID: "h1", EntryID: "e1", UpdatedBy: "p-super", Now: t0.Add(4 * time.Minute)})
	must(t, err)
	if !del.Deleted || del.Version != 5 || del.UpdatedBy != "p-super" {
		t.Errorf("tombstone = %+v", *del)
	}
	_, err = s.PlanEntryDelete(ctx(), store.PlanEntryDeleteParams{HouseholdID: "h2", EntryID: "e2", UpdatedBy: "p-super", Now: t0})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.PlanEntryDelete(ctx(), store.PlanEntryDeleteParams{HouseholdID: "h1", EntryID: "e-missing", UpdatedBy: "p-super", Now: t0})
	wantErr(t, err, store.ErrNotFound)
	equal(t, "failed deletes leave the version", version(t, s, "h1"), 5)

	list := func(withDeleted bool) []string {
		es, err := s.PlanEntryList(ctx(), store.PlanEntryListParams{HouseholdID: "h1", IncludeDeleted: withDeleted})
		must(t, err)
		return ids(es, func(e *store.PlanEntry) string { return fmt.Sprintf("%s@%d", e.ID, e.Version) })
	}
	equalIDs(t, "live entries", list(false), []string{"e2@4"})
	equalIDs(t, "entries with tombstones", list(true), []string{"e1@5", "e2@4"})

	e, err = upsert("h1", "e1", change.SectionDanger, map[string]string{"description": "opnieuw"}, t0.Add(5*time.Minute))
	must(t, err)
	equal(t, "an upsert revives a tombstone", e.Deleted, false)
	equalIDs(t, "live entries after revival", list(false), []string{"e1@6", "e2@4"})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func testSchedules(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	createHousehold(t, s, "h2", "team-north")
	due := t0.Add(24 * time.Hour)
	sc := store.Schedule{ID: "s1", HouseholdID: "h1", Rule: "FREQ=WEEKLY;BYDAY=MO,TH", TimeZone: "Europe/Amsterdam", LocalTime: "18:30",
		GraceMinutes: 90, Channel: "visit", LeadProfessionalID: "p-care", StartDate: "2026-03-01", EndDate: "2026-12-31", NextDueAt: &due}
	got, err := s.ScheduleUpsert(ctx(), store.ScheduleUpsertParams{Schedule: sc, Now: t0})
	must(t, err)
	want := sc
	want.Version, want.CreatedAt, want.UpdatedAt, want.NextDueAt = 2, t0, t0, nil
	got.NextDueAt = nil
	equal(t, "stored schedule", *got, want)

	sc.Paused, sc.NextDueAt, sc.EndDate = true, nil, ""
	_, err = s.ScheduleUpsert(ctx(), store.ScheduleUpsertParams{Schedule: sc, Now: t0.Add(time.Hour)})
	must(t, err)
	got, err = s.ScheduleGet(ctx(), "s1")
	must(t, err)
	if !got.Paused || got.NextDueAt != nil || got.EndDate != "" || got.Version != 3 || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("schedule after update = %+v", *got)
	}
	sc2 := sc
	sc2.ID, sc2.NextDueAt = "s0", &due
	_, err = s.ScheduleUpsert(ctx(), store.ScheduleUpsertParams{Schedule: sc2, Now: t0})
	must(t, err)
	got, err = s.ScheduleGet(ctx(), "s0")
	must(t, err)
	if got.NextDueAt == nil || !got.NextDueAt.Equal(due) {
		t.Errorf("next_due_at = %v, want %v", got.NextDueAt, due)
	}

	list, err := s.ScheduleListByHousehold(ctx(), "h1")
	must(t, err)
	equalIDs(t, "schedules", ids(list, func(s *store.Schedule) string { return s.ID }), []string{"s0", "s1"})

	other := sc
	other.HouseholdID = "h2"
	_, err = s.ScheduleUpsert(ctx(), store.ScheduleUpsertParams{Schedule: other, Now: t0})
	wantErr(t, err, store.ErrNotFound)
	equal(t, "a schedule id of another household writes nothing", version(t, s, "h2"), 1)
	_, err = s.ScheduleGet(ctx(), "s-missing")
	wantErr(t, err, store.ErrNotFound)
}

func testCheckIns(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	for i, at := range []time.Time{t0.Add(time.Hour), t0.Add(3 * time.Hour), t0.Add(2 * time.Hour)} {
		c := change.CheckIn{ID: fmt.Sprintf("c%d", i), HouseholdID: "h1", ScheduleID: "s1", Channel: "visit", Outcome: "ok",
			Note: "alles rustig", RecordedBy: "p-care", RecordedAt: at}
		got, err := s.CheckInAppend(ctx(), c)
		must(t, err)
		c.Version = int64(i + 2)
		equal(t, "stored check-in", *got, c)
	}
	again, err := s.CheckInAppend(ctx(), change.CheckIn{ID: "c0", HouseholdID: "h1", Channel: "phone", Outcome: "contact_requested", RecordedAt: t0})
	must(t, err)
	equal(t, "a re-sent check-in returns the first", again.Outcome, "ok")
	equal(t, "a re-sent check-in is recorded once", version(t, s, "h1"), 4)
	_, err = s.CheckInAppend(ctx(), change.CheckIn{ID: "c9", HouseholdID: "h-missing", Channel: "visit", Outcome: "ok", RecordedAt: t0})
	wantErr(t, err, store.ErrNotFound)

	list, err := s.CheckInListByHousehold(ctx(), "h1", 2)
	must(t, err)
	equalIDs(t, "newest two check-ins", ids(list, func(c *change.CheckIn) string { return c.ID }), []string{"c1", "c2"})
}

func testAudit(t *testing.T, s *store.DB) {
	must(t, s.AuditAppend(ctx(), nil))
	var events []store.AuditEvent
	for i := range 300 {
		h := "h1"
		if i%3 == 0 {
			h = "h2"
		}
		events = append(events, store.AuditEvent{ID: fmt.Sprintf("a%03d", i), At: t0.Add(time.Duration(300-i) * time.Second),
			ProfessionalID: "p-care", DeviceID: "dev-1", Action: "household.read", HouseholdID: h, RequestID: fmt.Sprintf("req-%d", i)})
	}
	must(t, s.AuditAppend(ctx(), events))
	list, err := s.AuditListByHousehold(ctx(), "h1")
	must(t, err)
	equal(t, "h1 audit events", len(list), 200)
	for i := 1; i < len(list); i++ {
		if list[i].At.Before(list[i-1].At) {
			t.Fatalf("audit not oldest first at %d", i)
		}
	}
	got, want := *list[0], events[299]
	want.ActorKind, want.Outcome, want.ChainID = store.ActorProfessional, store.AuditAllowed, "household:h1"
	want.Seq, want.PrevHash, want.Hash = got.Seq, got.PrevHash, got.Hash
	equal(t, "oldest h1 event", got, want)
	equal(t, "its position (events are chained in the order given)", got.Seq, int64(200))
	err = s.AuditAppend(ctx(), events[:1])
	if err == nil {
		t.Error("appending an audit event id twice succeeded")
	}
	rep, err := s.AuditVerify(ctx(), store.AuditVerifyParams{PageSize: 7})
	must(t, err)
	equal(t, "findings", fmt.Sprint(rep.Problems), "[]")
	equal(t, "entries and chains verified", [2]int64{rep.Entries, int64(rep.Chains)}, [2]int64{300, 2})
}

// testAuditConcurrentAppends appends to one chain from many writers at once: every append
// lands, the positions are exactly 1..n, each once, and the chain verifies (a concurrent
// append that read the same head is retried, never given the same position).
func testAuditConcurrentAppends(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ev := []store.AuditEvent{{ID: fmt.Sprintf("w%d-%d", w, i), At: t0, ProfessionalID: "p-care",
					Action: "plan.write", HouseholdID: "h1"}}
				if w%2 == 0 {
					errs <- s.AuditAppend(ctx(), ev)
					continue
				}
				// As a push appends: in a household-locked transaction (READ COMMITTED on
				// PostgreSQL), beside the serializable appends of the other writers.
				errs <- s.InHouseholdTx(ctx(), func(ctx context.Context, tx *store.Tx) error {
					if err := tx.HouseholdLock(ctx, []string{"h1"}); err != nil {
						return err
					}
					return tx.AuditAppend(ctx, ev)
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	list, err := s.AuditListByHousehold(ctx(), "h1")
	must(t, err)
	seen := map[int64]bool{}
	for _, e := range list {
		seen[e.Seq] = true
	}
	for seq := int64(1); seq <= writers*each; seq++ {
		if !seen[seq] {
			t.Errorf("position %d was not taken", seq)
		}
	}
	rep, err := s.AuditVerify(ctx(), store.AuditVerifyParams{})
	must(t, err)
	equal(t, "findings", fmt.Sprint(rep.Problems), "[]")
	equal(t, "entries", rep.Entries, int64(writers*each))
}

// testConcurrentVersions writes one household from many goroutines: every write must land,
// and the versions handed out must be exactly 2..n+1, each once.
func testConcurrentVersions(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := s.PlanEntryUpsert(ctx(), store.PlanEntryUpsertParams{
					Entry:     store.PlanEntry{ID: fmt.Sprintf("e-%d-%d", w, i), HouseholdID: "h1", Section: change.SectionAgreement, Fields: map[string]string{"text": "x"}},
					UpdatedBy: "p-care", Now: t0})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	equal(t, "final version", version(t, s, "h1"), 1+writers*each)
	entries, err := s.PlanEntryList(ctx(), store.PlanEntryListParams{HouseholdID: "h1"})
	must(t, err)
	seen := map[int64]bool{}
	for _, e := range entries {
		seen[e.Version] = true
	}
	equal(t, "entries", len(entries), writers*each)
	equal(t, "distinct versions", len(seen), writers*each)
	for v := int64(2); v <= 1+writers*each; v++ {
		if !seen[v] {
			t.Errorf("version %d handed to no entry", v)
		}
	}
}
