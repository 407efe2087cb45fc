package mobile

import (
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // a phone process has no dependable zone database on disk

	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/sync/client"
)

// scheduleJSON is the JSON of one schedule in SchedulesJSON.
type scheduleJSON struct {
	ID                 string       `json:"id"`
	Rule               string       `json:"rule"`
	TimeZone           string       `json:"timeZone"`
	LocalTime          string       `json:"localTime"`
	WindowEnd          string       `json:"windowEnd,omitempty"`
	GraceMinutes       int          `json:"graceMinutes"`
	Channel            string       `json:"channel"`
	LeadProfessionalID string       `json:"leadProfessionalId"`
	Paused             bool         `json:"paused"`
	StartDate          string       `json:"startDate"`
	EndDate            string       `json:"endDate,omitempty"`
	Upcoming           []occurrence `json:"upcoming"`
}

// occurrence is one planned check-in: when it is due, when it is overdue, and the end of its
// window if it has one, as RFC 3339 instants in the schedule's zone.
type occurrence struct {
	Due       string `json:"due"`
	OverdueAt string `json:"overdueAt"`
	WindowEnd string `json:"windowEnd,omitempty"`
}

// SchedulesJSON lists a household's check-in schedules, sorted by id, each with its next
// count occurrences (count is clamped to 1..50) computed on the phone from its own clock with
// the server's rules: [{"id", "rule", "timeZone", "localTime", "windowEnd", "graceMinutes",
// "channel", "leadProfessionalId", "paused", "startDate", "endDate",
// "upcoming": [{"due", "overdueAt", "windowEnd"}]}]. An occurrence still within its grace
// period is included, so a visit due an hour ago shows until it is overdue. A paused or ended
// schedule has no upcoming occurrences; so has one the phone cannot read (a rule or zone from
// a newer server), which is shown rather than dropped.
func (m *Replica) SchedulesJSON(householdID string, count int) (string, error) {
	r, _, release, err := m.acquireShown()
	if err != nil {
		return "", err
	}
	defer release()
	count = min(max(count, 1), 50)
	now := m.now()
	out := []scheduleJSON{}
	for _, sc := range r.Schedules(householdID) {
		j := scheduleJSON{ID: sc.ID, Rule: sc.Rule, TimeZone: sc.TimeZone, LocalTime: sc.LocalTime, WindowEnd: sc.WindowEnd,
			GraceMinutes: sc.GraceMinutes, Channel: sc.Channel, LeadProfessionalID: sc.LeadProfessionalID, Paused: sc.Paused,
			StartDate: sc.StartDate, EndDate: sc.EndDate, Upcoming: []occurrence{}}
		if plan, ok := plannable(sc); ok {
			j.Upcoming = upcoming(plan, now, count)
		}
		out = append(out, j)
	}
	return toJSON(out)
}

// upcoming returns the next count occurrences of s that are not yet overdue at now.
func upcoming(s schedule.Schedule, now time.Time, count int) []occurrence {
	out := []occurrence{}
	loc, err := s.Zone()
	if err != nil {
		return out
	}
	after := now.Add(-s.Grace)
	for len(out) < count {
		due, ok := schedule.NextDue(s, after)
		if !ok {
			break
		}
		o := occurrence{Due: due.In(loc).Format(time.RFC3339), OverdueAt: schedule.OverdueAt(s, due).In(loc).Format(time.RFC3339)}
		if end, ok := schedule.WindowEndAt(s, due); ok {
			o.WindowEnd = end.In(loc).Format(time.RFC3339)
		}
		out = append(out, o)
		after = due
	}
	return out
}

// plannable returns the schedule value of sc and whether the phone can plan its checks. A
// grace too long for its rule (stored before the server refused such schedules) still plans
// the checks the server plans, so the phone shows them as the server will remind.
func plannable(sc client.Schedule) (schedule.Schedule, bool) {
	plan, err := toSchedule(sc)
	return plan, err == nil || errors.Is(err, schedule.ErrGraceTooLong)
}

// toSchedule turns a pulled schedule into the schedule package's value, as the server does
// with its stored one.
func toSchedule(sc client.Schedule) (schedule.Schedule, error) {
	rule, err := schedule.ParseRule(sc.Rule)
	if err != nil {
		return schedule.Schedule{}, err
	}
	s := schedule.Schedule{Rule: rule, Grace: time.Duration(sc.GraceMinutes) * time.Minute, Paused: sc.Paused}
	if sc.TimeZone != "" {
		if s.Location, err = schedule.LoadZone(sc.TimeZone); err != nil {
			return schedule.Schedule{}, fmt.Errorf("schedule zone: %w", err)
		}
	}
	if s.LocalTime, err = schedule.ParseClock(sc.LocalTime); err != nil {
		return schedule.Schedule{}, err
	}
	if sc.WindowEnd != "" {
		if s.WindowEnd, err = schedule.ParseClock(sc.WindowEnd); err != nil {
			return schedule.Schedule{}, err
		}
		s.HasWindowEnd = true
	}
	if s.StartDate, err = schedule.ParseDate(sc.StartDate); err != nil {
		return schedule.Schedule{}, err
	}
	if sc.EndDate != "" {
		if s.EndDate, err = schedule.ParseDate(sc.EndDate); err != nil {
			return schedule.Schedule{}, err
		}
	}
	return s, s.Validate()
}
