package store

import (
	"context"
	"fmt"
)

// HouseholdCreate implements Store.
func (db *DB) HouseholdCreate(ctx context.Context, h Household) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.HouseholdInsert(ctx, h) })
}

// CareTeamMemberSet implements Store: a household has at most one lead, so setting one
// clears the others in the same transaction.
func (db *DB) CareTeamMemberSet(ctx context.Context, p CareTeamMemberSetParams) error {
	return db.InTx(ctx, func(ctx context.Context, tx *Tx) error { return tx.CareTeamMemberSet(ctx, p) })
}

// CareTeamMemberSet is DB.CareTeamMemberSet in tx.
func (tx *Tx) CareTeamMemberSet(ctx context.Context, p CareTeamMemberSetParams) error {
	m := p.Member
	if _, err := lockHousehold(ctx, tx.ex, m.HouseholdID, p.Now); err != nil {
		return err
	}
	if m.Lead {
		if err := tx.ex.CareTeamMemberClearLead(ctx, m.HouseholdID); err != nil {
			return err
		}
	}
	return tx.ex.CareTeamMemberUpsert(ctx, m)
}

// CareTeamMemberRemove implements Store.
func (db *DB) CareTeamMemberRemove(ctx context.Context, p CareTeamMemberRemoveParams) error {
	return db.InTx(ctx, func(ctx context.Context, tx *Tx) error { return tx.CareTeamMemberRemove(ctx, p) })
}

// CareTeamMemberRemove is DB.CareTeamMemberRemove in tx.
func (tx *Tx) CareTeamMemberRemove(ctx context.Context, p CareTeamMemberRemoveParams) error {
	if _, err := lockHousehold(ctx, tx.ex, p.HouseholdID, p.Now); err != nil {
		return err
	}
	existed, err := tx.ex.CareTeamMemberDelete(ctx, p.HouseholdID, p.ProfessionalID)
	if err != nil {
		return err
	}
	if !existed {
		return fmt.Errorf("care team member of %s: %w", p.HouseholdID, ErrNotFound)
	}
	return nil
}
