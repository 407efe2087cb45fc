// Package demo seeds a realistic demo region: the six organizations of the Amsterdam
// Blijvend Veilig approach, two multi-organization teams, a dozen professionals (supervisors
// and an admin among them) and 40 households, each with a safety plan and a check-in
// schedule. All people and families are invented.
//
// Ids are derived from names (UUIDv5), so seeding twice writes the same rows again instead
// of a second region: Seed is idempotent.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// namespace makes demo ids stable across runs and machines.
var namespace = uuid.MustParse("0b6f4f0e-5b7a-4c1e-9d56-6f1f2b0c9a11")

func id(kind string, key any) string {
	return uuid.NewSHA1(namespace, fmt.Appendf(nil, "%s/%v", kind, key)).String()
}

// Organizations are the six organizations of the domain.
var Organizations = []string{
	"Veilig Thuis Amsterdam-Amstelland",
	"Jeugdbescherming Regio Amsterdam",
	"Blijf Groep",
	"Samen DOEN",
	"William Schrikker Groep",
	"Raad voor de Kinderbescherming",
}

type person struct {
	name  string
	org   int // index into Organizations
	role  store.Role
	team  int // 0 or 1; -1 for no team
	phone string
}

var people = []person{
	{"Sanne de Boer", 0, store.RoleSupervisor, 0, "+31612000001"},
	{"Youssef El Amrani", 1, store.RoleProfessional, 0, "+31612000002"},
	{"Lotte Visser", 2, store.RoleProfessional, 0, "+31612000003"},
	{"Mehmet Yilmaz", 3, store.RoleProfessional, 0, "+31612000004"},
	{"Anouk Jansen", 4, store.RoleProfessional, 0, "+31612000005"},
	{"Priya Ramdin", 5, store.RoleProfessional, 0, "+31612000006"},
	{"Joris Bakker", 1, store.RoleSupervisor, 1, "+31612000007"},
	{"Fatima Ouali", 0, store.RoleProfessional, 1, "+31612000008"},
	{"Daan Smit", 3, store.RoleProfessional, 1, "+31612000009"},
	{"Eva Mulder", 2, store.RoleProfessional, 1, "+31612000010"},
	{"Kofi Mensah", 4, store.RoleProfessional, 1, "+31612000011"},
	{"Ingrid Vos", 0, store.RoleAdmin, -1, "+31612000012"},
}

var familyNames = []string{
	"De Vries", "Van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer", "De Groot",
	"Mulder", "Bos", "Vos", "Peters", "Hendriks", "Van Leeuwen", "Dekker", "Brouwer",
	"De Wit", "Dijkstra", "Kaya", "Öztürk", "El Idrissi", "Benali", "Kowalski", "Nowak",
	"Pinas", "Sedney", "Van der Berg", "Koster", "Prins", "Huisman", "Kok", "Willems",
	"Boukhari", "Demir", "Çelik", "Wiśniewski", "Tromp", "Lambrechts", "Haddou", "Veenstra",
}

// Households is the number of households Seed creates.
const Households = 40

// Region is what Seed wrote: the ids a person needs to try the API.
type Region struct {
	// SupervisorID is a supervisor of the first team; LeadID a professional who leads
	// households of that team; OtherTeamProfessionalID one who sees none of them.
	SupervisorID            string
	LeadID                  string
	OtherTeamProfessionalID string
	AdminID                 string
	FirstHouseholdID        string
	OrganizationIDs         []string
	HouseholdIDs            []string
}

// PersonalData lists every name and phone number the demo region holds, so that tests can
// prove none of it reaches a log.
func PersonalData() []string {
	var out []string
	for _, p := range people {
		out = append(out, p.name, p.phone)
	}
	for i := range Households {
		out = append(out, householdName(i))
		out = append(out, networkPersonName(i), networkPhone(i))
	}
	return out
}

func householdName(i int) string     { return "Familie " + familyNames[i%len(familyNames)] }
func networkPersonName(i int) string { return "Oom " + familyNames[(i+7)%len(familyNames)] }
func networkPhone(i int) string      { return fmt.Sprintf("+3120%07d", 5550000+i) }

