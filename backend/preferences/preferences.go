// Package preferences is what one professional's own settings mean (issue 14): how a request
// is validated into the stored form (store.Preferences), and how a stored row and the
// deployment's defaults resolve into the values that take effect. The domain layer (package
// backend/household) validates and shows them; the scheduler (package backend/reminders)
// sends each supervisor's digests by them. Both resolve through Resolve, so the API shows
// exactly what the scheduler does.
//
// Every stored value may be empty, meaning the deployment's default: a professional who never
// chose follows a change of the deployment. A stored value that no longer reads (a zone the
// server's tz data dropped) falls back to the default as well, and is reported as defaulted,
// rather than stopping that person's digests.
//
// # Language
//
// The language is the one of what Veilig says to a professional in words: the visible text of
// their pushes (push.Text, which picks among fixed neutral sentences by it; the words stay
// neutral in every language, since a lock screen may be read by the person a household needs
// protection from) and, later, the printable plan and the app's own texts. Preferences carry
// no personal data beyond the choice itself, and nothing here logs.
package preferences

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
)

// Field names one preference, for saying which take the deployment's default.
type Field int

// The preferences, in the order Effective.Defaults lists them.
const (
	// Language is the BCP 47 tag of the professional's language.
	Language Field = iota + 1
	// DigestTimes are the local times of a supervisor's digests.
	DigestTimes
	// QuietHours are QuietStart and QuietEnd, which are chosen together.
	QuietHours
	// TimeZone is the zone in which the times are read.
	TimeZone
)

// Defaults are a deployment's values for whoever did not choose their own. Zone must not be
// nil; DigestTimes may be empty (a deployment without digests).
type Defaults struct {
	Language             string
	DigestTimes          []schedule.Clock
	QuietStart, QuietEnd schedule.Clock
	Zone                 *time.Location
}

// DeploymentDefaults are the built-in defaults: Dutch, digests at 08:00 and 16:00, quiet
// hours 22:00–07:00, Europe/Amsterdam. The scheduler's Config falls back to the same values,
// so the API and the scheduler agree when a deployment sets none.
func DeploymentDefaults() (Defaults, error) {
	loc, err := schedule.DefaultLocation()
	if err != nil {
		return Defaults{}, fmt.Errorf("default zone: %w", err)
	}
	return Defaults{Language: "nl", DigestTimes: []schedule.Clock{{Hour: 8}, {Hour: 16}},
		QuietStart: schedule.Clock{Hour: 22}, QuietEnd: schedule.Clock{Hour: 7}, Zone: loc}, nil
}

// Input is a request to set a professional's preferences, whole, in the API's form: empty
// strings and no digest times mean the deployment's default.
type Input struct {
	Language             string
	DigestTimes          []string
	QuietStart, QuietEnd string
	TimeZone             string
}

// ErrInvalid is what every refusal of Validate and LoadZone is (errors.Is); each is an
// *InvalidError naming the rule broken.
var ErrInvalid = errors.New("invalid preferences")

// InvalidError is a refusal of preferences by one rule. Rule names the rule, never the value
// given, so it may be shown to the client and logged.
type InvalidError struct{ Rule string }

func (e *InvalidError) Error() string { return ErrInvalid.Error() + ": " + e.Rule }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(rule string) error { return &InvalidError{Rule: rule} }

// MaxDigestTimes bounds the digests a day (the API allows as many).
const MaxDigestTimes = 8

// Validate checks in and returns its stored form for professionalID at now: the language as
// its canonical BCP 47 tag, digest times sorted and each once ("07:30,16:00"), quiet hours
// both set or both empty, and the zone an IANA name the server knows (time.LoadLocation;
// "Local", the server's own zone, is refused). A refusal wraps ErrInvalid.
func Validate(professionalID string, in Input, now time.Time) (store.Preferences, error) {
	out := store.Preferences{ProfessionalID: professionalID, UpdatedAt: now}
	if in.Language != "" {
		tag, err := language.Parse(in.Language)
		if err != nil || tag == language.Und {
			return out, invalid("language must be a well-formed BCP 47 tag such as nl or en-GB")
		}
		out.Language = tag.String()
	}
	if len(in.DigestTimes) > MaxDigestTimes {
		return out, invalid(fmt.Sprintf("at most %d digest times", MaxDigestTimes))
	}
	times := make([]schedule.Clock, 0, len(in.DigestTimes))
	for _, s := range in.DigestTimes {
		c, err := schedule.ParseClock(s)
		if err != nil {
			return out, invalid("digest times must be HH:MM")
		}
		times = append(times, c)
	}
	out.DigestTimes = FormatTimes(times)
	if (in.QuietStart == "") != (in.QuietEnd == "") {
		return out, invalid("quiet_start and quiet_end are both set or both empty")
	}
	if in.QuietStart != "" {
		start, err1 := schedule.ParseClock(in.QuietStart)
		end, err2 := schedule.ParseClock(in.QuietEnd)
		if err1 != nil || err2 != nil {
			return out, invalid("quiet hours must be HH:MM")
		}
		out.QuietStart, out.QuietEnd = start.String(), end.String()
	}
	if in.TimeZone != "" {
		if _, err := LoadZone(in.TimeZone); err != nil {
			return out, err
		}
		out.TimeZone = in.TimeZone
	}
	return out, nil
}

