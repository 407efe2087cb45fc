package storesqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/veilig/veilig/backend/store"
)

const householdColumns = `h.id, h.code, h.team_id, h.display_name, h.version, h.created_at, h.updated_at`

func scanHousehold(r interface{ Scan(...any) error }) (*store.Household, error) {
	var h store.Household
	var created, updated int64
	if err := r.Scan(&h.ID, &h.Code, &h.TeamID, &h.DisplayName, &h.Version, &created, &updated); err != nil {
		return nil, err
	}
	h.CreatedAt, h.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &h, nil
}

// HouseholdCreate implements store.Store.
func (s *Store) HouseholdCreate(ctx context.Context, h store.Household) error {
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO households (id, code, team_id, display_name, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)`,
		h.ID, h.Code, h.TeamID, h.DisplayName, micros(h.CreatedAt), micros(h.CreatedAt))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("create household %s: %w", h.ID, store.ErrConflict)
		}
		return fmt.Errorf("create household %s: %w", h.ID, err)
	}
	return nil
}

// HouseholdGet implements store.Store.
func (s *Store) HouseholdGet(ctx context.Context, id string) (*store.Household, error) {
	h, err := scanHousehold(s.read.QueryRowContext(ctx, `SELECT `+householdColumns+` FROM households h WHERE h.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "household "+id)
	}
	return h, nil
}

// visibleTo is the access rule of store.Store.HouseholdListVisible: in the care team, or a
// supervisor who is a member of the household's team. Two placeholders: the professional id.
const visibleTo = `(EXISTS (SELECT 1 FROM care_team_members c WHERE c.household_id = h.id AND c.professional_id = ?)
	OR EXISTS (SELECT 1 FROM team_members m JOIN professionals p ON p.id = m.professional_id
	           WHERE m.team_id = h.team_id AND m.professional_id = ? AND p.role = 'supervisor'))`

// HouseholdListVisible implements store.Store.
func (s *Store) HouseholdListVisible(ctx context.Context, p store.HouseholdListVisibleParams) ([]*store.Household, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+householdColumns+` FROM households h WHERE h.id > ? AND `+visibleTo+` ORDER BY h.id LIMIT ?`,
		p.AfterID, p.ProfessionalID, p.ProfessionalID, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("list households of %s: %w", p.ProfessionalID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Household, error) { return scanHousehold(r) })
}

// HouseholdCanAccess implements store.Store.
func (s *Store) HouseholdCanAccess(ctx context.Context, professionalID, householdID string) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx,
		`SELECT count(*) FROM households h WHERE h.id = ? AND `+visibleTo, householdID, professionalID, professionalID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check access to household %s: %w", householdID, err)
	}
	return n > 0, nil
}

// CareTeamMemberSet implements store.Store.
func (s *Store) CareTeamMemberSet(ctx context.Context, p store.CareTeamMemberSetParams) error {
	m := p.Member
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := bumpHousehold(ctx, tx, m.HouseholdID, p.Now); err != nil {
			return err
		}
		if m.Lead {
			if _, err := tx.ExecContext(ctx, `UPDATE care_team_members SET lead = 0 WHERE household_id = ? AND lead = 1`, m.HouseholdID); err != nil {
				return fmt.Errorf("clear lead of %s: %w", m.HouseholdID, err)
			}
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO care_team_members (household_id, professional_id, lead) VALUES (?, ?, ?)
			 ON CONFLICT (household_id, professional_id) DO UPDATE SET lead = excluded.lead`,
			m.HouseholdID, m.ProfessionalID, boolInt(m.Lead))
		if err != nil {
			return fmt.Errorf("set care team member of %s: %w", m.HouseholdID, err)
		}
		return nil
	})
}

// CareTeamMemberRemove implements store.Store.
func (s *Store) CareTeamMemberRemove(ctx context.Context, p store.CareTeamMemberRemoveParams) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM care_team_members WHERE household_id = ? AND professional_id = ?`, p.HouseholdID, p.ProfessionalID)
		if err != nil {
			return fmt.Errorf("remove care team member of %s: %w", p.HouseholdID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("care team member of %s: %w", p.HouseholdID, store.ErrNotFound)
		}
		_, err = bumpHousehold(ctx, tx, p.HouseholdID, p.Now)
		return err
	})
}

// CareTeamMemberList implements store.Store.
func (s *Store) CareTeamMemberList(ctx context.Context, householdID string) ([]*store.CareTeamMember, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT household_id, professional_id, lead FROM care_team_members WHERE household_id = ? ORDER BY professional_id`, householdID)
	if err != nil {
		return nil, fmt.Errorf("list care team of %s: %w", householdID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.CareTeamMember, error) {
		var m store.CareTeamMember
		err := r.Scan(&m.HouseholdID, &m.ProfessionalID, &m.Lead)
		return &m, err
	})
}
