package fileout

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// The languages the printable plan speaks; the first is the default, for an empty or
// unsupported request (the region works in Dutch).
var (
	supported = []language.Tag{language.Dutch, language.English}
	matcher   = language.NewMatcher(supported)
)

// Language picks the page's language for a requested BCP 47 tag, or list of them as an
// Accept-Language header has ("en-GB", "fr, en;q=0.8"): "nl" or "en". Empty, malformed or
// unsupported requests get Dutch.
func Language(requested string) string {
	tags, _, err := language.ParseAcceptLanguage(requested)
	if err != nil || len(tags) == 0 {
		return "nl"
	}
	_, i, confidence := matcher.Match(tags...)
	if confidence == language.No {
		return "nl"
	}
	base, _ := supported[i].Base()
	return base.String()
}

// Meta is who had the page made, and when: printed on it, so a printed copy says how current
// it is.
type Meta struct {
	GeneratedAt time.Time
	// GeneratedBy is the display name of the professional who had it made.
	GeneratedBy string
	// TimeZone is where the page's times are shown (Europe/Amsterdam when nil).
	TimeZone *time.Location
}

//go:embed page.html.tmpl
var pageSource string

var page = template.Must(template.New("page").Parse(pageSource))

// sectionOrder is the order of the plan's sections on the page: what threatens, what the
// family works toward, the agreements, who helps, and what to watch for and whom to call.
var sectionOrder = []change.Section{change.SectionDanger, change.SectionSafetyGoal, change.SectionAgreement,
	change.SectionNetworkPerson, change.SectionWarningSignal, change.SectionCrisisContact}

