package preferences_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/preferences"
	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
)

var t0 = time.Date(2027, 5, 10, 10, 0, 0, 0, time.UTC)

// TestValidate: what is stored is canonical (language tag, sorted unique times, HH:MM), and
// every rule's refusal wraps ErrInvalid without repeating the value.
func TestValidate(t *testing.T) {
	ok := []struct {
		name string
		in   preferences.Input
		want store.Preferences
	}{
		{"all defaults", preferences.Input{}, store.Preferences{}},
		{"canonical", preferences.Input{Language: "EN-gb", DigestTimes: []string{"16:00", "07:30", "16:00"}, QuietStart: "21:00", QuietEnd: "06:00",
			TimeZone: "Europe/London"},
			store.Preferences{Language: "en-GB", DigestTimes: "07:30,16:00", QuietStart: "21:00", QuietEnd: "06:00", TimeZone: "Europe/London"}},
		{"no quiet hours", preferences.Input{QuietStart: "00:00", QuietEnd: "00:00"}, store.Preferences{QuietStart: "00:00", QuietEnd: "00:00"}},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			got, err := preferences.Validate("p-1", tt.in, t0)
			tt.want.ProfessionalID, tt.want.UpdatedAt = "p-1", t0
			if err != nil || got != tt.want {
				t.Fatalf("Validate = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	bad := []struct {
		name string
		in   preferences.Input
	}{
		{"Local is the server's zone", preferences.Input{TimeZone: "Local"}},
		{"unknown zone", preferences.Input{TimeZone: "Secret/Zone"}},
		{"malformed language", preferences.Input{Language: "Secret tag"}},
		{"undetermined language", preferences.Input{Language: "und"}},
		{"hour 24", preferences.Input{DigestTimes: []string{"24:00"}}},
		{"no leading zero", preferences.Input{DigestTimes: []string{"7:30"}}},
		{"too many digests", preferences.Input{DigestTimes: slices.Repeat([]string{"08:00"}, preferences.MaxDigestTimes+1)}},
		{"quiet start alone", preferences.Input{QuietStart: "22:00"}},
		{"quiet end malformed", preferences.Input{QuietStart: "22:00", QuietEnd: "seven"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := preferences.Validate("p-1", tt.in, t0)
			if !errors.Is(err, preferences.ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			if strings.Contains(err.Error(), "Secret") || strings.Contains(err.Error(), "seven") {
				t.Fatalf("the refusal repeats the value: %v", err)
			}
		})
	}
}

// TestResolve: no row is every default; each stored value overrides its default, an empty or
// unreadable one falls back and is named.
func TestResolve(t *testing.T) {
	d, err := preferences.DeploymentDefaults()
	if err != nil {
		t.Fatal(err)
	}
	e := preferences.Resolve(nil, d)
	if e.Language != "nl" || len(e.DigestTimes) != 2 || e.Zone != d.Zone || e.UpdatedAt != nil ||
		!slices.Equal(e.Defaults, []preferences.Field{preferences.Language, preferences.DigestTimes, preferences.QuietHours, preferences.TimeZone}) {
		t.Fatalf("Resolve(nil) = %+v", e)
	}
	e = preferences.Resolve(&store.Preferences{ProfessionalID: "p-1", DigestTimes: "07:30", QuietStart: "00:00", QuietEnd: "00:00",
		TimeZone: "Gone/Zone", UpdatedAt: t0}, d)
	if !slices.Equal(e.DigestTimes, []schedule.Clock{{Hour: 7, Minute: 30}}) || e.Zone != d.Zone || e.Quiet(t0) || e.UpdatedAt == nil ||
		!slices.Equal(e.Defaults, []preferences.Field{preferences.Language, preferences.TimeZone}) {
		t.Fatalf("Resolve(partial) = %+v", e)
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	e = preferences.Resolve(&store.Preferences{Language: "en", QuietStart: "21:00", QuietEnd: "06:00", TimeZone: "Europe/London", UpdatedAt: t0}, d)
	// 20:30 UTC in May is 21:30 in London (quiet) and 22:30 in Amsterdam.
	at := time.Date(2027, 5, 10, 20, 30, 0, 0, time.UTC)
	if e.Language != "en" || e.Zone.String() != london.String() || !e.Quiet(at) || e.Quiet(at.Add(-time.Hour)) {
		t.Fatalf("Resolve(London) = %+v, quiet at 21:30 London: %v", e, e.Quiet(at))
	}
}
