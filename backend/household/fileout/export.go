// Package fileout is a household's file out of Veilig, as pure functions over a
// store.HouseholdFile: the printable safety plan (Render, an HTML page) and the
// machine-readable export for a GDPR access request (Encode), with its parser for an import
// into another region (Decode). Who may call them, and the access record of each call, are
// the domain layer's (backend/household); nothing here reads a database or logs.
//
// The export's format is "veilig.household-export/v1", documented in docs/export.md. Decode
// reads outside input: it never panics, and its errors name a field and a rule, never a value,
// so that they may reach a log and an access record.
package fileout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
	"github.com/veilig/veilig/sync/server"
)

// Format names the export's format and version; Decode accepts this one only. A change that
// old readers would misread gets a new version.
const Format = "veilig.household-export/v1"

// ContentType is the export's media type.
const ContentType = "application/json"

// MaxDocument is the largest document Decode reads (the RPC's own limit).
const MaxDocument = 16 << 20

// Document is the export, field for field as docs/export.md describes it.
type Document struct {
	Format        string         `json:"format"`
	ExportedAt    time.Time      `json:"exported_at"`
	ExportedBy    string         `json:"exported_by"`
	Household     Household      `json:"household"`
	Team          Team           `json:"team"`
	Organizations []Organization `json:"organizations"`
	CareTeam      []Member       `json:"care_team"`
	PlanEntries   []Entry        `json:"plan_entries"`
	Schedules     []Schedule     `json:"schedules"`
	CheckIns      []CheckIn      `json:"check_ins"`
}

// Household is the household's own record.
type Household struct {
	ID          string    `json:"id"`
	Code        string    `json:"code"`
	DisplayName string    `json:"display_name"`
	TeamID      string    `json:"team_id"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Team is the household's team.
type Team struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Organization is an organization of a care-team member.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Member is one professional of the care team.
type Member struct {
	ProfessionalID   string `json:"professional_id"`
	OrganizationID   string `json:"organization_id"`
	OrganizationName string `json:"organization_name"`
	DisplayName      string `json:"display_name"`
	Email            string `json:"email"`
	Phone            string `json:"phone,omitempty"`
	Role             string `json:"role"`
	Lead             bool   `json:"lead"`
	// TeamMember says the professional is a member of the household's team.
	TeamMember bool `json:"team_member"`
}

// Entry is one plan entry: its current fields and their history.
type Entry struct {
	ID        string            `json:"id"`
	Section   string            `json:"section"`
	Deleted   bool              `json:"deleted"`
	Fields    map[string]string `json:"fields"`
	Version   int64             `json:"version"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	UpdatedBy string            `json:"updated_by"`
	History   []FieldWrite      `json:"history"`
	Deletes   []Delete          `json:"deletes"`
	Conflicts []Conflict        `json:"conflicts"`
}

// FieldWrite is one edit of one field; current marks the value the field holds.
type FieldWrite struct {
	Field      string `json:"field"`
	Value      string `json:"value"`
	MutationID string `json:"mutation_id"`
	// Stamp and Seen are hybrid logical clock stamps (sync/hlc's text form).
	Stamp    string `json:"stamp"`
	Seen     string `json:"seen"`
	DeviceID string `json:"device_id"`
	AuthorID string `json:"author_id"`
	Current  bool   `json:"current"`
	Version  int64  `json:"version"`
}

// Delete is one delete of the entry.
type Delete struct {
	MutationID string `json:"mutation_id"`
	Stamp      string `json:"stamp"`
	Seen       string `json:"seen"`
	DeviceID   string `json:"device_id"`
	AuthorID   string `json:"author_id"`
	Version    int64  `json:"version"`
}

// Conflict is a concurrent overwrite of a field of the entry, kept for the care team.
type Conflict struct {
	ID            string `json:"id"`
	Field         string `json:"field"`
	MutationID    string `json:"mutation_id"`
	Value         string `json:"value"`
	Stamp         string `json:"stamp"`
	DeviceID      string `json:"device_id"`
	AuthorID      string `json:"author_id"`
	OverwrittenBy string `json:"overwritten_by"`
	Resolved      bool   `json:"resolved"`
	Version       int64  `json:"version"`
}

