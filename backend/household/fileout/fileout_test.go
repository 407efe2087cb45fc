package fileout

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
	"github.com/veilig/veilig/sync/server"
)

var testNow = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)

// sample is a small household file with one entry of every kind the page lays out, a write
// history, a conflict, a schedule and a check-in.
func sample() *store.HouseholdFile {
	hid, team, org, lead := "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
		"33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444"
	agreement, schedule := "55555555-5555-4555-8555-555555555555", "66666666-6666-4666-8666-666666666666"
	stamp := hlc.New(testNow.Add(-time.Hour), 0)
	return &store.HouseholdFile{
		Household:     &store.Household{ID: hid, Code: "HH-001", TeamID: team, DisplayName: "Familie De Vries", Version: 7, CreatedAt: testNow, UpdatedAt: testNow},
		Team:          &store.Team{ID: team, Name: "Team Noord"},
		Organizations: []*store.Organization{{ID: org, Name: "Veilig Thuis"}},
		Professionals: []*store.Professional{{ID: lead, OrganizationID: org, DisplayName: "Anna Jansen", Email: "anna@example.org", Role: store.RoleProfessional}},
		CareTeam:      []*store.CareTeamMember{{HouseholdID: hid, ProfessionalID: lead, Lead: true}},
		TeamMembers:   []string{lead},
		Entries: []*store.PlanEntry{
			{ID: agreement, HouseholdID: hid, Section: change.SectionAgreement, Fields: map[string]string{"who": "Vader", "what": "Blijft weg na drinken", "status": "active"},
				Version: 5, CreatedAt: testNow, UpdatedAt: testNow, UpdatedBy: lead},
			{ID: "77777777-7777-4777-8777-777777777777", HouseholdID: hid, Section: change.SectionReview, Fields: map[string]string{"review_date": "2027-01-15"}, Version: 6,
				CreatedAt: testNow, UpdatedAt: testNow, UpdatedBy: lead},
		},
		Writes: []server.WriteRow{{HouseholdID: hid, RecordID: agreement, Field: "what", MutationID: "88888888-8888-4888-8888-888888888888",
			Value: "Blijft weg na drinken", Stamp: stamp, Seen: 0, DeviceID: "d1", AuthorID: lead, Current: true, Version: 5}},
		Conflicts: []*change.Conflict{{ID: "99999999-9999-4999-8999-999999999999/what", HouseholdID: hid, RecordID: agreement, Field: "what",
			MutationID: "99999999-9999-4999-8999-999999999999", Value: "Gaat naar oom", Stamp: stamp, DeviceID: "d2", AuthorID: lead, OverwrittenBy: "88888888-8888-4888-8888-888888888888", Version: 5}},
		Schedules: []*store.Schedule{{ID: schedule, HouseholdID: hid, Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00",
			GraceMinutes: 60, Channel: "phone_call", LeadProfessionalID: lead, StartDate: "2026-11-01", CreatedAt: testNow, UpdatedAt: testNow}},
		CheckIns: []*change.CheckIn{{ID: "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", HouseholdID: hid, ScheduleID: schedule, Channel: "phone_call",
			Outcome: "safe", RecordedBy: lead, RecordedAt: testNow, Version: 4}},
	}
}

func TestLanguage(t *testing.T) {
	for _, tc := range []struct{ requested, want string }{
		{"nl", "nl"}, {"en", "en"}, {"en-GB", "en"}, {"en-US", "en"}, {"nl-BE", "nl"}, {"fr", "nl"}, {"", "nl"},
		{"fr, en;q=0.8", "en"}, {"not a tag!!", "nl"},
	} {
		if got := Language(tc.requested); got != tc.want {
			t.Errorf("Language(%q) = %q, want %q", tc.requested, got, tc.want)
		}
	}
}

