package store

import (
	"context"
	"fmt"
	"time"
)

// Setting up a region in a transaction of the domain layer (backend/household's RegionService
// use cases): each method is the Executor's, or a composite that keeps the core's lock order
// (the household row first).

// OrganizationGet is Reader.OrganizationGet in tx.
func (tx *Tx) OrganizationGet(ctx context.Context, id string) (*Organization, error) {
	return tx.ex.OrganizationGet(ctx, id)
}

// OrganizationUpsert is Executor.OrganizationUpsert in tx.
func (tx *Tx) OrganizationUpsert(ctx context.Context, o Organization) error {
	return tx.ex.OrganizationUpsert(ctx, o)
}

// OrganizationDeactivate is Executor.OrganizationDeactivate in tx.
func (tx *Tx) OrganizationDeactivate(ctx context.Context, id string, at time.Time) error {
	return tx.ex.OrganizationDeactivate(ctx, id, at)
}

// OrganizationLeaseSet is Executor.OrganizationLeaseSet in tx.
func (tx *Tx) OrganizationLeaseSet(ctx context.Context, id string, lease Lease) error {
	return tx.ex.OrganizationLeaseSet(ctx, id, lease)
}

// OrganizationIssuerGet is Reader.OrganizationIssuerGet in tx.
func (tx *Tx) OrganizationIssuerGet(ctx context.Context, issuer string) (*OrganizationIssuer, error) {
	return tx.ex.OrganizationIssuerGet(ctx, issuer)
}

// OrganizationIssuerUpsert is Executor.OrganizationIssuerUpsert in tx.
func (tx *Tx) OrganizationIssuerUpsert(ctx context.Context, i OrganizationIssuer) error {
	return tx.ex.OrganizationIssuerUpsert(ctx, i)
}

// ProfessionalListByOrganization is Reader.ProfessionalListByOrganization in tx.
func (tx *Tx) ProfessionalListByOrganization(ctx context.Context, organizationID string) ([]*Professional, error) {
	return tx.ex.ProfessionalListByOrganization(ctx, organizationID)
}

// ProfessionalListByRole is Reader.ProfessionalListByRole in tx.
func (tx *Tx) ProfessionalListByRole(ctx context.Context, role Role) ([]*Professional, error) {
	return tx.ex.ProfessionalListByRole(ctx, role)
}

// ProfessionalIdentityUpsert is Executor.ProfessionalIdentityUpsert in tx.
func (tx *Tx) ProfessionalIdentityUpsert(ctx context.Context, id ProfessionalIdentity) error {
	return tx.ex.ProfessionalIdentityUpsert(ctx, id)
}

// TeamGet is Reader.TeamGet in tx.
func (tx *Tx) TeamGet(ctx context.Context, id string) (*Team, error) { return tx.ex.TeamGet(ctx, id) }

// TeamUpsert is Executor.TeamUpsert in tx.
func (tx *Tx) TeamUpsert(ctx context.Context, t Team) error { return tx.ex.TeamUpsert(ctx, t) }

// TeamMemberAdd is Executor.TeamMemberInsert in tx (idempotent).
func (tx *Tx) TeamMemberAdd(ctx context.Context, m TeamMember) error {
	return tx.ex.TeamMemberInsert(ctx, m)
}

// TeamMemberRemove is Executor.TeamMemberDelete in tx.
func (tx *Tx) TeamMemberRemove(ctx context.Context, m TeamMember) error {
	return tx.ex.TeamMemberDelete(ctx, m)
}

// TeamMemberList is Reader.TeamMemberList in tx.
func (tx *Tx) TeamMemberList(ctx context.Context, teamID string) ([]*Professional, error) {
	return tx.ex.TeamMemberList(ctx, teamID)
}

// HouseholdCreate is DB.HouseholdCreate in tx.
func (tx *Tx) HouseholdCreate(ctx context.Context, h Household) error {
	return tx.ex.HouseholdInsert(ctx, h)
}

// HouseholdGetByCode is Reader.HouseholdGetByCode in tx.
func (tx *Tx) HouseholdGetByCode(ctx context.Context, code string) (*Household, error) {
	return tx.ex.HouseholdGetByCode(ctx, code)
}

// ScheduleListByHousehold is Reader.ScheduleListByHousehold in tx.
func (tx *Tx) ScheduleListByHousehold(ctx context.Context, householdID string) ([]*Schedule, error) {
	return tx.ex.ScheduleListByHousehold(ctx, householdID)
}

// HouseholdMove moves a household to another team. The household is locked and its version
// bumped first, so every phone's next pull sees the change, and the stream hub wakes.
func (tx *Tx) HouseholdMove(ctx context.Context, householdID, teamID string, now time.Time) error {
	if _, err := lockHousehold(ctx, tx.ex, householdID, now); err != nil {
		return err
	}
	return tx.ex.HouseholdTeamSet(ctx, householdID, teamID)
}

// HouseholdClose closes a household's file at now, as by: from the commit on nobody sees it
// (the relation views leave closed households out), its schedules are due never and its
// open alerts are acknowledged by by.
func (tx *Tx) HouseholdClose(ctx context.Context, householdID, by string, now time.Time) error {
	v, err := lockHousehold(ctx, tx.ex, householdID, now)
	if err != nil {
		return err
	}
	if err := tx.ex.HouseholdClosedSet(ctx, householdID, &now); err != nil {
		return err
	}
	if err := tx.ex.ScheduleStopByHousehold(ctx, householdID, v, now); err != nil {
		return err
	}
	if err := tx.ex.AlertEndByHousehold(ctx, householdID, by, now); err != nil {
		return fmt.Errorf("close household %s: %w", householdID, err)
	}
	return nil
}

// HouseholdReopen reopens a closed household's file; its schedules are planned again by the
// caller (Tx.ScheduleUpsert), from now. An erased household is not reopened: the error wraps
// ErrErased.
func (tx *Tx) HouseholdReopen(ctx context.Context, householdID string, now time.Time) error {
	if _, err := lockHousehold(ctx, tx.ex, householdID, now); err != nil {
		return err
	}
	h, err := tx.ex.HouseholdGet(ctx, householdID)
	if err != nil {
		return err
	}
	if h.ErasedAt != nil {
		return fmt.Errorf("reopen household %s: %w", householdID, ErrErased)
	}
	return tx.ex.HouseholdClosedSet(ctx, householdID, nil)
}

// ProfessionalGetByIdentity is Reader.ProfessionalGetByIdentity in tx.
func (tx *Tx) ProfessionalGetByIdentity(ctx context.Context, issuer, subject string) (*Professional, error) {
	return tx.ex.ProfessionalGetByIdentity(ctx, issuer, subject)
}

// OrganizationList is Reader.OrganizationList in tx.
func (tx *Tx) OrganizationList(ctx context.Context) ([]*Organization, error) {
	return tx.ex.OrganizationList(ctx)
}

// OrganizationIssuerList is Reader.OrganizationIssuerList in tx.
func (tx *Tx) OrganizationIssuerList(ctx context.Context) ([]*OrganizationIssuer, error) {
	return tx.ex.OrganizationIssuerList(ctx)
}

// TeamList is Reader.TeamList in tx.
func (tx *Tx) TeamList(ctx context.Context) ([]*Team, error) { return tx.ex.TeamList(ctx) }