// Schedule is one check-in schedule.
type Schedule struct {
	ID                 string     `json:"id"`
	Rule               string     `json:"rule"`
	TimeZone           string     `json:"time_zone"`
	LocalTime          string     `json:"local_time"`
	WindowEnd          string     `json:"window_end"`
	GraceMinutes       int32      `json:"grace_minutes"`
	Channel            string     `json:"channel"`
	LeadProfessionalID string     `json:"lead_professional_id"`
	Paused             bool       `json:"paused"`
	StartDate          string     `json:"start_date"`
	EndDate            string     `json:"end_date"`
	NextDueAt          *time.Time `json:"next_due_at"`
	OverdueAt          *time.Time `json:"overdue_at"`
	OpensAt            *time.Time `json:"opens_at"`
	LastCheckInAt      *time.Time `json:"last_check_in_at"`
	Version            int64      `json:"version"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// CheckIn is one check-in, a fact.
type CheckIn struct {
	ID         string    `json:"id"`
	ScheduleID string    `json:"schedule_id"`
	Channel    string    `json:"channel"`
	Outcome    string    `json:"outcome"`
	Note       string    `json:"note"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
	Version    int64     `json:"version"`
}

// Encode renders f as an export document, indented for a person to read, exported at at by
// the professional exportedBy.
func Encode(f *store.HouseholdFile, exportedBy string, at time.Time) ([]byte, error) {
	d := toDocument(f, exportedBy, at)
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode export of %s: %w", f.Household.ID, err)
	}
	return append(out, '\n'), nil
}

func toDocument(f *store.HouseholdFile, exportedBy string, at time.Time) Document {
	h := f.Household
	d := Document{Format: Format, ExportedAt: at.UTC(), ExportedBy: exportedBy,
		Household: Household{ID: h.ID, Code: h.Code, DisplayName: h.DisplayName, TeamID: h.TeamID, Version: h.Version,
			CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt},
		Team:          Team{ID: f.Team.ID, Name: f.Team.Name},
		Organizations: []Organization{}, CareTeam: []Member{}, PlanEntries: []Entry{}, Schedules: []Schedule{}, CheckIns: []CheckIn{}}
	orgNames := map[string]string{}
	for _, o := range f.Organizations {
		d.Organizations = append(d.Organizations, Organization{ID: o.ID, Name: o.Name})
		orgNames[o.ID] = o.Name
	}
	lead, teamMember := map[string]bool{}, map[string]bool{}
	for _, m := range f.CareTeam {
		lead[m.ProfessionalID] = m.Lead
	}
	for _, id := range f.TeamMembers {
		teamMember[id] = true
	}
	for _, p := range f.Professionals {
		d.CareTeam = append(d.CareTeam, Member{ProfessionalID: p.ID, OrganizationID: p.OrganizationID, OrganizationName: orgNames[p.OrganizationID],
			DisplayName: p.DisplayName, Email: p.Email, Phone: p.Phone, Role: string(p.Role), Lead: lead[p.ID], TeamMember: teamMember[p.ID]})
	}
	for _, e := range f.Entries {
		out := Entry{ID: e.ID, Section: string(e.Section), Deleted: e.Deleted, Fields: e.Fields, Version: e.Version,
			CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, UpdatedBy: e.UpdatedBy, History: []FieldWrite{}, Deletes: []Delete{}, Conflicts: []Conflict{}}
		if out.Fields == nil {
			out.Fields = map[string]string{}
		}
		for _, w := range f.Writes {
			if w.RecordID == e.ID {
				out.History = append(out.History, FieldWrite{Field: w.Field, Value: w.Value, MutationID: w.MutationID, Stamp: w.Stamp.String(),
					Seen: w.Seen.String(), DeviceID: w.DeviceID, AuthorID: w.AuthorID, Current: w.Current, Version: w.Version})
			}
		}
		for _, x := range f.Deletes {
			if x.RecordID == e.ID {
				out.Deletes = append(out.Deletes, Delete{MutationID: x.MutationID, Stamp: x.Stamp.String(), Seen: x.Seen.String(),
					DeviceID: x.DeviceID, AuthorID: x.AuthorID, Version: x.Version})
			}
		}
		for _, c := range f.Conflicts {
			if c.RecordID == e.ID {
				out.Conflicts = append(out.Conflicts, Conflict{ID: c.ID, Field: c.Field, MutationID: c.MutationID, Value: c.Value,
					Stamp: c.Stamp.String(), DeviceID: c.DeviceID, AuthorID: c.AuthorID, OverwrittenBy: c.OverwrittenBy,
					Resolved: c.Resolved, Version: c.Version})
			}
		}
		d.PlanEntries = append(d.PlanEntries, out)
	}
	for _, s := range f.Schedules {
		d.Schedules = append(d.Schedules, Schedule{ID: s.ID, Rule: s.Rule, TimeZone: s.TimeZone, LocalTime: s.LocalTime, WindowEnd: s.WindowEnd,
			GraceMinutes: s.GraceMinutes, Channel: s.Channel, LeadProfessionalID: s.LeadProfessionalID, Paused: s.Paused,
			StartDate: s.StartDate, EndDate: s.EndDate, NextDueAt: s.NextDueAt, OverdueAt: s.OverdueAt, OpensAt: s.OpensAt,
			LastCheckInAt: s.LastCheckInAt, Version: s.Version, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt})
	}
	for _, c := range f.CheckIns {
		d.CheckIns = append(d.CheckIns, CheckIn{ID: c.ID, ScheduleID: c.ScheduleID, Channel: c.Channel, Outcome: c.Outcome, Note: c.Note,
			RecordedBy: c.RecordedBy, RecordedAt: c.RecordedAt, Version: c.Version})
	}
	return d
}

