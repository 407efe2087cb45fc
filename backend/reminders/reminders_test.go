package reminders_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/push/fcm"
	"github.com/veilig/veilig/backend/push/fcm/fcmtest"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/backend/store/storeopen"
	"github.com/veilig/veilig/sync/change"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var bg = context.Background()

// engines opens a fresh, migrated store of each engine.
var engines = []struct {
	name string
	open func(t testing.TB) *store.DB
}{
	{"sqlite", func(t testing.TB) *store.DB {
		s, err := storeopen.Open(bg, "sqlite://"+filepath.Join(t.TempDir(), "veilig.db"))
		must(t, err)
		t.Cleanup(func() { s.Close() })
		must(t, s.Migrate(bg))
		return s
	}},
	{"postgres", func(t testing.TB) *store.DB {
		s, err := storeopen.Open(bg, pgtest.NewDatabase(t))
		must(t, err)
		t.Cleanup(func() { s.Close() })
		must(t, s.Migrate(bg))
		return s
	}},
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// clock is the scheduler's controllable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

var amsterdam = func() *time.Location {
	loc, err := schedule.DefaultLocation()
	if err != nil {
		panic(err)
	}
	return loc
}()

// local is a wall time in Amsterdam.
func local(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, amsterdam)
}

// Names that must never reach a push: the fixture uses them for every person, household and
// organization.
var secrets = []string{"Fatima El Amrani", "Jansen", "Oranjestraat", "Veilig Thuis Amsterdam", "Wijkteam Oost", "HH-7781", "Pieter de Boer", "Sanne Mulder"}

// fixture seeds one organization, a team with a lead, a colleague and a supervisor, an
// on-call professional, a household, a device per person, and the organization's policy.
func fixture(t testing.TB, s *store.DB, at time.Time) {
	t.Helper()
	must(t, s.OrganizationUpsert(bg, store.Organization{ID: "org-1", Name: "Veilig Thuis Amsterdam", CreatedAt: at}))
	must(t, s.OrganizationUpsert(bg, store.Organization{ID: "org-2", Name: "Wijkteam Oost", CreatedAt: at}))
	for _, p := range []store.Professional{
		{ID: "p-lead", OrganizationID: "org-1", DisplayName: "Pieter de Boer", Role: store.RoleProfessional},
		{ID: "p-sup", OrganizationID: "org-1", DisplayName: "Sanne Mulder", Role: store.RoleSupervisor},
		{ID: "p-sup-other", OrganizationID: "org-2", DisplayName: "Karin Jansen", Role: store.RoleSupervisor},
		{ID: "p-oncall", OrganizationID: "org-1", DisplayName: "Joost Jansen", Role: store.RoleProfessional},
	} {
		p.CreatedAt = at
		must(t, s.ProfessionalUpsert(bg, p))
		must(t, s.DeviceRegister(bg, store.Device{Token: "tok-" + p.ID, ProfessionalID: p.ID, Platform: "android", UpdatedAt: at}))
	}
	must(t, s.TeamUpsert(bg, store.Team{ID: "team-1", Name: "Wijkteam Oost", CreatedAt: at}))
	must(t, s.TeamUpsert(bg, store.Team{ID: "team-2", Name: "Team Zuid", CreatedAt: at}))
	for _, m := range []store.TeamMember{{TeamID: "team-1", ProfessionalID: "p-lead"}, {TeamID: "team-1", ProfessionalID: "p-sup"}, {TeamID: "team-2", ProfessionalID: "p-sup-other"}} {
		must(t, s.TeamMemberAdd(bg, m))
	}
	must(t, s.HouseholdCreate(bg, store.Household{ID: "h1", Code: "HH-7781", TeamID: "team-1", DisplayName: "Fatima El Amrani, Oranjestraat 12", CreatedAt: at}))
	must(t, s.CareTeamMemberSet(bg, store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: "h1", ProfessionalID: "p-lead", Lead: true}, Now: at}))
	must(t, s.EscalationPolicySet(bg, store.EscalationPolicy{ScopeID: "org-1", SupervisorAfter: 30 * time.Minute, OnCallAfter: time.Hour,
		OnCallProfessionalID: "p-oncall", UpdatedAt: at}))
}

