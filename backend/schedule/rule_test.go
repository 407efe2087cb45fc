package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/schedule"
)

func TestParseRuleAcceptsTheDocumentedSubset(t *testing.T) {
	tests := []struct {
		name, in, canonical string
		want                schedule.Rule
	}{
		{"every day defaults the interval to one", "FREQ=DAILY", "FREQ=DAILY;INTERVAL=1", schedule.EveryNDays(1)},
		{"every three days keeps its interval", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;INTERVAL=3", schedule.EveryNDays(3)},
		{"a yearly daily interval is the maximum", "FREQ=DAILY;INTERVAL=366", "FREQ=DAILY;INTERVAL=366", schedule.EveryNDays(366)},
		{"weekly on monday and thursday", "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH", "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH",
			schedule.EveryNWeeks(1, time.Monday, time.Thursday)},
		{"keys in any order give the same rule", "BYDAY=TH,MO;FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
			schedule.EveryNWeeks(2, time.Monday, time.Thursday)},
		{"sunday sorts last as in ISO weeks", "FREQ=WEEKLY;BYDAY=SU,MO", "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,SU",
			schedule.EveryNWeeks(1, time.Sunday, time.Monday)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schedule.ParseRule(tt.in)
			if err != nil {
				t.Fatalf("ParseRule(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseRule(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.canonical {
				t.Fatalf("String() = %q, want %q", s, tt.canonical)
			}
			again, err := schedule.ParseRule(got.String())
			if err != nil || again != got {
				t.Fatalf("canonical form does not round-trip: %+v, %v", again, err)
			}
		})
	}
}

func TestParseRuleRejectsWithAClearReason(t *testing.T) {
	tests := []struct{ name, in, mention string }{
		{"an empty rule is rejected", "", "empty"},
		{"a rule without FREQ is rejected", "INTERVAL=2", "FREQ is missing"},
		{"COUNT is explicitly unsupported", "FREQ=DAILY;COUNT=10", "COUNT is not supported"},
		{"UNTIL points to the end date", "FREQ=DAILY;UNTIL=20270101", "EndDate"},
		{"WKST is refused because weeks start on monday", "FREQ=WEEKLY;BYDAY=MO;WKST=SU", "WKST"},
		{"an unknown key is named", "FREQ=DAILY;COLOR=RED", `unknown key "COLOR"`},
		{"a duplicate key is named", "FREQ=DAILY;FREQ=DAILY", "duplicate key FREQ"},
		{"a duplicate interval is named", "FREQ=DAILY;INTERVAL=2;INTERVAL=3", "duplicate key INTERVAL"},
		{"monthly is not supported", "FREQ=MONTHLY", "FREQ=MONTHLY is not supported"},
		{"a made-up frequency is rejected", "FREQ=SOMETIMES", "not a frequency"},
		{"lower case keys are rejected", "freq=daily", "unknown key"},
		{"an interval of zero is rejected", "FREQ=DAILY;INTERVAL=0", "INTERVAL"},
		{"a daily interval above a year is rejected", "FREQ=DAILY;INTERVAL=367", "1..366"},
		{"a weekly interval above a year is rejected", "FREQ=WEEKLY;INTERVAL=53;BYDAY=MO", "1..52"},
		{"a negative interval is rejected", "FREQ=DAILY;INTERVAL=-1", "INTERVAL"},
		{"a signed interval is rejected", "FREQ=DAILY;INTERVAL=+1", "INTERVAL"},
		{"a leading zero is rejected", "FREQ=DAILY;INTERVAL=02", "leading zeros"},
		{"a huge interval does not overflow", "FREQ=DAILY;INTERVAL=99999999999999999999", "INTERVAL"},
		{"weekly needs days", "FREQ=WEEKLY;INTERVAL=1", "needs BYDAY"},
		{"daily refuses days", "FREQ=DAILY;BYDAY=MO", "not allowed with FREQ=DAILY"},
		{"a duplicated day is named", "FREQ=WEEKLY;BYDAY=MO,MO", "MO twice"},
		{"an ordinal day is refused", "FREQ=WEEKLY;BYDAY=1MO", `"1MO"`},
		{"an empty day is refused", "FREQ=WEEKLY;BYDAY=MO,", `""`},
		{"an empty value is named", "FREQ=DAILY;INTERVAL=", "INTERVAL has an empty value"},
		{"a trailing semicolon is rejected", "FREQ=DAILY;", "not KEY=VALUE"},
		{"an RRULE prefix is rejected", "RRULE:FREQ=DAILY", "unknown key"},
		{"spaces are rejected", "FREQ=DAILY; INTERVAL=2", "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := schedule.ParseRule(tt.in)
			if err == nil {
				t.Fatalf("ParseRule(%q) = %v, want an error", tt.in, r)
			}
			if !errors.Is(err, schedule.ErrInvalidRule) {
				t.Errorf("error %v does not wrap ErrInvalidRule", err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}

func TestRuleValidateRejectsHandBuiltNonsense(t *testing.T) {
	for name, r := range map[string]schedule.Rule{
		"the zero rule is not a plan":       {},
		"a daily rule with days is invalid": {Freq: schedule.FreqDaily, Interval: 1, Days: schedule.WeekdaysOf(time.Monday)},
		"a weekly rule without days":        schedule.EveryNWeeks(1),
		"a weekly rule with a stray bit":    {Freq: schedule.FreqWeekly, Interval: 1, Days: 1 << 7},
		"a negative daily interval":         schedule.EveryNDays(-3),
	} {
		t.Run(name, func(t *testing.T) {
			if err := r.Validate(); !errors.Is(err, schedule.ErrInvalidRule) {
				t.Fatalf("Validate(%+v) = %v, want ErrInvalidRule", r, err)
			}
		})
	}
}

// FuzzParseRule checks that ParseRule never panics and that every rule it
// accepts renders to a canonical string that parses back to the same rule.
func FuzzParseRule(f *testing.F) {
	for _, seed := range []string{
		"", "FREQ=DAILY", "FREQ=DAILY;INTERVAL=2", "FREQ=DAILY;INTERVAL=366",
		"FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH", "BYDAY=SU,SA;INTERVAL=52;FREQ=WEEKLY",
		"FREQ=DAILY;COUNT=3", "FREQ=WEEKLY;BYDAY=MO,MO", "FREQ=DAILY;;", "=", ";", "FREQ==DAILY",
		"FREQ=DAILY;INTERVAL=0", "FREQ=WEEKLY;BYDAY=1MO", "RRULE:FREQ=DAILY", "FREQ=DAILY;INTERVAL=\x00",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := schedule.ParseRule(s)
		if err != nil {
			if !errors.Is(err, schedule.ErrInvalidRule) {
				t.Fatalf("ParseRule(%q) error %v does not wrap ErrInvalidRule", s, err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("ParseRule(%q) returned an invalid rule: %v", s, err)
		}
		canon := r.String()
		again, err := schedule.ParseRule(canon)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", canon, s, err)
		}
		if again != r || again.String() != canon {
			t.Fatalf("%q -> %+v -> %q -> %+v: not a round trip", s, r, canon, again)
		}
	})
}
