package storepgx

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/veilig/veilig/backend/store"
)

// OrganizationUpsert implements store.Store.
func (s *Store) OrganizationUpsert(ctx context.Context, o store.Organization) error {
	return s.exec(ctx, "upsert organization "+o.ID,
		`INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)
		 ON CONFLICT (id) DO UPDATE SET name = excluded.name`, o.ID, o.Name, o.CreatedAt.UTC())
}

func scanOrganization(r pgx.Row) (*store.Organization, error) {
	var o store.Organization
	if err := r.Scan(&o.ID, &o.Name, &o.CreatedAt); err != nil {
		return nil, err
	}
	o.CreatedAt = utc(o.CreatedAt)
	return &o, nil
}

// OrganizationGet implements store.Store.
func (s *Store) OrganizationGet(ctx context.Context, id string) (*store.Organization, error) {
	o, err := scanOrganization(s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM organizations WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "organization "+id)
	}
	return o, nil
}

// OrganizationList implements store.Store.
func (s *Store) OrganizationList(ctx context.Context) ([]*store.Organization, error) {
	return query(ctx, s, "list organizations", scanOrganization, `SELECT id, name, created_at FROM organizations ORDER BY id`)
}

const professionalColumns = `id, organization_id, display_name, email, phone, role, created_at`

func scanProfessional(r pgx.Row) (*store.Professional, error) {
	var p store.Professional
	if err := r.Scan(&p.ID, &p.OrganizationID, &p.DisplayName, &p.Email, &p.Phone, &p.Role, &p.CreatedAt); err != nil {
		return nil, err
	}
	p.CreatedAt = utc(p.CreatedAt)
	return &p, nil
}

// ProfessionalUpsert implements store.Store.
func (s *Store) ProfessionalUpsert(ctx context.Context, p store.Professional) error {
	return s.exec(ctx, "upsert professional "+p.ID,
		`INSERT INTO professionals (`+professionalColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		 ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, display_name = excluded.display_name,
		   email = excluded.email, phone = excluded.phone, role = excluded.role`,
		p.ID, p.OrganizationID, p.DisplayName, p.Email, p.Phone, string(p.Role), p.CreatedAt.UTC())
}

// ProfessionalGet implements store.Store.
func (s *Store) ProfessionalGet(ctx context.Context, id string) (*store.Professional, error) {
	p, err := scanProfessional(s.pool.QueryRow(ctx, `SELECT `+professionalColumns+` FROM professionals WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "professional "+id)
	}
	return p, nil
}

// ProfessionalListByOrganization implements store.Store.
func (s *Store) ProfessionalListByOrganization(ctx context.Context, organizationID string) ([]*store.Professional, error) {
	return query(ctx, s, "list professionals of "+organizationID, scanProfessional,
		`SELECT `+professionalColumns+` FROM professionals WHERE organization_id = $1 ORDER BY id`, organizationID)
}

// TeamUpsert implements store.Store.
func (s *Store) TeamUpsert(ctx context.Context, t store.Team) error {
	return s.exec(ctx, "upsert team "+t.ID,
		`INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
		t.ID, t.Name, t.CreatedAt.UTC())
}

func scanTeam(r pgx.Row) (*store.Team, error) {
	var t store.Team
	if err := r.Scan(&t.ID, &t.Name, &t.CreatedAt); err != nil {
		return nil, err
	}
	t.CreatedAt = utc(t.CreatedAt)
	return &t, nil
}

// TeamGet implements store.Store.
func (s *Store) TeamGet(ctx context.Context, id string) (*store.Team, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM teams WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "team "+id)
	}
	return t, nil
}

// TeamList implements store.Store.
func (s *Store) TeamList(ctx context.Context) ([]*store.Team, error) {
	return query(ctx, s, "list teams", scanTeam, `SELECT id, name, created_at FROM teams ORDER BY id`)
}

// TeamMemberAdd implements store.Store.
func (s *Store) TeamMemberAdd(ctx context.Context, m store.TeamMember) error {
	return s.exec(ctx, "add member to team "+m.TeamID,
		`INSERT INTO team_members (team_id, professional_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, m.TeamID, m.ProfessionalID)
}

// TeamMemberRemove implements store.Store. Removing a non-member is not an error.
func (s *Store) TeamMemberRemove(ctx context.Context, m store.TeamMember) error {
	return s.exec(ctx, "remove member from team "+m.TeamID,
		`DELETE FROM team_members WHERE team_id = $1 AND professional_id = $2`, m.TeamID, m.ProfessionalID)
}

// TeamListByProfessional implements store.Store.
func (s *Store) TeamListByProfessional(ctx context.Context, professionalID string) ([]*store.Team, error) {
	return query(ctx, s, "list teams of "+professionalID, scanTeam,
		`SELECT t.id, t.name, t.created_at FROM teams t JOIN team_members m ON m.team_id = t.id
		 WHERE m.professional_id = $1 ORDER BY t.id`, professionalID)
}

// TeamMemberList implements store.Store.
func (s *Store) TeamMemberList(ctx context.Context, teamID string) ([]*store.Professional, error) {
	return query(ctx, s, "list members of team "+teamID, scanProfessional,
		`SELECT p.id, p.organization_id, p.display_name, p.email, p.phone, p.role, p.created_at
		 FROM professionals p JOIN team_members m ON m.professional_id = p.id WHERE m.team_id = $1 ORDER BY p.id`, teamID)
}

// query runs a read and scans every row.
func query[T any](ctx context.Context, s *Store, what string, scan func(pgx.Row) (T, error), q string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