// ErrDocument is the class of every error of Decode: the document is not a household export
// this version reads.
var ErrDocument = errors.New("not a valid household export")

// docError is an error of Decode: where in the document, and which rule it breaks.
func docError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDocument, fmt.Sprintf(format, args...))
}

// Decode parses and checks an export document and returns the household file it describes.
// It checks what an import relies on: the format, ids that are UUIDs (plan entry, mutation and
// conflict ids as the sync protocol makes them), known sections, roles and stamps, and that
// every id the file refers to is in it. Its errors wrap ErrDocument and name fields, never
// values.
func Decode(doc []byte) (*store.HouseholdFile, error) {
	if len(doc) > MaxDocument {
		return nil, docError("larger than %d bytes", MaxDocument)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, docError("%s", jsonProblem(err))
	}
	if dec.More() {
		return nil, docError("more than one JSON value")
	}
	if d.Format != Format {
		return nil, docError("format is not %q", Format)
	}
	return fromDocument(&d)
}

// jsonProblem describes a JSON error without the offending text.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type", typ.Field)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "not JSON (truncated or empty)"
	default:
		// Unknown fields, bad times: encoding/json names the field, and for a time the value,
		// so only the class is kept.
		return "not a document of this format (unknown field or malformed value)"
	}
}

var (
	sections = map[string]bool{string(change.SectionDanger): true, string(change.SectionSafetyGoal): true, string(change.SectionAgreement): true,
		string(change.SectionNetworkPerson): true, string(change.SectionWarningSignal): true, string(change.SectionCrisisContact): true,
		string(change.SectionReview): true}
	// roles an import may give: those of people who work on households. An import never
	// creates an admin, a privacy officer or a regional administrator (roles that are
	// granted, and recorded, by the directory's own calls).
	roles = map[string]bool{string(store.RoleProfessional): true, string(store.RoleSupervisor): true}
)

func isUUID(s string) bool { _, err := uuid.Parse(s); return err == nil && len(s) == 36 }

