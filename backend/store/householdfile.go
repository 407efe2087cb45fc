package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/server"
)

// HouseholdFile is everything stored about one household, as one consistent read: what a
// household's file out (its printable plan, its export for an access request) shows, and
// what an import into another region writes back. Versions are those of the source region;
// an import stamps its own.
type HouseholdFile struct {
	Household *Household
	Team      *Team
	// Organizations are those of Professionals, by id.
	Organizations []*Organization
	// Professionals are the care team's members, by id.
	Professionals []*Professional
	CareTeam      []*CareTeamMember
	// TeamMembers are the care-team members who are members of the household's team.
	TeamMembers []string
	// Entries are the plan's entries, tombstones included, with their current fields.
	Entries []*PlanEntry
	// Writes are every field write of the entries (superseded ones included): the history
	// of edits. Deletes are the entries' deletes.
	Writes  []server.WriteRow
	Deletes []server.DeleteRow
	// Conflicts are the concurrent overwrites kept for the care team, resolved or not.
	Conflicts []*change.Conflict
	Schedules []*Schedule
	// CheckIns are every check-in, newest first.
	CheckIns []*change.CheckIn
}

// HouseholdFileRead reads a household's file in tx, so every part of it is of one moment;
// an unknown household is ErrNotFound.
func (tx *Tx) HouseholdFileRead(ctx context.Context, householdID string) (*HouseholdFile, error) {
	ex := tx.ex
	h, err := ex.HouseholdGet(ctx, householdID)
	if err != nil {
		return nil, fmt.Errorf("household %s: %w", householdID, err)
	}
	f := &HouseholdFile{Household: h}
	if f.Team, err = ex.TeamGet(ctx, h.TeamID); err != nil {
		return nil, fmt.Errorf("team %s: %w", h.TeamID, err)
	}
	if f.CareTeam, err = ex.CareTeamMemberList(ctx, householdID); err != nil {
		return nil, fmt.Errorf("care team of %s: %w", householdID, err)
	}
	teamMembers, err := ex.TeamMemberList(ctx, h.TeamID)
	if err != nil {
		return nil, fmt.Errorf("members of team %s: %w", h.TeamID, err)
	}
	orgs := map[string]bool{}
	for _, m := range f.CareTeam {
		p, err := ex.ProfessionalGet(ctx, m.ProfessionalID)
		if err != nil {
			return nil, fmt.Errorf("professional %s: %w", m.ProfessionalID, err)
		}
		f.Professionals = append(f.Professionals, p)
		if slices.ContainsFunc(teamMembers, func(t *Professional) bool { return t.ID == p.ID }) {
			f.TeamMembers = append(f.TeamMembers, p.ID)
		}
		if !orgs[p.OrganizationID] {
			orgs[p.OrganizationID] = true
			o, err := ex.OrganizationGet(ctx, p.OrganizationID)
			if err != nil {
				return nil, fmt.Errorf("organization %s: %w", p.OrganizationID, err)
			}
			f.Organizations = append(f.Organizations, o)
		}
	}
	slices.SortFunc(f.Professionals, func(a, b *Professional) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(f.Organizations, func(a, b *Organization) int { return strings.Compare(a.ID, b.ID) })
	if f.Entries, err = ex.PlanEntryList(ctx, PlanEntryListParams{HouseholdID: householdID, IncludeDeleted: true}); err != nil {
		return nil, fmt.Errorf("plan of %s: %w", householdID, err)
	}
	if ids := Column(f.Entries, func(e *PlanEntry) string { return e.ID }); len(ids) > 0 {
		if f.Writes, err = ex.FieldWriteListByRecords(ctx, ids); err != nil {
			return nil, fmt.Errorf("field writes of %s: %w", householdID, err)
		}
		slices.SortFunc(f.Writes, func(a, b server.WriteRow) int {
			return strings.Compare(a.RecordID+"\x00"+a.Field+"\x00"+a.MutationID, b.RecordID+"\x00"+b.Field+"\x00"+b.MutationID)
		})
		if f.Deletes, err = ex.RecordDeleteListByRecords(ctx, ids); err != nil {
			return nil, fmt.Errorf("deletes of %s: %w", householdID, err)
		}
		if f.Conflicts, err = ex.ConflictListByRecordsOrIDs(ctx, ids, nil); err != nil {
			return nil, fmt.Errorf("conflicts of %s: %w", householdID, err)
		}
	}
	if f.Schedules, err = ex.ScheduleListByHousehold(ctx, householdID); err != nil {
		return nil, fmt.Errorf("schedules of %s: %w", householdID, err)
	}
	if f.CheckIns, err = ex.CheckInListByHousehold(ctx, householdID, math.MaxInt32); err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", householdID, err)
	}
	return f, nil
}

