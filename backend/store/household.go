package store

import (
	"context"
	"fmt"
)

// HouseholdCreate implements Store.
func (db *DB) HouseholdCreate(ctx context.Context, h Household) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.HouseholdInsert(ctx, h) })
}

// HouseholdGet implements Store.
func (db *DB) HouseholdGet(ctx context.Context, id string) (*Household, error) {
	return db.read().HouseholdGet(ctx, id)
}

// HouseholdListVisible implements Store. Who may see a household is one rule, kept in the
// household_viewers view of every engine's schema: its care team, and the supervisors who
// are members of its team.
func (db *DB) HouseholdListVisible(ctx context.Context, p HouseholdListVisibleParams) ([]*Household, error) {
	return db.read().HouseholdListVisible(ctx, p)
}

// HouseholdCanAccess implements Store, by the rule of HouseholdListVisible.
func (db *DB) HouseholdCanAccess(ctx context.Context, professionalID, householdID string) (bool, error) {
	return db.read().HouseholdCanAccess(ctx, professionalID, householdID)
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

// CareTeamMemberList implements Store.
func (db *DB) CareTeamMemberList(ctx context.Context, householdID string) ([]*CareTeamMember, error) {
	return db.read().CareTeamMemberList(ctx, householdID)
}
