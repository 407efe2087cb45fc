package reminders_test

import (
	"context"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/preferences"
	"github.com/veilig/veilig/backend/push/fcm/fcmtest"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// Preferences per person (issue 14): each supervisor's digests at their own times, in their own
// zone, outside their own quiet hours; the deployment's values for whoever chose none.

// setPreferences stores p as if through the API (already validated).
func setPreferences(t testing.TB, s *store.DB, p store.Preferences) {
	t.Helper()
	must(t, s.InTx(bg, func(ctx context.Context, tx *store.Tx) error { return tx.PreferencesUpsert(ctx, p) }))
}

// secondTeam gives the other supervisor's team a household, so that both supervisors have
// something to hear of.
func secondTeam(t testing.TB, s *store.DB, at time.Time) {
	t.Helper()
	must(t, s.HouseholdCreate(bg, store.Household{ID: "h2", Code: "HH-2", TeamID: "team-2", DisplayName: "Familie Twee", CreatedAt: at}))
}

// concern records a check-in with concerns at at, which the next digest of its team's
// supervisor counts.
func concern(t testing.TB, s *store.DB, id, householdID string, at time.Time) {
	t.Helper()
	_, err := s.CheckInAppend(bg, change.CheckIn{ID: id, HouseholdID: householdID, Channel: "home_visit", Outcome: "concerns", RecordedAt: at})
	must(t, err)
}

// digests returns the digest pushes the fake received since its last reset, by token.
func digests(h *harness) map[string][]fcmtest.Received {
	out := map[string][]fcmtest.Received{}
	for _, m := range h.fake.Messages() {
		if m.ErrorCode == "" && m.Data["kind"] == "digest" {
			out[m.Token] = append(out[m.Token], m)
		}
	}
	return out
}

// TestDigestsFollowEachSupervisor's preferences, on every engine, tick by tick with a
// controllable clock: p-sup chose 07:30 in Europe/London and English; p-sup-other chose nothing
// and gets the deployment's 08:00 Europe/Amsterdam in Dutch. Then both choose 21:30, and
// p-sup's own quiet hours (21:00–06:00) skip theirs while p-sup-other's (the default
// 22:00–07:00) do not.
func TestDigestsFollowEachSupervisor(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			start := local(2027, 5, 10, 12, 0)
			fixture(t, s, start)
			secondTeam(t, s, start)
			setPreferences(t, s, store.Preferences{ProfessionalID: "p-sup", Language: "en-GB", DigestTimes: "07:30", TimeZone: "Europe/London", UpdatedAt: start})
			concern(t, s, "c1", "h1", local(2027, 5, 10, 20, 0))
			concern(t, s, "c2", "h2", local(2027, 5, 10, 20, 0))
			h := newHarness(t, s, start, reminders.Config{})
			h.at(t, start)

			steps := []struct {
				at   time.Time
				want map[string]string // token → the digest's body
			}{
				{local(2027, 5, 11, 7, 29), nil},
				{local(2027, 5, 11, 7, 30), nil}, // 07:30 in Amsterdam is 06:30 in London
				{local(2027, 5, 11, 7, 59), nil},
				{local(2027, 5, 11, 8, 0), map[string]string{"tok-p-sup-other": "Je overzicht staat klaar."}},
				{local(2027, 5, 11, 8, 29), nil},
				{local(2027, 5, 11, 8, 30), map[string]string{"tok-p-sup": "Your overview is ready."}}, // 07:30 in London
				{local(2027, 5, 11, 9, 0), nil},
			}
			for _, st := range steps {
				h.fake.Reset()
				h.at(t, st.at)
				got := digests(h)
				if len(got) != len(st.want) {
					t.Fatalf("at %s: digests to %v, want to %v", st.at.Format(time.DateTime), keys(got), st.want)
				}
				for tok, body := range st.want {
					if len(got[tok]) != 1 || got[tok][0].Notification == nil || got[tok][0].Notification.Body != body || got[tok][0].Data["concerns"] != "1" {
						t.Fatalf("at %s: digest to %s = %+v, want one with body %q and 1 concern", st.at.Format(time.DateTime), tok, got[tok], body)
					}
				}
			}

			// Both at 21:30 Amsterdam; p-sup's own quiet hours start at 21:00.
			setPreferences(t, s, store.Preferences{ProfessionalID: "p-sup", DigestTimes: "21:30", QuietStart: "21:00", QuietEnd: "06:00",
				TimeZone: "Europe/Amsterdam", UpdatedAt: start})
			setPreferences(t, s, store.Preferences{ProfessionalID: "p-sup-other", DigestTimes: "21:30", UpdatedAt: start})
			concern(t, s, "c3", "h1", local(2027, 5, 11, 12, 0))
			concern(t, s, "c4", "h2", local(2027, 5, 11, 12, 0))
			h.at(t, local(2027, 5, 11, 21, 0)) // the new preferences are read (at most a minute old)
			h.fake.Reset()
			h.at(t, local(2027, 5, 11, 21, 30))
			got := digests(h)
			if len(got) != 1 || len(got["tok-p-sup-other"]) != 1 {
				t.Fatalf("at 21:30: digests to %v, want p-sup-other's only (p-sup's quiet hours skip theirs)", keys(got))
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestLatestSlot: a supervisor's latest slot is read in their zone with the summer-time rules
// of package schedule: 07:30 stays 07:30 local across the change, a time in the spring gap moves
// forward by the gap, a repeated autumn time takes its first instant, and quiet hours remove a
// slot (the one before becomes the latest).
func TestLatestSlot(t *testing.T) {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		must(t, err)
		return loc
	}
	nyc := zone("America/New_York")
	clocks := func(cs ...string) []schedule.Clock {
		var out []schedule.Clock
		for _, c := range cs {
			k, err := schedule.ParseClock(c)
			must(t, err)
			out = append(out, k)
		}
		return out
	}
	utc := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, time.UTC) }
	noQuiet := schedule.Clock{}
	tests := []struct {
		name       string
		eff        preferences.Effective
		now        time.Time
		slot, prev time.Time
	}{
		{"07:30 Amsterdam in winter time", preferences.Effective{DigestTimes: clocks("07:30"), Zone: amsterdam},
			utc(2027, 3, 27, 12, 0), utc(2027, 3, 27, 6, 30), utc(2027, 3, 26, 6, 30)},
		{"07:30 Amsterdam on the first summer day is an hour earlier in UTC", preferences.Effective{DigestTimes: clocks("07:30"), Zone: amsterdam},
			utc(2027, 3, 28, 12, 0), utc(2027, 3, 28, 5, 30), utc(2027, 3, 27, 6, 30)},
		{"02:30 in the spring gap moves forward to 03:30 summer time", preferences.Effective{DigestTimes: clocks("02:30"), Zone: amsterdam},
			utc(2027, 3, 28, 2, 0), utc(2027, 3, 28, 1, 30), utc(2027, 3, 27, 1, 30)},
		{"02:30 repeated in autumn takes the first instant", preferences.Effective{DigestTimes: clocks("02:30"), Zone: amsterdam},
			utc(2027, 10, 31, 0, 45), utc(2027, 10, 31, 0, 30), utc(2027, 10, 30, 0, 30)},
		{"New York changes on its own date", preferences.Effective{DigestTimes: clocks("07:30"), Zone: nyc},
			utc(2027, 3, 14, 12, 0), utc(2027, 3, 14, 11, 30), utc(2027, 3, 13, 12, 30)},
		{"not yet today: yesterday's", preferences.Effective{DigestTimes: clocks("07:30", "16:00"), Zone: amsterdam},
			utc(2027, 5, 11, 5, 0), utc(2027, 5, 10, 14, 0), utc(2027, 5, 10, 5, 30)},
		{"a slot in quiet hours is none", preferences.Effective{DigestTimes: clocks("07:30", "21:30"), Zone: amsterdam,
			QuietStart: schedule.Clock{Hour: 21}, QuietEnd: schedule.Clock{Hour: 6}},
			utc(2027, 5, 10, 20, 0), utc(2027, 5, 10, 5, 30), utc(2027, 5, 9, 5, 30)},
		{"equal quiet bounds are no quiet hours", preferences.Effective{DigestTimes: clocks("21:30"), Zone: amsterdam, QuietStart: noQuiet, QuietEnd: noQuiet},
			utc(2027, 5, 10, 20, 0), utc(2027, 5, 10, 19, 30), utc(2027, 5, 9, 19, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slot, prev, ok := reminders.LatestSlot(tt.eff, tt.now)
			if !ok || !slot.Equal(tt.slot) || !prev.Equal(tt.prev) {
				t.Fatalf("LatestSlot = %v, %v, %v; want %v, %v", slot.UTC(), prev.UTC(), ok, tt.slot, tt.prev)
			}
		})
	}
	if _, _, ok := reminders.LatestSlot(preferences.Effective{Zone: amsterdam}, utc(2027, 5, 10, 12, 0)); ok {
		t.Fatal("a slot without digest times")
	}
}