// Render returns the household's safety plan as one self-contained, printable HTML page in
// lang ("nl" or "en"; anything else is Dutch): no external resource of any kind (inline CSS,
// system fonts), every value escaped by html/template. The review date is the latest one the
// plan's review entries hold; a plan without one says so and shows when it was last changed.
func Render(f *store.HouseholdFile, lang string, m Meta) ([]byte, error) {
	if lang != "en" {
		lang = "nl"
	}
	words := dictionary[lang]
	tz := m.TimeZone
	if tz == nil {
		tz = amsterdam()
	}
	at := func(t time.Time) string { return t.In(tz).Format("2006-01-02 15:04") }
	v := pageView{Lang: lang, T: words, Code: f.Household.Code, Name: f.Household.DisplayName, Team: f.Team.Name,
		GeneratedAt: at(m.GeneratedAt), GeneratedBy: m.GeneratedBy, Zone: tz.String()}
	orgs := map[string]string{}
	for _, o := range f.Organizations {
		orgs[o.ID] = o.Name
	}
	lead := map[string]bool{}
	for _, c := range f.CareTeam {
		lead[c.ProfessionalID] = c.Lead
	}
	for _, p := range f.Professionals {
		v.CareTeam = append(v.CareTeam, memberView{Name: p.DisplayName, Organization: orgs[p.OrganizationID], Lead: lead[p.ID]})
	}
	slices.SortStableFunc(v.CareTeam, func(a, b memberView) int {
		if a.Lead != b.Lead {
			if a.Lead {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	latest := f.Household.UpdatedAt
	bySection := map[change.Section][]*store.PlanEntry{}
	for _, e := range f.Entries {
		if e.Deleted {
			continue
		}
		latest = maxTime(latest, e.UpdatedAt)
		if e.Section == change.SectionReview {
			v.ReviewDate = max(v.ReviewDate, e.Fields["review_date"])
			continue
		}
		bySection[e.Section] = append(bySection[e.Section], e)
	}
	v.LastUpdate = at(latest)
	for _, s := range sectionOrder {
		sv := sectionView{Title: words["section."+string(s)], Empty: words["empty"]}
		entries := bySection[s]
		slices.SortFunc(entries, func(a, b *store.PlanEntry) int { return a.CreatedAt.Compare(b.CreatedAt) })
		for _, e := range entries {
			sv.Entries = append(sv.Entries, entryView(s, e.Fields, words))
		}
		v.Sections = append(v.Sections, sv)
	}
	for _, s := range f.Schedules {
		v.Schedules = append(v.Schedules, scheduleLine(s, words, at))
	}
	var b bytes.Buffer
	if err := page.Execute(&b, v); err != nil {
		return nil, fmt.Errorf("render plan of %s: %w", f.Household.ID, err)
	}
	return b.Bytes(), nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// amsterdam is the region's zone; should the zone database be missing, UTC (the page says
// which zone it shows).
func amsterdam() *time.Location {
	if l, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		return l
	}
	return time.UTC
}

type pageView struct {
	Lang                     string
	T                        map[string]string
	Code, Name, Team         string
	CareTeam                 []memberView
	Sections                 []sectionView
	ReviewDate, LastUpdate   string
	Schedules                []string
	GeneratedAt, GeneratedBy string
	Zone                     string
}

type memberView struct {
	Name, Organization string
	Lead               bool
}

type sectionView struct {
	Title, Empty string
	Entries      []entryLines
}

// entryLines is one entry as labelled lines; the first is its headline.
type entryLines struct {
	Headline string
	Lines    []labelled
}

type labelled struct{ Label, Value string }

// entryView lays out one entry's fields by section: the agreement's who, what, when and
// status, a contact's name, relation and phone, a description.
func entryView(s change.Section, f map[string]string, w map[string]string) entryLines {
	line := func(lines []labelled, key string) []labelled {
		if v := f[key]; v != "" {
			return append(lines, labelled{w["field."+key], v})
		}
		return lines
	}
	switch s {
	case change.SectionAgreement:
		var l []labelled
		l = line(l, "who")
		l = line(l, "when")
		if st := f["status"]; st != "" {
			l = append(l, labelled{w["field.status"], translated(w, "status."+st, st)})
		}
		return entryLines{Headline: f["what"], Lines: l}
	case change.SectionNetworkPerson:
		var l []labelled
		l = line(l, "relation")
		l = line(l, "phone")
		l = line(l, "role_in_plan")
		return entryLines{Headline: f["name"], Lines: l}
	case change.SectionCrisisContact:
		var l []labelled
		l = line(l, "phone")
		l = line(l, "when_to_call")
		return entryLines{Headline: f["name"], Lines: l}
	default:
		return entryLines{Headline: f["description"]}
	}
}

func translated(w map[string]string, key, fallback string) string {
	if t, ok := w[key]; ok {
		return t
	}
	return fallback
}

// scheduleLine summarizes a schedule in one sentence: how often, at what local time, by what
// channel, with what grace, and when it is next due.
func scheduleLine(s *store.Schedule, w map[string]string, at func(time.Time) string) string {
	freq := translated(w, "rule."+s.Rule, s.Rule)
	parts := []string{fmt.Sprintf("%s %s %s (%s)", freq, w["at"], s.LocalTime, s.TimeZone),
		translated(w, "channel."+s.Channel, s.Channel), fmt.Sprintf(w["grace"], s.GraceMinutes)}
	switch {
	case s.Paused:
		parts = append(parts, w["paused"])
	case s.NextDueAt != nil:
		parts = append(parts, w["next"]+" "+at(*s.NextDueAt))
	}
	return strings.Join(parts, ", ")
}

// dictionary holds the page's words in each language.
var dictionary = map[string]map[string]string{
	"nl": {
		"title": "Veiligheidsplan", "household": "Huishouden", "team": "Team", "careteam": "Zorgteam", "lead": "regievoerder",
		"review": "Evaluatiedatum", "noreview": "Geen evaluatiedatum vastgelegd; het plan is het laatst gewijzigd op",
		"schedules": "Check-inschema", "noschedules": "Geen check-inschema.",
		"generated": "Gemaakt op", "by": "door", "confidential": "Vertrouwelijk: bijzondere persoonsgegevens. Niet laten slingeren.",
		"empty":          "Niets vastgelegd.",
		"section.danger": "Zorgen en gevaren", "section.safety_goal": "Veiligheidsdoelen", "section.agreement": "Afspraken",
		"section.network_person": "Veiligheidsnetwerk", "section.warning_signal": "Signalen", "section.crisis_contact": "Bij crisis bellen",
		"field.who": "Wie", "field.when": "Wanneer", "field.status": "Status", "field.relation": "Relatie", "field.phone": "Telefoon",
		"field.role_in_plan": "Rol in het plan", "field.when_to_call": "Wanneer bellen",
		"status.active": "loopt", "status.kept": "nagekomen", "status.broken": "niet nagekomen", "status.ended": "beëindigd",
		"rule.FREQ=DAILY": "dagelijks", "rule.FREQ=WEEKLY": "wekelijks", "rule.FREQ=MONTHLY": "maandelijks", "at": "om",
		"channel.home_visit": "huisbezoek", "channel.phone_call": "telefoongesprek", "channel.family_link": "link voor het gezin",
		"grace": "%d minuten speling", "paused": "gepauzeerd", "next": "volgende keer",
	},
	"en": {
		"title": "Safety plan", "household": "Household", "team": "Team", "careteam": "Care team", "lead": "lead professional",
		"review": "Review date", "noreview": "No review date set; the plan was last changed on",
		"schedules": "Check-in schedule", "noschedules": "No check-in schedule.",
		"generated": "Generated on", "by": "by", "confidential": "Confidential: special-category personal data. Do not leave lying around.",
		"empty":          "Nothing recorded.",
		"section.danger": "Worries and dangers", "section.safety_goal": "Safety goals", "section.agreement": "Agreements",
		"section.network_person": "Safety network", "section.warning_signal": "Warning signals", "section.crisis_contact": "In a crisis, call",
		"field.who": "Who", "field.when": "When", "field.status": "Status", "field.relation": "Relation", "field.phone": "Phone",
		"field.role_in_plan": "Role in the plan", "field.when_to_call": "When to call",
		"status.active": "active", "status.kept": "kept", "status.broken": "broken", "status.ended": "ended",
		"rule.FREQ=DAILY": "daily", "rule.FREQ=WEEKLY": "weekly", "rule.FREQ=MONTHLY": "monthly", "at": "at",
		"channel.home_visit": "home visit", "channel.phone_call": "phone call", "channel.family_link": "family link",
		"grace": "%d minutes' grace", "paused": "paused", "next": "next due",
	},
}