// schedule stores a daily 18:00 schedule with an hour's grace, planned at now.
func dailySchedule(t testing.TB, s *store.DB, id string, now time.Time) *store.Schedule {
	t.Helper()
	sc := store.Schedule{ID: id, HouseholdID: "h1", Rule: "FREQ=DAILY", TimeZone: "Europe/Amsterdam", LocalTime: "18:00", GraceMinutes: 60,
		Channel: "home_visit", LeadProfessionalID: "p-lead", StartDate: "2027-03-01"}
	must(t, reminders.Plan(&sc, nil, now))
	out, err := s.ScheduleUpsert(bg, store.ScheduleUpsertParams{Schedule: sc, Now: now})
	must(t, err)
	return out
}

// harness is a scheduler on a store, delivering through the real FCM SDK to a fake FCM.
type harness struct {
	store *store.DB
	fake  *fcmtest.Server
	clock *clock
	sched *reminders.Scheduler
	fcm   *fcm.Sender
}

func newHarness(t testing.TB, s *store.DB, start time.Time, cfg reminders.Config) *harness {
	t.Helper()
	fake := fcmtest.New()
	t.Cleanup(fake.Close)
	sender, err := fcm.New(bg, fcm.Config{ProjectID: "veilig-test", Endpoint: fake.URL})
	must(t, err)
	c := &clock{t: start}
	sched, err := reminders.New(s, sender, c.Now, zerolog.Nop(), cfg)
	must(t, err)
	return &harness{store: s, fake: fake, clock: c, sched: sched, fcm: sender}
}

// at moves the clock and runs one tick.
func (h *harness) at(t testing.TB, now time.Time) reminders.TickStats {
	t.Helper()
	h.clock.Set(now)
	st, err := h.sched.Tick(bg)
	must(t, err)
	return st
}

// notices returns the accepted pushes other than "please sync" pokes (which every write of
// the household causes; TestSyncPokes covers them).
func (h *harness) notices() []fcmtest.Received {
	var out []fcmtest.Received
	for _, m := range h.fake.Messages() {
		if m.ErrorCode == "" && m.Data["kind"] != "sync" {
			out = append(out, m)
		}
	}
	return out
}

// received returns, per token, the refs of the pushes the fake accepted, in order, without
// sync pokes.
func (h *harness) received() map[string][]string {
	out := map[string][]string{}
	for _, m := range h.notices() {
		out[m.Token] = append(out[m.Token], m.Data["kind"]+":"+m.Data["ref"])
	}
	return out
}

