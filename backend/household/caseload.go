package household

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// ActionCaseloadImport is the access record of an import (RegionService.ImportCaseload); each
// household it creates or changes gets its own record in its own chain besides.
const ActionCaseloadImport = "caseload.import"

var opImportCaseload = operation{veiligv1connect.RegionServiceImportCaseloadProcedure, ActionCaseloadImport}

// CaseloadColumns are the columns of an import file, in any order after a header line that
// names them (docs/onboarding.md). team is a team's id or exact name; lead and care_team name
// professionals as "ORGANIZATION/KEY" — the organization's id or exact name, and the
// professional's work e-mail or "subject:" followed by their subject at one of the
// organization's identity providers — care_team several, separated by ";".
var CaseloadColumns = []string{"code", "display_name", "team", "lead", "care_team"}

// ImportAction is what one row of an import does.
type ImportAction string

// The actions of an import row.
const (
	ImportCreate    ImportAction = "create"
	ImportChange    ImportAction = "change"
	ImportUnchanged ImportAction = "unchanged"
	ImportFailed    ImportAction = "failed"
)

// ImportRow is the report of one row: its line in the file (the header is line 1), its
// household code, what it does and, when failed, why (naming the column, never a value
// but the code).
type ImportRow struct {
	Line    int
	Code    string
	Action  ImportAction
	Message string
}

// idNamespace derives the ids of what onboarding creates from what names it (DerivedID), so
// that running the same onboarding twice, or from another machine, addresses the same
// objects and the second run changes nothing.
var idNamespace = uuid.MustParse("5d1b7c3e-2f0a-4b8e-9a61-3c7e0f9d4a25")

// DerivedID is the id onboarding gives an object of kind ("organization", "team",
// "professional", "household") named by key: a UUIDv5, the same on every run and machine.
func DerivedID(kind string, key ...string) string {
	return uuid.NewSHA1(idNamespace, []byte(kind+"\x00"+strings.Join(key, "\x00"))).String()
}

