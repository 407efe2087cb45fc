package store

import "context"

// OrganizationUpsert implements Store.
func (db *DB) OrganizationUpsert(ctx context.Context, org Organization) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.OrganizationUpsert(ctx, org) })
}

// ProfessionalUpsert implements Store.
func (db *DB) ProfessionalUpsert(ctx context.Context, p Professional) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.ProfessionalUpsert(ctx, p) })
}

// TeamUpsert implements Store.
func (db *DB) TeamUpsert(ctx context.Context, team Team) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.TeamUpsert(ctx, team) })
}

// TeamMemberAdd implements Store.
func (db *DB) TeamMemberAdd(ctx context.Context, m TeamMember) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.TeamMemberInsert(ctx, m) })
}

// TeamMemberRemove implements Store.
func (db *DB) TeamMemberRemove(ctx context.Context, m TeamMember) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.TeamMemberDelete(ctx, m) })
}

// ProfessionalIdentityUpsert binds an identity provider's subject to a professional (see
// Executor.ProfessionalIdentityUpsert).
func (db *DB) ProfessionalIdentityUpsert(ctx context.Context, id ProfessionalIdentity) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.ProfessionalIdentityUpsert(ctx, id) })
}