func equal[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func equalSlices(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// TestEscalationTimeline walks a controllable clock through three evenings, the middle one
// the day summer time starts: a missed check climbs lead → supervisor → on-call; an
// acknowledged one stops; a checked one raises nothing.
func TestEscalationTimeline(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			start := local(2027, 3, 27, 12, 0)
			fixture(t, s, start)
			dailySchedule(t, s, "s1", start)
			h := newHarness(t, s, start, reminders.Config{})

			// Evening 1 (2027-03-27, CET): due 18:00, overdue 19:00.
			alert1 := "alert:" + reminders.AlertID("s1", local(2027, 3, 27, 18, 0))
			steps := []struct {
				at                  time.Time
				lead, sup, onCall   int
				supOther            int
				raised, escalations int
			}{
				{at: local(2027, 3, 27, 18, 59)},
				// The alert's first escalation visit, in the same tick, only fixes the time of
				// the supervisor step.
				{at: local(2027, 3, 27, 19, 0), lead: 1, raised: 1, escalations: 1},
				{at: local(2027, 3, 27, 19, 29), lead: 1},
				{at: local(2027, 3, 27, 19, 30), lead: 1, sup: 1, escalations: 1},
				{at: local(2027, 3, 27, 20, 29), lead: 1, sup: 1},
				{at: local(2027, 3, 27, 20, 30), lead: 1, sup: 1, onCall: 1, escalations: 1},
				{at: local(2027, 3, 27, 23, 0), lead: 1, sup: 1, onCall: 1},
			}
			for _, st := range steps {
				got := h.at(t, st.at)
				r := h.received()
				when := st.at.Format("01-02 15:04")
				equal(t, when+" raised", got.Raised, st.raised)
				equal(t, when+" escalated", got.Escalated, st.escalations)
				equal(t, when+" pushes to lead", len(r["tok-p-lead"]), st.lead)
				equal(t, when+" pushes to supervisor", len(r["tok-p-sup"]), st.sup)
				equal(t, when+" pushes to on-call", len(r["tok-p-oncall"]), st.onCall)
				equal(t, when+" pushes to another team's supervisor", len(r["tok-p-sup-other"]), 0)
			}
			r := h.received()
			for _, tok := range []string{"tok-p-lead", "tok-p-sup", "tok-p-oncall"} {
				equalSlices(t, tok+" refs", r[tok], []string{alert1})
			}

			// Evening 2 (2027-03-28, the first day of CEST): due 18:00 CEST = 16:00 UTC.
			h.fake.Reset()
			due2 := local(2027, 3, 28, 18, 0)
			equal(t, "due on the DST day, UTC", due2.UTC().Format("15:04"), "16:00")
			h.at(t, local(2027, 3, 28, 19, 0))
			equal(t, "lead reminded on evening 2", len(h.received()["tok-p-lead"]), 1)
			id2 := reminders.AlertID("s1", due2)
			_, err := s.AlertAcknowledge(bg, store.AlertAcknowledgeParams{ID: id2, ProfessionalID: "p-lead", Now: local(2027, 3, 28, 19, 10)})
			must(t, err)
			h.at(t, local(2027, 3, 28, 19, 31))
			h.at(t, local(2027, 3, 28, 21, 0))
			r = h.received()
			equal(t, "supervisor after acknowledgement", len(r["tok-p-sup"]), 0)
			equal(t, "on-call after acknowledgement", len(r["tok-p-oncall"]), 0)
			notices, err := s.NoticeList(bg, id2)
			must(t, err)
			equal(t, "notices of the acknowledged alert", len(notices), 1)

			// Evening 3: a check-in by phone before the deadline; nothing is raised.
			h.fake.Reset()
			_, err = s.CheckInAppend(bg, change.CheckIn{ID: "c3", HouseholdID: "h1", Channel: "phone_call", Outcome: "safe",
				RecordedBy: "p-lead", RecordedAt: local(2027, 3, 29, 17, 45)})
			must(t, err)
			got := h.at(t, local(2027, 3, 29, 23, 0))
			equal(t, "raised after a check-in", got.Raised, 0)
			equal(t, "pushes after a check-in", len(h.notices()), 0)

			// Every step of the first alert was noticed exactly once.
			notices, err = s.NoticeList(bg, reminders.AlertID("s1", local(2027, 3, 27, 18, 0)))
			must(t, err)
			var ids []string
			for _, n := range notices {
				ids = append(ids, fmt.Sprintf("%d", n.Step))
			}
			equalSlices(t, "steps noticed", ids, []string{"0", "1", "2"})
		})
	}
}