// HouseholdFileWrite reproduces a household's file in tx, with the ids it carries: the
// organizations, team and professionals it names are created when missing (existing ones are
// left as they are, so an import never renames or re-roles anyone), then the household, its
// care team, plan entries with every field write, delete and conflict, check-ins and
// schedules. Every row is stamped with the household's version after the import, so a pull
// from scratch sends all of it. A household already present is left unchanged and reported
// (true): importing twice changes nothing.
func (tx *Tx) HouseholdFileWrite(ctx context.Context, f *HouseholdFile, now time.Time) (alreadyPresent bool, err error) {
	ex := tx.ex
	h := *f.Household
	if _, err := ex.HouseholdGet(ctx, h.ID); err == nil {
		return true, nil
	} else if !isNotFound(err) {
		return false, fmt.Errorf("household %s: %w", h.ID, err)
	}
	if err := fileIDsFree(ctx, ex, f); err != nil {
		return false, err
	}
	for _, o := range f.Organizations {
		if err := createMissing(ctx, o.ID, ex.OrganizationGet, func() error { return ex.OrganizationUpsert(ctx, *o) }); err != nil {
			return false, fmt.Errorf("organization %s: %w", o.ID, err)
		}
	}
	if err := createMissing(ctx, f.Team.ID, ex.TeamGet, func() error { return ex.TeamUpsert(ctx, *f.Team) }); err != nil {
		return false, fmt.Errorf("team %s: %w", f.Team.ID, err)
	}
	for _, p := range f.Professionals {
		if err := createMissing(ctx, p.ID, ex.ProfessionalGet, func() error { return ex.ProfessionalUpsert(ctx, *p) }); err != nil {
			return false, fmt.Errorf("professional %s: %w", p.ID, err)
		}
	}
	for _, id := range f.TeamMembers {
		if err := ex.TeamMemberInsert(ctx, TeamMember{TeamID: f.Team.ID, ProfessionalID: id}); err != nil {
			return false, fmt.Errorf("member %s of team %s: %w", id, f.Team.ID, err)
		}
	}
	if err := ex.HouseholdInsert(ctx, h); err != nil {
		return false, fmt.Errorf("household %s: %w", h.ID, err)
	}
	v, err := lockHousehold(ctx, ex, h.ID, now)
	if err != nil {
		return false, err
	}
	for _, m := range f.CareTeam {
		if err := ex.CareTeamMemberUpsert(ctx, *m); err != nil {
			return false, fmt.Errorf("care team member %s: %w", m.ProfessionalID, err)
		}
	}
	// Each entry's header is written twice, so it keeps both of its instants: the insert
	// stamps created_at (and updated_at) with the first Now, the update updated_at only.
	for _, e := range f.Entries {
		r := server.Record{ID: e.ID, HouseholdID: h.ID, Section: e.Section, Deleted: e.Deleted, Version: v, UpdatedBy: e.UpdatedBy}
		for _, at := range []time.Time{e.CreatedAt, e.UpdatedAt} {
			if err := ex.PlanEntryHeaderUpsertMany(ctx, PlanEntryHeaderUpsertManyParams{Records: []server.Record{r}, Now: at}); err != nil {
				return false, fmt.Errorf("plan entry %s: %w", e.ID, err)
			}
		}
	}
	if len(f.Writes) > 0 {
		rows := slices.Clone(f.Writes)
		for i := range rows {
			rows[i].HouseholdID, rows[i].Version = h.ID, v
		}
		if err := ex.FieldWriteInsertMany(ctx, rows); err != nil {
			return false, fmt.Errorf("field writes: %w", err)
		}
	}
	if len(f.Deletes) > 0 {
		rows := slices.Clone(f.Deletes)
		for i := range rows {
			rows[i].HouseholdID, rows[i].Version = h.ID, v
		}
		if err := ex.RecordDeleteInsertMany(ctx, rows); err != nil {
			return false, fmt.Errorf("deletes: %w", err)
		}
	}
	if len(f.Conflicts) > 0 {
		rows := make([]change.Conflict, len(f.Conflicts))
		for i, c := range f.Conflicts {
			rows[i] = *c
			rows[i].HouseholdID, rows[i].Version = h.ID, v
		}
		if err := ex.ConflictUpsertMany(ctx, rows); err != nil {
			return false, fmt.Errorf("conflicts: %w", err)
		}
	}
	// Check-ins before schedules: a new schedule takes its latest check-in from them.
	if len(f.CheckIns) > 0 {
		rows := make([]change.CheckIn, len(f.CheckIns))
		for i, c := range f.CheckIns {
			rows[i] = *c
			rows[i].HouseholdID, rows[i].Version = h.ID, v
		}
		if err := ex.CheckInInsertMany(ctx, rows); err != nil {
			return false, fmt.Errorf("check-ins: %w", err)
		}
	}
	// A schedule is written twice too, for its created_at and updated_at.
	for _, sc := range f.Schedules {
		s := *sc
		s.HouseholdID = h.ID
		for _, at := range []time.Time{sc.CreatedAt, sc.UpdatedAt} {
			if _, err := ex.ScheduleUpsert(ctx, ScheduleUpsertRowParams{Schedule: s, Version: v, Now: at}); err != nil {
				return false, fmt.Errorf("schedule %s: %w", sc.ID, err)
			}
		}
	}
	return false, nil
}