// fromDocument checks d and converts it.
func fromDocument(d *Document) (*store.HouseholdFile, error) {
	h := d.Household
	switch {
	case !isUUID(h.ID):
		return nil, docError("household.id is not a UUID")
	case h.Code == "" || len(h.Code) > 100:
		return nil, docError("household.code is empty or too long")
	case !isUUID(d.Team.ID) || h.TeamID != d.Team.ID:
		return nil, docError("team.id is not a UUID or not household.team_id")
	case d.Team.Name == "":
		return nil, docError("team.name is empty")
	}
	f := &store.HouseholdFile{
		Household: &store.Household{ID: h.ID, Code: h.Code, DisplayName: h.DisplayName, TeamID: h.TeamID, Version: h.Version,
			CreatedAt: h.CreatedAt.UTC(), UpdatedAt: h.UpdatedAt.UTC()},
		Team: &store.Team{ID: d.Team.ID, Name: d.Team.Name, CreatedAt: h.CreatedAt.UTC()},
	}
	orgs := map[string]bool{}
	for i, o := range d.Organizations {
		if !isUUID(o.ID) || o.Name == "" || orgs[o.ID] {
			return nil, docError("organizations[%d]: id is not a UUID, is repeated, or the name is empty", i)
		}
		orgs[o.ID] = true
		f.Organizations = append(f.Organizations, &store.Organization{ID: o.ID, Name: o.Name, CreatedAt: h.CreatedAt.UTC()})
	}
	members := map[string]bool{}
	leads := 0
	for i, m := range d.CareTeam {
		switch {
		case !isUUID(m.ProfessionalID) || members[m.ProfessionalID]:
			return nil, docError("care_team[%d].professional_id is not a UUID or is repeated", i)
		case !orgs[m.OrganizationID]:
			return nil, docError("care_team[%d].organization_id is not among organizations", i)
		case !roles[m.Role]:
			return nil, docError("care_team[%d].role is not a role a care-team member holds", i)
		case m.DisplayName == "":
			return nil, docError("care_team[%d].display_name is empty", i)
		}
		members[m.ProfessionalID] = true
		if m.Lead {
			leads++
		}
		f.Professionals = append(f.Professionals, &store.Professional{ID: m.ProfessionalID, OrganizationID: m.OrganizationID,
			DisplayName: m.DisplayName, Email: m.Email, Phone: m.Phone, Role: store.Role(m.Role), CreatedAt: h.CreatedAt.UTC()})
		f.CareTeam = append(f.CareTeam, &store.CareTeamMember{HouseholdID: h.ID, ProfessionalID: m.ProfessionalID, Lead: m.Lead})
		if m.TeamMember {
			f.TeamMembers = append(f.TeamMembers, m.ProfessionalID)
		}
	}
	if leads > 1 {
		return nil, docError("care_team has more than one lead")
	}
	entries := map[string]bool{}
	for i, e := range d.PlanEntries {
		if err := addEntry(f, i, e, entries); err != nil {
			return nil, err
		}
	}
	schedules := map[string]bool{}
	for i, s := range d.Schedules {
		if !isUUID(s.ID) || schedules[s.ID] {
			return nil, docError("schedules[%d].id is not a UUID or is repeated", i)
		}
		if s.Rule == "" || s.LocalTime == "" || s.Channel == "" {
			return nil, docError("schedules[%d]: rule, local_time or channel is empty", i)
		}
		schedules[s.ID] = true
		f.Schedules = append(f.Schedules, &store.Schedule{ID: s.ID, HouseholdID: h.ID, Rule: s.Rule, TimeZone: s.TimeZone, LocalTime: s.LocalTime,
			WindowEnd: s.WindowEnd, GraceMinutes: s.GraceMinutes, Channel: s.Channel, LeadProfessionalID: s.LeadProfessionalID, Paused: s.Paused,
			StartDate: s.StartDate, EndDate: s.EndDate, NextDueAt: utcPtr(s.NextDueAt), OverdueAt: utcPtr(s.OverdueAt), OpensAt: utcPtr(s.OpensAt),
			LastCheckInAt: utcPtr(s.LastCheckInAt), Version: s.Version, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()})
	}
	checkIns := map[string]bool{}
	for i, c := range d.CheckIns {
		switch {
		case !isUUID(c.ID) || checkIns[c.ID]:
			return nil, docError("check_ins[%d].id is not a UUID or is repeated", i)
		case c.ScheduleID != "" && !schedules[c.ScheduleID]:
			return nil, docError("check_ins[%d].schedule_id is not among schedules", i)
		case c.Channel == "" || c.Outcome == "" || c.RecordedAt.IsZero():
			return nil, docError("check_ins[%d]: channel, outcome or recorded_at is empty", i)
		}
		checkIns[c.ID] = true
		f.CheckIns = append(f.CheckIns, &change.CheckIn{ID: c.ID, HouseholdID: h.ID, ScheduleID: c.ScheduleID, Channel: c.Channel,
			Outcome: c.Outcome, Note: c.Note, RecordedBy: c.RecordedBy, RecordedAt: c.RecordedAt.UTC(), Version: c.Version})
	}
	return f, nil
}