// TestAcknowledgeByCheckInStopsTheChain: a family member's or professional's check-in after the
// alert stops it before the supervisors hear of it.
func TestAcknowledgeByCheckInStopsTheChain(t *testing.T) {
	s := engines[0].open(t)
	start := local(2027, 10, 30, 9, 0)
	fixture(t, s, start)
	dailySchedule(t, s, "s1", start)
	h := newHarness(t, s, start, reminders.Config{})
	h.at(t, local(2027, 10, 30, 19, 0))
	_, err := s.CheckInAppend(bg, change.CheckIn{ID: "c1", HouseholdID: "h1", Channel: "family_link", Outcome: "safe", RecordedAt: local(2027, 10, 30, 19, 5)})
	must(t, err)
	h.at(t, local(2027, 10, 30, 20, 0))
	h.at(t, local(2027, 10, 30, 22, 0))
	r := h.received()
	equal(t, "lead reminded", len(r["tok-p-lead"]), 1)
	equal(t, "supervisor", len(r["tok-p-sup"]), 0)
}

// TestDigests: at 08:00 a supervisor gets one neutral push with the counts of their teams; a
// supervisor with nothing to hear of gets nothing; a digest time in quiet hours is skipped.
func TestDigests(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			start := local(2027, 5, 10, 12, 0)
			fixture(t, s, start)
			// A concern recorded before the schedule starts: it does not satisfy the first
			// occurrence, and it belongs to the 16:00 digest of that day.
			_, err := s.CheckInAppend(bg, change.CheckIn{ID: "c1", HouseholdID: "h1", Channel: "home_visit", Outcome: "concerns",
				RecordedBy: "p-lead", RecordedAt: local(2027, 5, 10, 11, 0)})
			must(t, err)
			dailySchedule(t, s, "s1", start)
			h := newHarness(t, s, start, reminders.Config{DigestTimes: []schedule.Clock{{Hour: 8}, {Hour: 16}, {Hour: 23}}})
			h.at(t, local(2027, 5, 10, 19, 0)) // the 18:00 check is missed: an alert at the lead step
			h.fake.Reset()
			got := h.at(t, local(2027, 5, 10, 23, 5))
			equal(t, "digests in quiet hours", got.Digests, 0)
			got = h.at(t, local(2027, 5, 11, 7, 59))
			equal(t, "digests before 08:00", got.Digests, 0)
			// By 08:00 the alert climbed to the supervisor (an escalation push) and the
			// supervisor's digest counts it as escalated, with one concern since 16:00.
			got = h.at(t, local(2027, 5, 11, 8, 0))
			equal(t, "digests at 08:00", got.Digests, 1)
			var digest []fcmtest.Received
			for _, m := range h.fake.Messages() {
				if m.Data["kind"] == "digest" {
					digest = append(digest, m)
				}
			}
			if len(digest) != 1 {
				t.Fatalf("digest pushes = %d, want 1", len(digest))
			}
			d := digest[0]
			equal(t, "digest to", d.Token, "tok-p-sup")
			equal(t, "overdue", d.Data["overdue"], "0")
			equal(t, "escalated", d.Data["escalated"], "1")
			equal(t, "concerns", d.Data["concerns"], "0") // the concern was before the 16:00 slot
			got = h.at(t, local(2027, 5, 11, 8, 30))
			equal(t, "digests again in the same slot", got.Digests, 0)
			// A second replica handling the same slot sends nothing twice.
			other, err := reminders.New(s, h.fcm, h.clock.Now, zerolog.Nop(), reminders.Config{})
			must(t, err)
			n, err := other.Digests(bg)
			must(t, err)
			equal(t, "digests by a second replica", n, 0)
		})
	}
}

