package store

import (
	"context"
	"slices"
	"time"

	"github.com/veilig/veilig/sync/change"
)

// Tx is one write transaction of the storage core. The domain layer composes a use case in
// one: its authorization checks, the write and its audit row commit (or roll back) together.
// A Tx may be run more than once (serialization retries): the function given to InTx must
// have no effect outside it.
type Tx struct {
	ex Executor
}

// InTx runs f in one write transaction and commits it when f returns nil.
func (db *DB) InTx(ctx context.Context, f func(ctx context.Context, tx *Tx) error) error {
	return db.d.Tx(ctx, func(ctx context.Context, ex Executor) error { return f(ctx, &Tx{ex: ex}) })
}

// InHouseholdTx runs f in one write transaction (Driver.LockedTx) and commits it when f
// returns nil. f must lock every household it touches (Tx.HouseholdLock) before it reads
// anything else, and read nothing else it bases a write on but rows found by a unique id:
// then the household locks alone order it against every other writer, and PostgreSQL runs it
// at READ COMMITTED, without the false serialization failures of predicate locks.
func (db *DB) InHouseholdTx(ctx context.Context, f func(ctx context.Context, tx *Tx) error) error {
	return db.d.LockedTx(ctx, func(ctx context.Context, ex Executor) error { return f(ctx, &Tx{ex: ex}) })
}

// HouseholdLock locks the named households (any order, duplicates allowed) in the order of
// their ids, so that concurrent writers queue instead of deadlocking. Unknown ids are ignored.
func (tx *Tx) HouseholdLock(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return tx.ex.HouseholdLockMany(ctx, slices.Compact(slices.Sorted(slices.Values(ids))))
}

// HouseholdRelationList is DB.HouseholdRelationList in tx.
func (tx *Tx) HouseholdRelationList(ctx context.Context, professionalID, householdID string) ([]string, error) {
	return relationList(ctx, tx.ex, professionalID, householdID)
}

// HouseholdRelationListMany is Executor.HouseholdRelationListMany in tx: how a professional
// stands to each of the named households, in one statement.
func (tx *Tx) HouseholdRelationListMany(ctx context.Context, professionalID string, householdIDs []string) ([]HouseholdRelation, error) {
	if len(householdIDs) == 0 {
		return nil, nil
	}
	return tx.ex.HouseholdRelationListMany(ctx, professionalID, householdIDs)
}

// ScheduleListMany is Executor.ScheduleListMany in tx.
func (tx *Tx) ScheduleListMany(ctx context.Context, ids []string) ([]*Schedule, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return tx.ex.ScheduleListMany(ctx, ids)
}

// HouseholdRelationList lists how a professional stands to a household: "care_team" or
// "lead" (one row for a care-team member, "lead" for the lead), and "team_supervisor" for a
// supervisor who is a member of its team. No rows: the professional does not see it.
func (db *DB) HouseholdRelationList(ctx context.Context, professionalID, householdID string) ([]string, error) {
	return relationList(ctx, db.read(), professionalID, householdID)
}

func relationList(ctx context.Context, r Reader, professionalID, householdID string) ([]string, error) {
	rows, err := r.HouseholdRelationListMany(ctx, professionalID, []string{householdID})
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rows))
	for i, row := range rows {
		out[i] = row.Relation
	}
	return out, nil
}

// HouseholdOrganizationInvolved is DB.HouseholdOrganizationInvolved in tx.
func (tx *Tx) HouseholdOrganizationInvolved(ctx context.Context, householdID, organizationID string) (bool, error) {
	return tx.ex.HouseholdOrganizationInvolved(ctx, householdID, organizationID)
}

// HouseholdGet is DB.HouseholdGet in tx.
func (tx *Tx) HouseholdGet(ctx context.Context, id string) (*Household, error) {
	return tx.ex.HouseholdGet(ctx, id)
}

// ProfessionalGet is DB.ProfessionalGet in tx.
func (tx *Tx) ProfessionalGet(ctx context.Context, id string) (*Professional, error) {
	return tx.ex.ProfessionalGet(ctx, id)
}

// CareTeamMemberList is DB.CareTeamMemberList in tx.
func (tx *Tx) CareTeamMemberList(ctx context.Context, householdID string) ([]*CareTeamMember, error) {
	return tx.ex.CareTeamMemberList(ctx, householdID)
}

// ScheduleGet is DB.ScheduleGet in tx.
func (tx *Tx) ScheduleGet(ctx context.Context, id string) (*Schedule, error) {
	return tx.ex.ScheduleGet(ctx, id)
}

// AuditAppend is DB.AuditAppend in tx: the records commit with the use case they describe,
// each chained after its chain's head (audit.go).
func (tx *Tx) AuditAppend(ctx context.Context, events []AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	return appendAudit(ctx, tx.ex, events)
}

// CheckInGet returns one check-in in tx.
func (tx *Tx) CheckInGet(ctx context.Context, id string) (*change.CheckIn, error) {
	return tx.ex.CheckInGet(ctx, id)
}

// AlertGet is DB.AlertGet in tx.
func (tx *Tx) AlertGet(ctx context.Context, id string) (*Alert, error) {
	return tx.ex.AlertGet(ctx, id)
}

// AlertAcknowledge is DB.AlertAcknowledge in tx.
func (tx *Tx) AlertAcknowledge(ctx context.Context, p AlertAcknowledgeParams) (*Alert, error) {
	return tx.ex.AlertAcknowledge(ctx, p)
}

// LinkCreate is DB.LinkCreate in tx.
func (tx *Tx) LinkCreate(ctx context.Context, l Link) error { return tx.ex.LinkInsert(ctx, l) }

// LinkRevoke is DB.LinkRevoke in tx.
func (tx *Tx) LinkRevoke(ctx context.Context, p LinkRevokeParams) (*Link, error) {
	return tx.ex.LinkRevoke(ctx, p)
}

// LinkPINFailed is DB.LinkPINFailed in tx.
func (tx *Tx) LinkPINFailed(ctx context.Context, p LinkPINFailedParams) (*Link, error) {
	return tx.ex.LinkPINFailed(ctx, p)
}

// LinkUsed is DB.LinkUsed in tx.
func (tx *Tx) LinkUsed(ctx context.Context, id string, now time.Time) error {
	return tx.ex.LinkUsed(ctx, id, now)
}

// ProfessionalUpsert is DB.ProfessionalUpsert in tx.
func (tx *Tx) ProfessionalUpsert(ctx context.Context, p Professional) error {
	return tx.ex.ProfessionalUpsert(ctx, p)
}