// addEntry checks the i-th plan entry and adds it, with its history, to f.
func addEntry(f *store.HouseholdFile, i int, e Entry, seen map[string]bool) error {
	hid := f.Household.ID
	switch {
	case !isUUID(e.ID) || seen[e.ID]:
		return docError("plan_entries[%d].id is not a UUID or is repeated", i)
	case !sections[e.Section]:
		return docError("plan_entries[%d].section is not a section of the plan", i)
	}
	seen[e.ID] = true
	f.Entries = append(f.Entries, &store.PlanEntry{ID: e.ID, HouseholdID: hid, Section: change.Section(e.Section), Fields: e.Fields,
		Deleted: e.Deleted, Version: e.Version, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), UpdatedBy: e.UpdatedBy})
	writes := map[[2]string]bool{}
	for j, w := range e.History {
		stamp, err1 := hlc.Parse(w.Stamp)
		seenStamp, err2 := hlc.Parse(w.Seen)
		switch {
		case w.Field == "" || w.MutationID == "" || writes[[2]string{w.Field, w.MutationID}]:
			return docError("plan_entries[%d].history[%d]: field or mutation_id is empty, or the write is repeated", i, j)
		case err1 != nil || err2 != nil:
			return docError("plan_entries[%d].history[%d]: stamp or seen is not a clock stamp", i, j)
		}
		writes[[2]string{w.Field, w.MutationID}] = true
		f.Writes = append(f.Writes, server.WriteRow{HouseholdID: hid, RecordID: e.ID, Field: w.Field, MutationID: w.MutationID, Value: w.Value,
			Stamp: stamp, Seen: seenStamp, DeviceID: w.DeviceID, AuthorID: w.AuthorID, Current: w.Current, Version: w.Version})
	}
	for j, x := range e.Deletes {
		stamp, err1 := hlc.Parse(x.Stamp)
		seenStamp, err2 := hlc.Parse(x.Seen)
		if x.MutationID == "" || err1 != nil || err2 != nil {
			return docError("plan_entries[%d].deletes[%d]: mutation_id is empty, or stamp or seen is not a clock stamp", i, j)
		}
		f.Deletes = append(f.Deletes, server.DeleteRow{MutationID: x.MutationID, HouseholdID: hid, RecordID: e.ID, Stamp: stamp, Seen: seenStamp,
			DeviceID: x.DeviceID, AuthorID: x.AuthorID, Version: x.Version})
	}
	for j, c := range e.Conflicts {
		stamp, err := hlc.Parse(c.Stamp)
		if c.ID == "" || c.Field == "" || c.MutationID == "" || err != nil {
			return docError("plan_entries[%d].conflicts[%d]: id, field or mutation_id is empty, or stamp is not a clock stamp", i, j)
		}
		f.Conflicts = append(f.Conflicts, &change.Conflict{ID: c.ID, HouseholdID: hid, RecordID: e.ID, Field: c.Field, MutationID: c.MutationID,
			Value: c.Value, Stamp: stamp, DeviceID: c.DeviceID, AuthorID: c.AuthorID, OverwrittenBy: c.OverwrittenBy, Resolved: c.Resolved,
			Version: c.Version})
	}
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
