package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidRule is wrapped by every error from [ParseRule] and
// [Rule.Validate], so callers can map it to an "invalid argument" answer.
var ErrInvalidRule = errors.New("invalid recurrence rule")

// Freq is the frequency of a [Rule]. Only daily and weekly rules exist:
// check-ins more often than daily are visits, not a schedule, and monthly
// checks are too sparse to keep a household safe.
type Freq uint8

// The supported frequencies. The zero Freq is invalid on purpose, so a
// zero Rule is never mistaken for a plan.
const (
	FreqDaily Freq = iota + 1
	FreqWeekly
)

// Interval limits. A schedule that fires less than once a year is not a
// safety schedule; the limits also keep every computation bounded.
const (
	MaxDailyInterval  = 366
	MaxWeeklyInterval = 52
)

// String returns the RRULE name of f.
func (f Freq) String() string {
	switch f {
	case FreqDaily:
		return "DAILY"
	case FreqWeekly:
		return "WEEKLY"
	}
	return fmt.Sprintf("Freq(%d)", uint8(f))
}

// Rule is a recurrence: every Interval days, or on the chosen Days every
// Interval weeks. It is a comparable value; construct it with [ParseRule],
// [EveryNDays] or [EveryNWeeks], or fill it in and call [Rule.Validate].
type Rule struct {
	Freq     Freq
	Interval int
	// Days is used by weekly rules only and must be empty for daily ones.
	Days Weekdays
}

// EveryNDays returns the daily rule "every n days". Validate it if n is
// not a constant.
func EveryNDays(n int) Rule { return Rule{Freq: FreqDaily, Interval: n} }

// EveryNWeeks returns the weekly rule "on days, every n weeks". Validate
// it if its arguments are not constants.
func EveryNWeeks(n int, days ...time.Weekday) Rule {
	return Rule{Freq: FreqWeekly, Interval: n, Days: WeekdaysOf(days...)}
}

// Validate reports why r is not a usable rule, or nil.
func (r Rule) Validate() error {
	switch r.Freq {
	case FreqDaily:
		if r.Interval < 1 || r.Interval > MaxDailyInterval {
			return ruleErr("INTERVAL %d must be 1..%d for FREQ=DAILY", r.Interval, MaxDailyInterval)
		}
		if r.Days != 0 {
			return ruleErr("BYDAY is not allowed with FREQ=DAILY; use FREQ=WEEKLY")
		}
	case FreqWeekly:
		if r.Interval < 1 || r.Interval > MaxWeeklyInterval {
			return ruleErr("INTERVAL %d must be 1..%d for FREQ=WEEKLY", r.Interval, MaxWeeklyInterval)
		}
		if r.Days == 0 {
			return ruleErr("FREQ=WEEKLY needs BYDAY with at least one day")
		}
		if r.Days&^allDays != 0 {
			return ruleErr("BYDAY has bits outside Sunday..Saturday")
		}
	default:
		return ruleErr("FREQ must be DAILY or WEEKLY")
	}
	return nil
}

// String returns the canonical RRULE text of r, which [ParseRule] accepts
// back for every valid r: FREQ, then INTERVAL (always written, so the
// stored text is explicit), then BYDAY in Monday..Sunday order.
func (r Rule) String() string {
	var b strings.Builder
	b.WriteString("FREQ=")
	b.WriteString(r.Freq.String())
	fmt.Fprintf(&b, ";INTERVAL=%d", r.Interval)
	if r.Days != 0 {
		b.WriteString(";BYDAY=")
		b.WriteString(r.Days.String())
	}
	return b.String()
}

// unsupportedKeys are RRULE keys we recognise but refuse, each with the
// reason, so the error tells the caller what to do instead.
var unsupportedKeys = map[string]string{
	"COUNT":      "COUNT is not supported: end a schedule with its EndDate",
	"UNTIL":      "UNTIL is not supported: end a schedule with its EndDate",
	"WKST":       "WKST is not supported: weeks always start on Monday (ISO 8601)",
	"BYSETPOS":   "BYSETPOS is not supported",
	"BYMONTH":    "BYMONTH is not supported",
	"BYMONTHDAY": "BYMONTHDAY is not supported",
	"BYYEARDAY":  "BYYEARDAY is not supported",
	"BYWEEKNO":   "BYWEEKNO is not supported",
	"BYHOUR":     "BYHOUR is not supported: the time of day is the schedule's LocalTime",
	"BYMINUTE":   "BYMINUTE is not supported: the time of day is the schedule's LocalTime",
	"BYSECOND":   "BYSECOND is not supported: the time of day is the schedule's LocalTime",
}

// ParseRule parses the RRULE subset documented in the package doc. It
// never panics; every error wraps [ErrInvalidRule] and names the problem.
func ParseRule(s string) (Rule, error) {
	if s == "" {
		return Rule{}, ruleErr("empty rule")
	}
	var (
		r                  Rule
		seen               = map[string]bool{}
		interval, byday    string
		hasInterval, hasBy bool
	)
	for i, part := range strings.Split(s, ";") {
		key, val, ok := strings.Cut(part, "=")
		if !ok || key == "" {
			return Rule{}, ruleErr("part %d %q is not KEY=VALUE", i+1, part)
		}
		if seen[key] {
			return Rule{}, ruleErr("duplicate key %s", key)
		}
		seen[key] = true
		if val == "" {
			return Rule{}, ruleErr("%s has an empty value", key)
		}
		switch key {
		case "FREQ":
			switch val {
			case "DAILY":
				r.Freq = FreqDaily
			case "WEEKLY":
				r.Freq = FreqWeekly
			case "SECONDLY", "MINUTELY", "HOURLY", "MONTHLY", "YEARLY":
				return Rule{}, ruleErr("FREQ=%s is not supported: use DAILY or WEEKLY", val)
			default:
				return Rule{}, ruleErr("FREQ %q is not a frequency: use DAILY or WEEKLY", val)
			}
		case "INTERVAL":
			interval, hasInterval = val, true
		case "BYDAY":
			byday, hasBy = val, true
		default:
			if why, ok := unsupportedKeys[key]; ok {
				return Rule{}, ruleErr("%s", why)
			}
			return Rule{}, ruleErr("unknown key %q", key)
		}
	}
	if r.Freq == 0 {
		return Rule{}, ruleErr("FREQ is missing")
	}
	r.Interval = 1 // RFC 5545 default
	if hasInterval {
		n, err := parseInterval(interval)
		if err != nil {
			return Rule{}, err
		}
		r.Interval = n
	}
	if hasBy {
		if r.Freq != FreqWeekly {
			return Rule{}, ruleErr("BYDAY is not allowed with FREQ=DAILY; use FREQ=WEEKLY")
		}
		days, err := parseWeekdays(byday)
		if err != nil {
			return Rule{}, err
		}
		r.Days = days
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// parseInterval accepts plain decimal digits only: no sign, no leading
// zero, no spaces, so each interval has exactly one spelling.
func parseInterval(s string) (int, error) {
	if len(s) > 3 || s[0] == '0' {
		return 0, ruleErr("INTERVAL %q must be a whole number 1..%d without leading zeros", s, MaxDailyInterval)
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, ruleErr("INTERVAL %q must be a whole number 1..%d", s, MaxDailyInterval)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

func ruleErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRule, fmt.Sprintf(format, args...))
}