func TestRenderEscapesAndTranslates(t *testing.T) {
	for _, tc := range []struct {
		lang      string
		want      []string
		wantNot   []string
		fieldWhat string
	}{
		{lang: "nl", fieldWhat: "<script>alert(1)</script>", want: []string{`<html lang="nl">`, "Veiligheidsplan", "Afspraken", "Evaluatiedatum",
			"2027-01-15", "regievoerder", "dagelijks om 18:00", "&lt;script&gt;alert(1)&lt;/script&gt;", "Gemaakt op 2026-12-02 10:30", "Jan Smit"},
			wantNot: []string{"<script>"}},
		{lang: "en", fieldWhat: `"><img src=x onerror=alert(1)>`, want: []string{`<html lang="en">`, "Safety plan", "Agreements", "Review date",
			"lead professional", "daily at 18:00", "phone call", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;", "Generated on"},
			wantNot: []string{"<img"}},
	} {
		f := sample()
		f.Entries[0].Fields["what"] = tc.fieldWhat
		f.Household.DisplayName = "</title><script>x()</script>"
		html, err := Render(f, tc.lang, Meta{GeneratedAt: testNow, GeneratedBy: "Jan Smit"})
		if err != nil {
			t.Fatal(err)
		}
		page := string(html)
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: the page lacks %q", tc.lang, w)
			}
		}
		for _, w := range append(tc.wantNot, "http://", "https://", `src="//`, `href="//`, "@import", "url(") {
			if strings.Contains(page, w) {
				t.Errorf("%s: the page holds %q", tc.lang, w)
			}
		}
	}
}

func TestRenderWithoutReviewDateSaysSo(t *testing.T) {
	f := sample()
	f.Entries = f.Entries[:1]
	html, err := Render(f, "en", Meta{GeneratedAt: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "No review date set; the plan was last changed on 2026-12-02 10:30") {
		t.Fatalf("the page does not say the plan has no review date:\n%s", html)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	f := sample()
	doc, err := Encode(f, f.Professionals[0].ID, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), `"format": "veilig.household-export/v1"`) {
		t.Fatalf("no format in %s", doc)
	}
	got, err := Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Encode(got, f.Professionals[0].ID, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(doc) {
		t.Fatalf("a decoded export encodes differently:\n%s\nvs\n%s", again, doc)
	}
}

func TestDecodeRefusesBadDocuments(t *testing.T) {
	good, err := Encode(sample(), "x", testNow)
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) string { return strings.Replace(string(good), old, new, 1) }
	for _, tc := range []struct{ name, doc, want string }{
		{"empty", "", "truncated or empty"},
		{"not JSON", "<html>", "not JSON"},
		{"truncated", string(good[:len(good)/2]), "truncated"},
		{"other format", replace("household-export/v1", "household-export/v9"), "format"},
		{"unknown field", replace(`"format"`, `"extra": 1, "format"`), "unknown field"},
		{"wrong type", replace(`"version": 7`, `"version": "seven"`), "wrong type"},
		{"bad household id", replace("11111111-1111-4111-8111-111111111111", "nope"), "household.id"},
		{"bad section", replace(`"section": "agreement"`, `"section": "gossip"`), "section"},
		{"admin in care team", replace(`"role": "professional"`, `"role": "regional_admin"`), "role"},
		{"bad stamp", replace(`"seen": "`, `"seen": "x`), "clock stamp"},
		{"two values", string(good) + "{}", "more than one"},
	} {
		_, err := Decode([]byte(tc.doc))
		if !errors.Is(err, ErrDocument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Decode = %v, want ErrDocument mentioning %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "Vries") {
			t.Errorf("%s: the error carries a value: %v", tc.name, err)
		}
	}
}

// FuzzImportHouseholdDocument feeds the import's parser outside input: it never panics, and
// anything it refuses is refused as ErrDocument; anything it accepts encodes again.
func FuzzImportHouseholdDocument(f *testing.F) {
	good, err := Encode(sample(), "x", testNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"veilig.household-export/v1"}`))
	f.Add([]byte(`{"format":"veilig.household-export/v1","household":{"id":"11111111-1111-4111-8111-111111111111"}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := Decode(doc)
		if err != nil {
			if !errors.Is(err, ErrDocument) {
				t.Fatalf("Decode error %v is not ErrDocument", err)
			}
			return
		}
		if _, err := Encode(got, "x", testNow); err != nil {
			t.Fatalf("an accepted document does not encode: %v", err)
		}
	})
}