// CaseloadHouseholdID is the id an import gives the household with code.
func CaseloadHouseholdID(code string) string { return DerivedID("household", code) }

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{2,31}$`)

// caseloadRow is one parsed data row.
type caseloadRow struct {
	line                   int
	code, name, team, lead string
	members                []string
	fieldErr               string
	householdID, teamID    string
	leadID                 string
	memberIDs              []string
	action                 ImportAction
	message                string
	existing               *store.Household
	existingTeam           []*store.CareTeamMember
}

// parseCaseload reads an import file: a header naming every column of CaseloadColumns, then
// one household per line. A malformed file (no header, a missing column, a line that is no
// CSV) is an error; a row with a bad field is returned with fieldErr set, so it is reported
// and skipped.
func parseCaseload(data []byte) ([]*caseloadRow, error) {
	if !utf8.Valid(data) {
		return nil, refuse(ErrInvalid, "csv: the file is not UTF-8")
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, refuse(ErrInvalid, "csv: no header line")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, c := range CaseloadColumns {
		if _, ok := col[c]; !ok {
			return nil, refuse(ErrInvalid, "csv: the header has no column "+c+" (columns: "+strings.Join(CaseloadColumns, ",")+")")
		}
	}
	var rows []*caseloadRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, refuse(ErrInvalid, fmt.Sprintf("csv: line %d: %v", pe.Line, pe.Err))
			}
			return nil, refuse(ErrInvalid, "csv: unreadable")
		}
		get := func(c string) string {
			if i := col[c]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := &caseloadRow{line: line, code: get("code"), name: get("display_name"), team: get("team"), lead: get("lead")}
		for _, m := range strings.Split(get("care_team"), ";") {
			if m = strings.TrimSpace(m); m != "" {
				row.members = append(row.members, m)
			}
		}
		switch {
		case !codePattern.MatchString(row.code):
			row.fieldErr = "code: must be 3 to 32 capital letters, digits and dashes (an opaque code, never a name)"
		case row.name == "" || utf8.RuneCountInString(row.name) > 200:
			row.fieldErr = "display_name: must be 1 to 200 characters"
		case row.team == "":
			row.fieldErr = "team: empty"
		case row.lead == "":
			row.fieldErr = "lead: empty"
		case len(row.members) > 50:
			row.fieldErr = "care_team: more than 50 members"
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// directory is what an import resolves names against, read once per import.
type directory struct {
	tx      *store.Tx
	orgs    []*store.Organization
	teams   []*store.Team
	issuers []*store.OrganizationIssuer
	people  map[string][]*store.Professional // by organization id
}

func (d *directory) team(ref string) (string, string) {
	var found []string
	for _, t := range d.teams {
		if t.ID == ref || t.Name == ref {
			found = append(found, t.ID)
		}
	}
	switch len(found) {
	case 0:
		return "", "team: no team with this id or name"
	case 1:
		return found[0], ""
	default:
		return "", "team: several teams have this name; give its id"
	}
}

// professional resolves "ORGANIZATION/KEY" to an active professional who may hold household
// data; column names the column for the message.
func (d *directory) professional(ctx context.Context, column, ref string) (string, string, error) {
	orgRef, key, ok := strings.Cut(ref, "/")
	if !ok || orgRef == "" || key == "" {
		return "", column + ": must be ORGANIZATION/E-MAIL or ORGANIZATION/subject:SUBJECT", nil
	}
	var org *store.Organization
	for _, o := range d.orgs {
		if o.ID == orgRef || o.Name == orgRef {
			if org != nil {
				return "", column + ": several organizations have this name; give its id", nil
			}
			org = o
		}
	}
	if org == nil || org.DeactivatedAt != nil {
		return "", column + ": no active organization with this id or name", nil
	}
	var p *store.Professional
	if subject, ok := strings.CutPrefix(key, "subject:"); ok {
		for _, i := range d.issuers {
			if i.OrganizationID != org.ID {
				continue
			}
			found, err := d.tx.ProfessionalGetByIdentity(ctx, i.Issuer, subject)
			if err == nil && found.OrganizationID == org.ID {
				p = found
				break
			}
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return "", "", err
			}
		}
	} else {
		people, ok := d.people[org.ID]
		if !ok {
			var err error
			if people, err = d.tx.ProfessionalListByOrganization(ctx, org.ID); err != nil {
				return "", "", err
			}
			d.people[org.ID] = people
		}
		for _, q := range people {
			if q.Email != "" && strings.EqualFold(q.Email, key) {
				p = q
				break
			}
		}
	}
	switch {
	case p == nil:
		return "", column + ": no professional of that organization with this e-mail or subject", nil
	case p.DisabledAt != nil:
		return "", column + ": the professional is disabled", nil
	case p.Role.HoldsNoHouseholdData():
		return "", column + ": an administrator or privacy officer cannot be in a care team", nil
	}
	return p.ID, "", nil
}

// ImportCaseload imports a caseload file (RegionService.ImportCaseload) in one transaction:
// each row is resolved and compared with what is stored; a bad row is reported and never
// applied; unless dryRun (or allOrNothing with any bad row) the good rows are applied, each
// with its own access record in its household's chain. It reports every row, and whether
// anything was written.
func (s *Service) ImportCaseload(ctx context.Context, a Actor, data []byte, dryRun, allOrNothing bool) (report []ImportRow, applied bool, err error) {
	now := s.Now()
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		report, applied = nil, false
		if err := regional(ctx, tx, a, opImportCaseload, "", "region", "caseload", now); err != nil {
			return err
		}
		rows, err := parseCaseload(data)
		if err != nil {
			return err
		}
		d := &directory{tx: tx, people: map[string][]*store.Professional{}}
		if d.orgs, err = tx.OrganizationList(ctx); err != nil {
			return err
		}
		if d.teams, err = tx.TeamList(ctx); err != nil {
			return err
		}
		if d.issuers, err = tx.OrganizationIssuerList(ctx); err != nil {
			return err
		}
		failed := 0
		seen := map[string]int{}
		for _, row := range rows {
			if err := planRow(ctx, tx, d, row, seen); err != nil {
				return err
			}
			if row.action == ImportFailed {
				failed++
			}
		}
		if !dryRun && !(allOrNothing && failed > 0) {
			var events []store.AuditEvent
			for _, row := range rows {
				ev, err := applyRow(ctx, tx, a, row, now)
				if err != nil {
					return err
				}
				events = append(events, ev...)
			}
			if err := tx.AuditAppend(ctx, events); err != nil {
				return err
			}
			applied = true
		}
		for _, row := range rows {
			report = append(report, ImportRow{Line: row.line, Code: row.code, Action: row.action, Message: row.message})
		}
		return nil
	})
	return report, applied, err
}

// planRow resolves a row's names and decides its action against what is stored.
func planRow(ctx context.Context, tx *store.Tx, d *directory, row *caseloadRow, seen map[string]int) error {
	fail := func(msg string) error { row.action, row.message = ImportFailed, msg; return nil }
	if row.fieldErr != "" {
		return fail(row.fieldErr)
	}
	if first, dup := seen[row.code]; dup {
		return fail(fmt.Sprintf("code: already on line %d of this file", first))
	}
	seen[row.code] = row.line
	var msg string
	if row.teamID, msg = d.team(row.team); msg != "" {
		return fail(msg)
	}
	var err error
	if row.leadID, msg, err = d.professional(ctx, "lead", row.lead); err != nil || msg != "" {
		return errors.Join(err, fail(msg))
	}
	row.memberIDs = nil
	for _, m := range row.members {
		id, msg, err := d.professional(ctx, "care_team", m)
		if err != nil || msg != "" {
			return errors.Join(err, fail(msg))
		}
		if id != row.leadID && !slices.Contains(row.memberIDs, id) {
			row.memberIDs = append(row.memberIDs, id)
		}
	}
	row.householdID = CaseloadHouseholdID(row.code)
	h, err := tx.HouseholdGetByCode(ctx, row.code)
	switch {
	case errors.Is(err, store.ErrNotFound):
		row.action, row.message = ImportCreate, fmt.Sprintf("new household with a care team of %d", 1+len(row.memberIDs))
		return nil
	case err != nil:
		return err
	case h.ID != row.householdID:
		return fail("code: held by a household not made by an import; change it through the API")
	case h.TeamID != row.teamID:
		return fail("team: the household is in another team; move it with RegionService.TransferHousehold")
	}
	row.existing = h
	if row.existingTeam, err = tx.CareTeamMemberList(ctx, h.ID); err != nil {
		return err
	}
	var changes []string
	if !slices.ContainsFunc(row.existingTeam, func(m *store.CareTeamMember) bool { return m.ProfessionalID == row.leadID && m.Lead }) {
		changes = append(changes, "new lead")
	}
	added := 0
	for _, id := range row.memberIDs {
		if !slices.ContainsFunc(row.existingTeam, func(m *store.CareTeamMember) bool { return m.ProfessionalID == id }) {
			added++
		}
	}
	if added > 0 {
		changes = append(changes, fmt.Sprintf("%d care-team member(s) added", added))
	}
	if len(changes) == 0 {
		row.action = ImportUnchanged
		return nil
	}
	row.action, row.message = ImportChange, strings.Join(changes, ", ")
	return nil
}

// applyRow writes a planned row and returns its access records. An import only adds: a
// member the file leaves out stays in the care team (removing is a decision for the lead or
// a supervisor, recorded as theirs).
func applyRow(ctx context.Context, tx *store.Tx, a Actor, row *caseloadRow, now time.Time) ([]store.AuditEvent, error) {
	switch row.action {
	case ImportCreate:
		if _, _, _, err := createHousehold(ctx, tx, NewHousehold{ID: row.householdID, Code: row.code, TeamID: row.teamID,
			DisplayName: row.name, LeadID: row.leadID, MemberIDs: row.memberIDs}, now); err != nil {
			return nil, fmt.Errorf("import line %d: %w", row.line, err)
		}
		return []store.AuditEvent{eventOf(a, row.householdID, ActionHouseholdCreate, now)}, nil
	case ImportChange:
		var events []store.AuditEvent
		set := func(id string, lead bool) error {
			ev := eventOf(a, row.householdID, ActionCareTeamWrite, now)
			ev.SubjectID = id
			events = append(events, ev)
			return tx.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Now: now,
				Member: store.CareTeamMember{HouseholdID: row.householdID, ProfessionalID: id, Lead: lead}})
		}
		if !slices.ContainsFunc(row.existingTeam, func(m *store.CareTeamMember) bool { return m.ProfessionalID == row.leadID && m.Lead }) {
			if err := set(row.leadID, true); err != nil {
				return nil, err
			}
		}
		for _, id := range row.memberIDs {
			if !slices.ContainsFunc(row.existingTeam, func(m *store.CareTeamMember) bool { return m.ProfessionalID == id }) {
				if err := set(id, false); err != nil {
					return nil, err
				}
			}
		}
		return events, nil
	}
	return nil, nil
}
