package store

import "context"

// OrganizationUpsert inserts an organization or renames an existing one.
func (db *DB) OrganizationUpsert(ctx context.Context, org Organization) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.OrganizationUpsert(ctx, org) })
}

// ProfessionalUpsert inserts a professional or replaces every field but CreatedAt of an
// existing one.
func (db *DB) ProfessionalUpsert(ctx context.Context, p Professional) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.ProfessionalUpsert(ctx, p) })
}

// TeamUpsert inserts a team or renames an existing one.
func (db *DB) TeamUpsert(ctx context.Context, team Team) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.TeamUpsert(ctx, team) })
}

// TeamMemberAdd is idempotent.
func (db *DB) TeamMemberAdd(ctx context.Context, m TeamMember) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.TeamMemberInsert(ctx, m) })
}

// TeamMemberRemove takes a professional out of a team; one who is not in it is left alone.
func (db *DB) TeamMemberRemove(ctx context.Context, m TeamMember) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.TeamMemberDelete(ctx, m) })
}

// ProfessionalIdentityUpsert binds an identity provider's subject to a professional (see
// Executor.ProfessionalIdentityUpsert).
func (db *DB) ProfessionalIdentityUpsert(ctx context.Context, id ProfessionalIdentity) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.ProfessionalIdentityUpsert(ctx, id) })
}