// TestDigestCountsConcernsOfTheDay: the 16:00 digest counts the concerns since 08:00.
func TestDigestCountsConcernsOfTheDay(t *testing.T) {
	s := engines[0].open(t)
	start := local(2027, 5, 10, 7, 0)
	fixture(t, s, start)
	for i, outcome := range []string{"concerns", "unsafe", "safe"} {
		_, err := s.CheckInAppend(bg, change.CheckIn{ID: fmt.Sprintf("c%d", i), HouseholdID: "h1", Channel: "home_visit", Outcome: outcome,
			RecordedAt: local(2027, 5, 10, 9+i, 0)})
		must(t, err)
	}
	h := newHarness(t, s, start, reminders.Config{})
	h.at(t, local(2027, 5, 10, 8, 0))
	equal(t, "nothing to say at 08:00", len(h.notices()), 0)
	h.at(t, local(2027, 5, 10, 16, 0))
	msgs := h.notices()
	if len(msgs) != 1 || msgs[0].Data["concerns"] != "2" || msgs[0].Token != "tok-p-sup" {
		t.Fatalf("16:00 digest = %+v, want one push with 2 concerns to the supervisor", msgs)
	}
}

// TestNoPushNamesAnyone sends every kind of push the scheduler makes and checks that no
// request body that reached FCM contains a name, address, household code or organization.
func TestNoPushNamesAnyone(t *testing.T) {
	s := engines[0].open(t)
	start := local(2027, 5, 10, 7, 0)
	fixture(t, s, start)
	dailySchedule(t, s, "s1", start)
	_, err := s.CheckInAppend(bg, change.CheckIn{ID: "c1", HouseholdID: "h1", Channel: "home_visit", Outcome: "concerns",
		Note: "Fatima El Amrani is bang", RecordedAt: local(2027, 5, 10, 9, 0)})
	must(t, err)
	h := newHarness(t, s, start, reminders.Config{})
	_, err = s.AlertRaise(bg, store.AlertRaiseParams{Now: start, Alert: store.Alert{ID: "al_urgent", Kind: store.AlertUrgent, HouseholdID: "h1",
		LeadID: "p-lead", NextStepAt: &start}})
	must(t, err)
	for _, at := range []time.Time{local(2027, 5, 10, 8, 0), local(2027, 5, 10, 16, 0), local(2027, 5, 10, 19, 0), local(2027, 5, 10, 20, 0), local(2027, 5, 10, 21, 0)} {
		h.at(t, at)
	}
	kinds := map[string]int{}
	for _, m := range h.fake.Messages() {
		kinds[m.Data["kind"]]++
		body := strings.ToLower(string(m.Body))
		for _, secret := range append(secrets, "geweld", "violence", "h1", "s1") {
			if strings.Contains(body, strings.ToLower(secret)) {
				t.Errorf("a push to %s contains %q: %s", m.Token, secret, m.Body)
			}
		}
	}
	if kinds["alert"] < 3 || kinds["digest"] < 1 {
		t.Errorf("pushes by kind = %v: the test must see alerts at every step and a digest", kinds)
	}
}

