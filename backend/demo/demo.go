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

	"github.com/veilig/veilig/backend/household"
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
	// RegionalAdminID is the regional administrator the demo set up the region as.
	RegionalAdminID  string
	FirstHouseholdID string
	OrganizationIDs  []string
	HouseholdIDs     []string
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

// Seed writes the demo region into st through the domain layer's onboarding use cases, the
// ones RegionService serves, so the demo proves the path a real region takes: `veilig admin
// init`'s bootstrap makes (or finds) the regional administrator, who creates the
// organizations, teams, professionals and households; each household's lead then writes its
// plan and schedule. now stamps every row. progress, if not nil, is called after each
// household.
func Seed(ctx context.Context, st *store.DB, now time.Time, progress func(done, total int)) (*Region, error) {
	now = now.UTC().Truncate(time.Microsecond)
	svc := household.New(st, func() time.Time { return now })
	admin, err := svc.InitRegion(ctx, household.RegionInit{OrganizationID: id("org", Organizations[0]), OrganizationName: Organizations[0],
		Name: "Regiobeheer (demo)", Email: "regio@example.org"})
	if err != nil && !errors.Is(err, household.ErrRegionStarted) {
		return nil, fmt.Errorf("seed regional administrator: %w", err)
	}
	region := household.Actor{Professional: admin, Issuer: "veilig demo", RequestID: "veilig demo"}
	r := &Region{RegionalAdminID: admin.ID}
	for _, name := range Organizations {
		o, _, err := svc.CreateOrganization(ctx, region, id("org", name), name)
		if err != nil {
			return nil, fmt.Errorf("seed organization: %w", err)
		}
		r.OrganizationIDs = append(r.OrganizationIDs, o.ID)
	}
	teams := []string{id("team", 0), id("team", 1)}
	for i, name := range []string{"Team Noord-Oost", "Team Zuid-West"} {
		if _, _, err := svc.CreateTeam(ctx, region, teams[i], name); err != nil {
			return nil, fmt.Errorf("seed team: %w", err)
		}
	}
	profs := make([]*store.Professional, len(people))
	var members [2][]*store.Professional // team index → non-supervisor professionals
	for i, p := range people {
		prof, err := svc.UpsertProfessional(ctx, region, store.Professional{
			ID: id("professional", p.name), OrganizationID: r.OrganizationIDs[p.org], DisplayName: p.name,
			Email: fmt.Sprintf("professional%02d@example.org", i+1), Phone: p.phone, Role: p.role,
		}, nil)
		if err != nil {
			return nil, fmt.Errorf("seed professional: %w", err)
		}
		profs[i] = prof
		if p.team >= 0 {
			if _, err := svc.SetTeamMember(ctx, region, teams[p.team], prof.ID, true); err != nil {
				return nil, fmt.Errorf("seed team member: %w", err)
			}
			if p.role == store.RoleProfessional {
				members[p.team] = append(members[p.team], prof)
			}
		}
		switch {
		case p.role == store.RoleSupervisor && p.team == 0:
			r.SupervisorID = prof.ID
		case p.role == store.RoleAdmin:
			r.AdminID = prof.ID
		}
	}
	r.LeadID = members[0][0].ID
	r.OtherTeamProfessionalID = members[1][0].ID

	for i := range Households {
		team := i % 2
		hid, err := seedHousehold(ctx, svc, region, now, i, teams[team], members[team])
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

// seedHousehold creates household i with its care team as the regional administrator, then
// writes its plan and schedule as its lead; a household seeded before is left as it is.
func seedHousehold(ctx context.Context, svc *household.Service, region household.Actor, now time.Time, i int, teamID string,
	team []*store.Professional) (string, error) {
	// Each household is led by one professional and helped by one from another organization.
	lead, helper := team[(i/2)%len(team)], team[(i/2+1)%len(team)]
	h, _, created, err := svc.CreateHousehold(ctx, region, household.NewHousehold{ID: id("household", i),
		Code: fmt.Sprintf("HH-%05d", 10000+i*37), TeamID: teamID, DisplayName: householdName(i), LeadID: lead.ID,
		MemberIDs: []string{helper.ID}})
	if err != nil {
		return "", fmt.Errorf("seed household %d: %w", i, err)
	}
	if !created {
		return h.ID, nil // seeded before
	}
	// Recorded as the demo acting for the lead (issuer "veilig demo"), never as a sign-in.
	as := household.Actor{Professional: lead, Issuer: "veilig demo", RequestID: "veilig demo"}
	for j, e := range planFor(i) {
		e.ID = id(fmt.Sprintf("plan/%d", i), j)
		e.HouseholdID = h.ID
		if _, err := svc.UpsertPlanEntry(ctx, as, e); err != nil {
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
		Channel: channels[i%3], LeadProfessionalID: lead.ID, StartDate: local.AddDate(0, 0, 1+i%3).Format(time.DateOnly),
	}
	// Planned as an UpsertSchedule call plans it, so the demo region's checks fall due and
	// escalate for real.
	if _, err := svc.UpsertSchedule(ctx, as, sc, reminders.Plan); err != nil {
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
