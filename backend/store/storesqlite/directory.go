package storesqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/veilig/veilig/backend/store"
)

// OrganizationUpsert implements store.Store.
func (s *Store) OrganizationUpsert(ctx context.Context, o store.Organization) error {
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)
		 ON CONFLICT (id) DO UPDATE SET name = excluded.name`, o.ID, o.Name, micros(o.CreatedAt))
	if err != nil {
		return fmt.Errorf("upsert organization %s: %w", o.ID, err)
	}
	return nil
}

// OrganizationGet implements store.Store.
func (s *Store) OrganizationGet(ctx context.Context, id string) (*store.Organization, error) {
	var o store.Organization
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM organizations WHERE id = ?`, id).Scan(&o.ID, &o.Name, &at)
	if err != nil {
		return nil, notFound(err, "organization "+id)
	}
	o.CreatedAt = fromMicros(at)
	return &o, nil
}

// OrganizationList implements store.Store.
func (s *Store) OrganizationList(ctx context.Context) ([]*store.Organization, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, created_at FROM organizations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Organization, error) {
		var o store.Organization
		var at int64
		err := r.Scan(&o.ID, &o.Name, &at)
		o.CreatedAt = fromMicros(at)
		return &o, err
	})
}

const professionalColumns = `id, organization_id, display_name, email, phone, role, created_at`

func scanProfessional(r interface{ Scan(...any) error }) (*store.Professional, error) {
	var p store.Professional
	var at int64
	if err := r.Scan(&p.ID, &p.OrganizationID, &p.DisplayName, &p.Email, &p.Phone, &p.Role, &at); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMicros(at)
	return &p, nil
}

// ProfessionalUpsert implements store.Store.
func (s *Store) ProfessionalUpsert(ctx context.Context, p store.Professional) error {
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO professionals (`+professionalColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, display_name = excluded.display_name,
		   email = excluded.email, phone = excluded.phone, role = excluded.role`,
		p.ID, p.OrganizationID, p.DisplayName, p.Email, p.Phone, string(p.Role), micros(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("upsert professional %s: %w", p.ID, err)
	}
	return nil
}

// ProfessionalGet implements store.Store.
func (s *Store) ProfessionalGet(ctx context.Context, id string) (*store.Professional, error) {
	p, err := scanProfessional(s.read.QueryRowContext(ctx, `SELECT `+professionalColumns+` FROM professionals WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "professional "+id)
	}
	return p, nil
}

// ProfessionalListByOrganization implements store.Store.
func (s *Store) ProfessionalListByOrganization(ctx context.Context, organizationID string) ([]*store.Professional, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+professionalColumns+` FROM professionals WHERE organization_id = ? ORDER BY id`, organizationID)
	if err != nil {
		return nil, fmt.Errorf("list professionals of %s: %w", organizationID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Professional, error) { return scanProfessional(r) })
}

// TeamUpsert implements store.Store.
func (s *Store) TeamUpsert(ctx context.Context, t store.Team) error {
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
		t.ID, t.Name, micros(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("upsert team %s: %w", t.ID, err)
	}
	return nil
}

func scanTeam(r interface{ Scan(...any) error }) (*store.Team, error) {
	var t store.Team
	var at int64
	if err := r.Scan(&t.ID, &t.Name, &at); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(at)
	return &t, nil
}

// TeamGet implements store.Store.
func (s *Store) TeamGet(ctx context.Context, id string) (*store.Team, error) {
	t, err := scanTeam(s.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM teams WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "team "+id)
	}
	return t, nil
}

// TeamList implements store.Store.
func (s *Store) TeamList(ctx context.Context) ([]*store.Team, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, created_at FROM teams ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Team, error) { return scanTeam(r) })
}

// TeamMemberAdd implements store.Store.
func (s *Store) TeamMemberAdd(ctx context.Context, m store.TeamMember) error {
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO team_members (team_id, professional_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, m.TeamID, m.ProfessionalID)
	if err != nil {
		return fmt.Errorf("add member to team %s: %w", m.TeamID, err)
	}
	return nil
}

// TeamMemberRemove implements store.Store. Removing a non-member is not an error.
func (s *Store) TeamMemberRemove(ctx context.Context, m store.TeamMember) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = ? AND professional_id = ?`, m.TeamID, m.ProfessionalID)
	if err != nil {
		return fmt.Errorf("remove member from team %s: %w", m.TeamID, err)
	}
	return nil
}

// TeamListByProfessional implements store.Store.
func (s *Store) TeamListByProfessional(ctx context.Context, professionalID string) ([]*store.Team, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT t.id, t.name, t.created_at FROM teams t JOIN team_members m ON m.team_id = t.id
		 WHERE m.professional_id = ? ORDER BY t.id`, professionalID)
	if err != nil {
		return nil, fmt.Errorf("list teams of %s: %w", professionalID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Team, error) { return scanTeam(r) })
}

// TeamMemberList implements store.Store.
func (s *Store) TeamMemberList(ctx context.Context, teamID string) ([]*store.Professional, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT p.id, p.organization_id, p.display_name, p.email, p.phone, p.role, p.created_at
		 FROM professionals p JOIN team_members m ON m.professional_id = p.id WHERE m.team_id = ? ORDER BY p.id`, teamID)
	if err != nil {
		return nil, fmt.Errorf("list members of team %s: %w", teamID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Professional, error) { return scanProfessional(r) })
}

// collect scans every row and closes rows.
func collect[T any](rows *sql.Rows, scan func(*sql.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rows: %w", err)
	}
	return out, nil
}