// TestDeliveryThroughFakeFCM: an outbox of 1,201 pushes leaves in batches of at most 500; an
// unregistered token is removed; a 503 and a 429 are retried with backoff until delivered.
func TestDeliveryThroughFakeFCM(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			start := local(2027, 6, 1, 9, 0)
			fixture(t, s, start)
			const n = 1201
			h := newHarness(t, s, start, reminders.Config{DigestTimes: []schedule.Clock{}})
			h.at(t, start) // send the fixture's sync pokes first: this test is about one alert
			h.fake.Reset()
			for i := range n - 1 { // with tok-p-lead, the lead has n devices
				must(t, s.DeviceRegister(bg, store.Device{Token: fmt.Sprintf("tok-%04d", i), ProfessionalID: "p-lead", Platform: "ios", UpdatedAt: start}))
			}
			var mu sync.Mutex
			var batches []int
			h.fcm.OnBatch = func(k int) { mu.Lock(); batches = append(batches, k); mu.Unlock() }
			h.fake.FailToken("tok-0001", 404, fcmtest.CodeUnregistered, -1)
			// The SDK itself retries a 503 four times within one send: five answers make the
			// send fail, so the outbox must retry it.
			h.fake.FailToken("tok-0002", 503, fcmtest.CodeUnavailable, 5)
			h.fake.FailToken("tok-0003", 429, fcmtest.CodeQuotaExceeded, 1)
			_, err := s.AlertRaise(bg, store.AlertRaiseParams{Now: start, Alert: store.Alert{ID: "al_1", Kind: store.AlertOverdue, HouseholdID: "h1", LeadID: "p-lead"}})
			must(t, err)
			st := h.at(t, start)
			equal(t, "pushes tried in the first tick", st.Pushed, n)
			mu.Lock()
			equal(t, "batches", fmt.Sprint(batches), "[500 500 201]")
			mu.Unlock()
			delivered := func() int {
				seen := map[string]bool{}
				for _, m := range h.fake.Messages() {
					if m.ErrorCode == "" {
						seen[m.Token] = true
					}
				}
				return len(seen)
			}
			equal(t, "delivered at once", delivered(), n-3)
			// Retries back off: nothing is due a second later.
			st = h.at(t, start.Add(time.Second))
			equal(t, "pushes retried at once", st.Pushed, 0)
			for i := 1; i <= 20 && delivered() < n-1; i++ {
				h.at(t, start.Add(time.Duration(i)*time.Minute))
			}
			equal(t, "delivered after retries (all but the unregistered token)", delivered(), n-1)
			items, err := s.OutboxList(bg, "al_1#0")
			must(t, err)
			status := map[string]int{}
			for _, it := range items {
				status[it.Status]++
				if it.Token == "tok-0002" && it.Attempts != 2 {
					t.Errorf("attempts of the token that failed one send = %d, want 2", it.Attempts)
				}
			}
			equal(t, "delivered records", status[store.OutboxDelivered], n-1)
			equal(t, "unregistered records", status[store.OutboxUnregistered], 1)
			devices, err := s.DeviceListByProfessional(bg, "p-lead")
			must(t, err)
			equal(t, "devices left", len(devices), n-1)
			for _, d := range devices {
				if d.Token == "tok-0001" {
					t.Error("the unregistered token is still registered")
				}
			}
		})
	}
}

// TestSyncPokes: a write to a household sends a data-only "please sync" push to the devices
// of everyone who may see it (the care team and the team's supervisors), once per tick however
// many writes there were, and to nobody else.
func TestSyncPokes(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			start := local(2027, 6, 1, 9, 0)
			fixture(t, s, start)
			h := newHarness(t, s, start, reminders.Config{DigestTimes: []schedule.Clock{}})
			h.at(t, start)
			h.fake.Reset()
			equal(t, "pokes with nothing written", h.at(t, start.Add(time.Minute)).Pokes, 0)
			for i := range 3 {
				_, err := s.PlanEntryUpsert(bg, store.PlanEntryUpsertParams{Entry: store.PlanEntry{ID: "e1", HouseholdID: "h1",
					Section: change.SectionAgreement, Fields: map[string]string{"text": fmt.Sprintf("afspraak %d", i)}}, UpdatedBy: "p-lead", Now: start})
				must(t, err)
			}
			st := h.at(t, start.Add(2*time.Minute))
			equal(t, "households poked", st.Pokes, 1)
			got := map[string]int{}
			for _, m := range h.fake.Messages() {
				if m.Data["kind"] != "sync" {
					t.Errorf("unexpected push %v", m.Data)
					continue
				}
				got[m.Token]++
				if m.Notification != nil || m.Android == nil || m.Android.Priority != "normal" || !m.APNS.ContentAvailable() {
					t.Errorf("a sync poke must be a silent data message: %s", m.Body)
				}
			}
			equal(t, "pokes to the lead", got["tok-p-lead"], 1)
			equal(t, "pokes to the team's supervisor", got["tok-p-sup"], 1)
			equal(t, "pokes to another team's supervisor", got["tok-p-sup-other"], 0)
			equal(t, "pokes to a professional outside the care team", got["tok-p-oncall"], 0)
			equal(t, "pokes in the next tick", h.at(t, start.Add(3*time.Minute)).Pokes, 0)
		})
	}
}