// createMissing calls create when get finds no row of id.
func createMissing[T any](ctx context.Context, id string, get func(context.Context, string) (T, error), create func() error) error {
	_, err := get(ctx, id)
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return create()
	default:
		return err
	}
}

// fileIDsFree checks that no plan entry, conflict, schedule or check-in of f exists already
// (under another household, since f's household does not exist): the engines' upserts would
// otherwise change another household's rows. A taken id is ErrConflict.
func fileIDsFree(ctx context.Context, ex Executor, f *HouseholdFile) error {
	taken := func(what string, n int, err error) error {
		if err != nil {
			return fmt.Errorf("look up %s: %w", what, err)
		}
		if n > 0 {
			return fmt.Errorf("%d %s of the file exist in another household: %w", n, what, ErrConflict)
		}
		return nil
	}
	if ids := Column(f.Entries, func(e *PlanEntry) string { return e.ID }); len(ids) > 0 {
		rows, err := ex.PlanEntryHeaderGetMany(ctx, ids)
		if err := taken("plan entries", len(rows), err); err != nil {
			return err
		}
	}
	if ids := Column(f.Conflicts, func(c *change.Conflict) string { return c.ID }); len(ids) > 0 {
		rows, err := ex.ConflictListByRecordsOrIDs(ctx, nil, ids)
		if err := taken("conflicts", len(rows), err); err != nil {
			return err
		}
	}
	if ids := Column(f.Schedules, func(s *Schedule) string { return s.ID }); len(ids) > 0 {
		rows, err := ex.ScheduleListMany(ctx, ids)
		if err := taken("schedules", len(rows), err); err != nil {
			return err
		}
	}
	for _, c := range f.CheckIns {
		_, err := ex.CheckInGet(ctx, c.ID)
		if isNotFound(err) {
			continue
		}
		if err := taken("check-ins", 1, err); err != nil {
			return err
		}
	}
	return nil
}