// LoadZone loads an IANA zone by name, refusing "" and "Local" (which would be the server's
// zone, not the professional's); a refusal wraps ErrInvalid.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, invalid("time_zone must be an IANA zone name such as Europe/Amsterdam")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, invalid("time_zone is not a zone this server knows")
	}
	return loc, nil
}

// FormatTimes is the stored form of digest times: sorted, each once, "HH:MM" joined by ','
// ("" for none).
func FormatTimes(times []schedule.Clock) string {
	sorted := slices.Clone(times)
	slices.SortFunc(sorted, func(a, b schedule.Clock) int { return a.Minutes() - b.Minutes() })
	sorted = slices.Compact(sorted)
	parts := make([]string, len(sorted))
	for i, c := range sorted {
		parts[i] = c.String()
	}
	return strings.Join(parts, ",")
}

// ParseTimes reads the stored form of digest times; "" is none.
func ParseTimes(s string) ([]schedule.Clock, error) {
	if s == "" {
		return nil, nil
	}
	var out []schedule.Clock
	for _, part := range strings.Split(s, ",") {
		c, err := schedule.ParseClock(part)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Effective are the values that take effect for one professional.
type Effective struct {
	Language             string
	DigestTimes          []schedule.Clock
	QuietStart, QuietEnd schedule.Clock
	Zone                 *time.Location
	// Defaults lists the preferences that are the deployment's, in Field order.
	Defaults []Field
	// UpdatedAt is when the professional last set their preferences; nil when never.
	UpdatedAt *time.Time
}

// Resolve returns what takes effect for the professional whose stored row is p (nil for one
// who never set any) over the deployment's defaults d: each stored value that reads, else
// d's. It is pure, so the API and every scheduler replica resolve alike.
func Resolve(p *store.Preferences, d Defaults) Effective {
	e := Effective{Language: d.Language, DigestTimes: d.DigestTimes, QuietStart: d.QuietStart, QuietEnd: d.QuietEnd, Zone: d.Zone}
	if p == nil {
		e.Defaults = []Field{Language, DigestTimes, QuietHours, TimeZone}
		return e
	}
	at := p.UpdatedAt
	e.UpdatedAt = &at
	if p.Language != "" {
		e.Language = p.Language
	} else {
		e.Defaults = append(e.Defaults, Language)
	}
	if times, err := ParseTimes(p.DigestTimes); err == nil && len(times) > 0 {
		e.DigestTimes = times
	} else {
		e.Defaults = append(e.Defaults, DigestTimes)
	}
	start, err1 := schedule.ParseClock(p.QuietStart)
	end, err2 := schedule.ParseClock(p.QuietEnd)
	if err1 == nil && err2 == nil {
		e.QuietStart, e.QuietEnd = start, end
	} else {
		e.Defaults = append(e.Defaults, QuietHours)
	}
	if loc, err := LoadZone(p.TimeZone); err == nil {
		e.Zone = loc
	} else {
		e.Defaults = append(e.Defaults, TimeZone)
	}
	return e
}

// Quiet reports whether t falls in e's quiet hours, read in e's zone: from QuietStart up to
// QuietEnd, across midnight when QuietEnd is earlier; equal bounds mean no quiet hours.
func (e Effective) Quiet(t time.Time) bool {
	start, end := e.QuietStart.Minutes(), e.QuietEnd.Minutes()
	if start == end {
		return false
	}
	l := t.In(e.Zone)
	m := l.Hour()*60 + l.Minute()
	if start < end {
		return m >= start && m < end
	}
	return m >= start || m < end
}