// Seed writes the demo region into st. now stamps every row. progress, if not nil, is called
// after each household.
func Seed(ctx context.Context, st *store.DB, now time.Time, progress func(done, total int)) (*Region, error) {
	now = now.UTC().Truncate(time.Microsecond)
	r := &Region{}
	for _, name := range Organizations {
		o := store.Organization{ID: id("org", name), Name: name, CreatedAt: now}
		if err := st.OrganizationUpsert(ctx, o); err != nil {
			return nil, fmt.Errorf("seed organization: %w", err)
		}
		r.OrganizationIDs = append(r.OrganizationIDs, o.ID)
	}
	teams := []store.Team{
		{ID: id("team", 0), Name: "Team Noord-Oost", CreatedAt: now},
		{ID: id("team", 1), Name: "Team Zuid-West", CreatedAt: now},
	}
	for _, t := range teams {
		if err := st.TeamUpsert(ctx, t); err != nil {
			return nil, fmt.Errorf("seed team: %w", err)
		}
	}
	profIDs := make([]string, len(people))
	var members [2][]string // team index → non-supervisor professional ids
	for i, p := range people {
		profIDs[i] = id("professional", p.name)
		err := st.ProfessionalUpsert(ctx, store.Professional{
			ID: profIDs[i], OrganizationID: r.OrganizationIDs[p.org], DisplayName: p.name,
			Email: fmt.Sprintf("professional%02d@example.org", i+1), Phone: p.phone, Role: p.role, CreatedAt: now,
		})
		if err != nil {
			return nil, fmt.Errorf("seed professional: %w", err)
		}
		if p.team >= 0 {
			if err := st.TeamMemberAdd(ctx, store.TeamMember{TeamID: teams[p.team].ID, ProfessionalID: profIDs[i]}); err != nil {
				return nil, fmt.Errorf("seed team member: %w", err)
			}
			if p.role == store.RoleProfessional {
				members[p.team] = append(members[p.team], profIDs[i])
			}
		}
		switch {
		case p.role == store.RoleSupervisor && p.team == 0:
			r.SupervisorID = profIDs[i]
		case p.role == store.RoleAdmin:
			r.AdminID = profIDs[i]
		}
	}
	r.LeadID = members[0][0]
	r.OtherTeamProfessionalID = members[1][0]

	for i := range Households {
		team := i % 2
		hid, err := seedHousehold(ctx, st, now, i, teams[team].ID, members[team])
		if err != nil {
			return nil, err
		}
		r.HouseholdIDs = append(r.HouseholdIDs, hid)
		if progress != nil {
			progress(i+1, Households)
		}
	}
	r.FirstHouseholdID = r.HouseholdIDs[0]
	return r, nil
}

func seedHousehold(ctx context.Context, st *store.DB, now time.Time, i int, teamID string, team []string) (string, error) {
	h := store.Household{
		ID: id("household", i), Code: fmt.Sprintf("HH-%05d", 10000+i*37), TeamID: teamID,
		DisplayName: householdName(i), Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	err := st.HouseholdCreate(ctx, h)
	if errors.Is(err, store.ErrConflict) {
		return h.ID, nil // seeded before
	}
	if err != nil {
		return "", fmt.Errorf("seed household %d: %w", i, err)
	}
	// Each household is led by one professional and helped by one from another organization.
	lead, helper := team[(i/2)%len(team)], team[(i/2+1)%len(team)]
	for _, m := range []store.CareTeamMember{{HouseholdID: h.ID, ProfessionalID: lead, Lead: true}, {HouseholdID: h.ID, ProfessionalID: helper}} {
		if err := st.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: m, Now: now}); err != nil {
			return "", fmt.Errorf("seed care team of household %d: %w", i, err)
		}
	}
	for j, e := range planFor(i) {
		e.ID = id(fmt.Sprintf("plan/%d", i), j)
		e.HouseholdID = h.ID
		if _, err := st.PlanEntryUpsert(ctx, store.PlanEntryUpsertParams{Entry: e, UpdatedBy: lead, Now: now}); err != nil {
			return "", fmt.Errorf("seed plan of household %d: %w", i, err)
		}
	}
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return "", fmt.Errorf("load time zone: %w", err)
	}
	local := now.In(ams)
	hour := 9 + i%9
	channels := []string{"home_visit", "phone_call", "family_link"}
	sc := store.Schedule{
		ID: id("schedule", i), HouseholdID: h.ID, Rule: fmt.Sprintf("FREQ=DAILY;INTERVAL=%d", 1+i%7),
		TimeZone: "Europe/Amsterdam", LocalTime: fmt.Sprintf("%02d:00", hour), GraceMinutes: 120,
		Channel: channels[i%3], LeadProfessionalID: lead, StartDate: local.AddDate(0, 0, 1+i%3).Format(time.DateOnly),
	}
	// The scheduler's fields (next due, overdue, opening) come from the same planning as an
	// UpsertSchedule call, so the demo region's checks fall due and escalate for real.
	if err := reminders.Plan(&sc, nil, now); err != nil {
		return "", fmt.Errorf("plan schedule of household %d: %w", i, err)
	}
	_, err = st.ScheduleUpsert(ctx, store.ScheduleUpsertParams{Schedule: sc, Now: now})
	if err != nil {
		return "", fmt.Errorf("seed schedule of household %d: %w", i, err)
	}
	return h.ID, nil
}

func planFor(i int) []store.PlanEntry {
	review := time.Date(2027, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	return []store.PlanEntry{
		{Section: change.SectionDanger, Fields: map[string]string{"description": "Escalating arguments in the evening when alcohol is involved."}},
		{Section: change.SectionSafetyGoal, Fields: map[string]string{"description": "The children sleep safely at home every night."}},
		{Section: change.SectionAgreement, Fields: map[string]string{
			"who": "Father", "what": "Does not come home after drinking; stays with his brother.", "when": "Every evening", "status": "active",
		}},
		{Section: change.SectionAgreement, Fields: map[string]string{
			"who": "Mother", "what": "Calls the network person when tension rises.", "when": "Whenever needed", "status": "active",
		}},
		{Section: change.SectionNetworkPerson, Fields: map[string]string{
			"name": networkPersonName(i), "relation": "Uncle", "phone": networkPhone(i), "role_in_plan": "Takes the children in when needed.",
		}},
		{Section: change.SectionWarningSignal, Fields: map[string]string{"description": "Raised voices, the children stay at school late."}},
		{Section: change.SectionCrisisContact, Fields: map[string]string{"name": "Emergency services", "phone": "112", "when_to_call": "Immediate danger."}},
		{Section: change.SectionReview, Fields: map[string]string{"review_date": review}},
	}
}
