package storepgx

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/veilig/veilig/backend/store"
)

const householdColumns = `h.id, h.code, h.team_id, h.display_name, h.version, h.created_at, h.updated_at`

func scanHousehold(r pgx.Row) (*store.Household, error) {
	var h store.Household
	if err := r.Scan(&h.ID, &h.Code, &h.TeamID, &h.DisplayName, &h.Version, &h.CreatedAt, &h.UpdatedAt); err != nil {
		return nil, err
	}
	h.CreatedAt, h.UpdatedAt = utc(h.CreatedAt), utc(h.UpdatedAt)
	return &h, nil
}

// HouseholdCreate implements store.Store.
func (s *Store) HouseholdCreate(ctx context.Context, h store.Household) error {
	err := s.exec(ctx, "create household "+h.ID,
		`INSERT INTO households (id, code, team_id, display_name, version, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)`,
		h.ID, h.Code, h.TeamID, h.DisplayName, h.CreatedAt.UTC())
	if isUniqueViolation(err) {
		return fmt.Errorf("create household %s: %w", h.ID, store.ErrConflict)
	}
	return err
}

// HouseholdGet implements store.Store.
func (s *Store) HouseholdGet(ctx context.Context, id string) (*store.Household, error) {
	h, err := scanHousehold(s.pool.QueryRow(ctx, `SELECT `+householdColumns+` FROM households h WHERE h.id = $1`, id))
	if err != nil {
		return nil, notFound(err, "household "+id)
	}
	return h, nil
}

// visibleTo is the access rule of store.Store.HouseholdListVisible: in the care team, or a
// supervisor who is a member of the household's team. $1 is the professional id.
const visibleTo = `(EXISTS (SELECT 1 FROM care_team_members c WHERE c.household_id = h.id AND c.professional_id = $1)
	OR EXISTS (SELECT 1 FROM team_members m JOIN professionals p ON p.id = m.professional_id
	           WHERE m.team_id = h.team_id AND m.professional_id = $1 AND p.role = 'supervisor'))`

// HouseholdListVisible implements store.Store.
func (s *Store) HouseholdListVisible(ctx context.Context, p store.HouseholdListVisibleParams) ([]*store.Household, error) {
	return query(ctx, s, "list households of "+p.ProfessionalID, scanHousehold,
		`SELECT `+householdColumns+` FROM households h WHERE h.id > $2 AND `+visibleTo+` ORDER BY h.id LIMIT $3`,
		p.ProfessionalID, p.AfterID, p.Limit)
}

// HouseholdCanAccess implements store.Store.
func (s *Store) HouseholdCanAccess(ctx context.Context, professionalID, householdID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM households h WHERE h.id = $2 AND `+visibleTo+`)`, professionalID, householdID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check access to household %s: %w", householdID, err)
	}
	return ok, nil
}

// CareTeamMemberSet implements store.Store.
func (s *Store) CareTeamMemberSet(ctx context.Context, p store.CareTeamMemberSetParams) error {
	m := p.Member
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := bumpHousehold(ctx, tx, m.HouseholdID, p.Now); err != nil {
			return err
		}
		if m.Lead {
			if _, err := tx.Exec(ctx, `UPDATE care_team_members SET lead = false WHERE household_id = $1 AND lead`, m.HouseholdID); err != nil {
				return fmt.Errorf("clear lead of %s: %w", m.HouseholdID, err)
			}
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO care_team_members (household_id, professional_id, lead) VALUES ($1, $2, $3)
			 ON CONFLICT (household_id, professional_id) DO UPDATE SET lead = excluded.lead`,
			m.HouseholdID, m.ProfessionalID, m.Lead)
		if err != nil {
			return fmt.Errorf("set care team member of %s: %w", m.HouseholdID, err)
		}
		return nil
	})
}

// CareTeamMemberRemove implements store.Store.
func (s *Store) CareTeamMemberRemove(ctx context.Context, p store.CareTeamMemberRemoveParams) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		// The household row is locked first in every write, so writers queue rather than deadlock.
		if _, err := bumpHousehold(ctx, tx, p.HouseholdID, p.Now); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM care_team_members WHERE household_id = $1 AND professional_id = $2`, p.HouseholdID, p.ProfessionalID)
		if err != nil {
			return fmt.Errorf("remove care team member of %s: %w", p.HouseholdID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("care team member of %s: %w", p.HouseholdID, store.ErrNotFound)
		}
		return nil
	})
}

// CareTeamMemberList implements store.Store.
func (s *Store) CareTeamMemberList(ctx context.Context, householdID string) ([]*store.CareTeamMember, error) {
	return query(ctx, s, "list care team of "+householdID, func(r pgx.Row) (*store.CareTeamMember, error) {
		var m store.CareTeamMember
		err := r.Scan(&m.HouseholdID, &m.ProfessionalID, &m.Lead)
		return &m, err
	}, `SELECT household_id, professional_id, lead FROM care_team_members WHERE household_id = $1 ORDER BY professional_id`, householdID)
}
