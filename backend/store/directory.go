package store

import "context"

// OrganizationUpsert implements Store.
func (db *DB) OrganizationUpsert(ctx context.Context, org Organization) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.OrganizationUpsert(ctx, org) })
}

// OrganizationGet implements Store.
func (db *DB) OrganizationGet(ctx context.Context, id string) (*Organization, error) {
	return db.read().OrganizationGet(ctx, id)
}

// OrganizationList implements Store.
func (db *DB) OrganizationList(ctx context.Context) ([]*Organization, error) {
	return db.read().OrganizationList(ctx)
}

// ProfessionalUpsert implements Store.
func (db *DB) ProfessionalUpsert(ctx context.Context, p Professional) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.ProfessionalUpsert(ctx, p) })
}

// ProfessionalGet implements Store.
func (db *DB) ProfessionalGet(ctx context.Context, id string) (*Professional, error) {
	return db.read().ProfessionalGet(ctx, id)
}

// ProfessionalListByOrganization implements Store.
func (db *DB) ProfessionalListByOrganization(ctx context.Context, organizationID string) ([]*Professional, error) {
	return db.read().ProfessionalListByOrganization(ctx, organizationID)
}

// ProfessionalListByRole implements Store.
func (db *DB) ProfessionalListByRole(ctx context.Context, role Role) ([]*Professional, error) {
	return db.read().ProfessionalListByRole(ctx, role)
}

// TeamUpsert implements Store.
func (db *DB) TeamUpsert(ctx context.Context, team Team) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.TeamUpsert(ctx, team) })
}

// TeamGet implements Store.
func (db *DB) TeamGet(ctx context.Context, id string) (*Team, error) {
	return db.read().TeamGet(ctx, id)
}

// TeamList implements Store.
func (db *DB) TeamList(ctx context.Context) ([]*Team, error) { return db.read().TeamList(ctx) }

// TeamMemberAdd implements Store.
func (db *DB) TeamMemberAdd(ctx context.Context, m TeamMember) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.TeamMemberInsert(ctx, m) })
}

// TeamMemberRemove implements Store.
func (db *DB) TeamMemberRemove(ctx context.Context, m TeamMember) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.TeamMemberDelete(ctx, m) })
}

// TeamListByProfessional implements Store.
func (db *DB) TeamListByProfessional(ctx context.Context, professionalID string) ([]*Team, error) {
	return db.read().TeamListByProfessional(ctx, professionalID)
}

// TeamMemberList implements Store.
func (db *DB) TeamMemberList(ctx context.Context, teamID string) ([]*Professional, error) {
	return db.read().TeamMemberList(ctx, teamID)
}
