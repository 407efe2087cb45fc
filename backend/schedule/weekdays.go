package schedule

import (
	"strings"
	"time"
)

// Weekdays is a set of weekdays: bit i is time.Weekday(i). A bit set, not
// a slice, keeps [Rule] comparable and its canonical order implicit.
type Weekdays uint8

const allDays Weekdays = 1<<7 - 1

// isoOrder is Monday..Sunday: the canonical BYDAY order and the order of
// days within an ISO week.
var isoOrder = [7]time.Weekday{
	time.Monday, time.Tuesday, time.Wednesday, time.Thursday,
	time.Friday, time.Saturday, time.Sunday,
}

var dayCodes = [7]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// WeekdaysOf returns the set of the given days. Days outside
// Sunday..Saturday are ignored.
func WeekdaysOf(days ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range days {
		if d >= time.Sunday && d <= time.Saturday {
			w |= 1 << d
		}
	}
	return w
}

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool {
	return d >= time.Sunday && d <= time.Saturday && w&(1<<d) != 0
}

// String returns the RRULE BYDAY list in Monday..Sunday order, e.g. "MO,TH".
func (w Weekdays) String() string {
	codes := make([]string, 0, 7)
	for _, d := range isoOrder {
		if w.Has(d) {
			codes = append(codes, dayCodes[d])
		}
	}
	return strings.Join(codes, ",")
}

// parseWeekdays parses a BYDAY list of two-letter day codes. Ordinal
// prefixes ("1MO", "-1FR") are monthly/yearly RRULE features and refused.
func parseWeekdays(s string) (Weekdays, error) {
	var w Weekdays
	for _, code := range strings.Split(s, ",") {
		d, ok := weekdayCode(code)
		if !ok {
			return 0, ruleErr("BYDAY day %q is not one of MO,TU,WE,TH,FR,SA,SU", code)
		}
		if w.Has(d) {
			return 0, ruleErr("BYDAY lists %s twice", code)
		}
		w |= 1 << d
	}
	return w, nil
}

func weekdayCode(code string) (time.Weekday, bool) {
	for i, c := range dayCodes {
		if c == code {
			return time.Weekday(i), true
		}
	}
	return 0, false
}