// TestUrgentPushFollowsTheLead reproduces issue 11 point 4 end to end, through the real FCM
// SDK: a supervisor replaces a household's lead (the new lead is flagged, the old one
// removed). The urgent alert the family raised just before, whose push had not gone out yet,
// and the one it raises after, reach the new lead's phone and not the removed lead's; with
// no lead left, the next one reaches the team's supervisor at once.
func TestUrgentPushFollowsTheLead(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			start := local(2027, 6, 1, 9, 0)
			fixture(t, s, start)
			must(t, s.ProfessionalUpsert(bg, store.Professional{ID: "p-new", OrganizationID: "org-1", DisplayName: "Noor Bakker",
				Role: store.RoleProfessional, CreatedAt: start}))
			must(t, s.DeviceRegister(bg, store.Device{Token: "tok-p-new", ProfessionalID: "p-new", Platform: "ios", UpdatedAt: start}))
			dailySchedule(t, s, "s1", start)
			h := newHarness(t, s, start, reminders.Config{DigestTimes: []schedule.Clock{}})
			h.at(t, start) // the fixture's sync pokes
			h.fake.Reset()

			// The family asks to be contacted; before the scheduler sends it, the lead changes.
			before, _, err := reminders.RaiseUrgent(bg, s, reminders.UrgentParams{HouseholdID: "h1", ScheduleID: "s1", Key: "c-before", Now: start})
			must(t, err)
			changed := start.Add(time.Minute)
			must(t, s.CareTeamMemberSet(bg, store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: "h1",
				ProfessionalID: "p-new", Lead: true}, Now: changed}))
			must(t, s.CareTeamMemberRemove(bg, store.CareTeamMemberRemoveParams{HouseholdID: "h1", ProfessionalID: "p-lead", Now: changed}))
			after, _, err := reminders.RaiseUrgent(bg, s, reminders.UrgentParams{HouseholdID: "h1", ScheduleID: "s1", Key: "c-after", Now: changed})
			must(t, err)
			h.at(t, changed)

			r := h.received()
			equalSlices(t, "pushes to the removed lead", r["tok-p-lead"], nil)
			got := slices.Clone(r["tok-p-new"])
			slices.Sort(got)
			want := []string{"alert:" + before, "alert:" + after}
			slices.Sort(want)
			equalSlices(t, "pushes to the new lead", got, want)
			for _, m := range h.notices() {
				if m.Android == nil || m.Android.Priority != "high" {
					t.Errorf("an urgent push must be high priority: %s", m.Body)
				}
			}
			for _, id := range []string{before, after} {
				a, err := s.AlertGet(bg, id)
				must(t, err)
				equal(t, "lead of "+id, a.LeadID, "p-new")
			}
			sc, err := s.ScheduleGet(bg, "s1")
			must(t, err)
			equal(t, "the schedule's lead", sc.LeadProfessionalID, "p-new")

			// With no lead left, the supervisor hears at once, not after UrgentAfter.
			h.fake.Reset()
			gone := changed.Add(time.Minute)
			must(t, s.CareTeamMemberRemove(bg, store.CareTeamMemberRemoveParams{HouseholdID: "h1", ProfessionalID: "p-new", Now: gone}))
			orphan, _, err := reminders.RaiseUrgent(bg, s, reminders.UrgentParams{HouseholdID: "h1", ScheduleID: "s1", Key: "c-orphan", Now: gone})
			must(t, err)
			h.at(t, gone)
			r = h.received()
			equalSlices(t, "pushes to the removed leads", append(r["tok-p-lead"], r["tok-p-new"]...), nil)
			got = slices.Clone(r["tok-p-sup"])
			slices.Sort(got)
			want = []string{"alert:" + before, "alert:" + after, "alert:" + orphan}
			slices.Sort(want)
			equalSlices(t, "pushes to the supervisor", got, want)
		})
	}
}
