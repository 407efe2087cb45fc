package storesqlite

import (
	"context"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

// Access records and their hash chains: queries/audit.sql. The chain is computed by the core
// (backend/store/audit.go); this engine only stores it.

func auditEvent(r dbsqlc.AuditEvent) *store.AuditEvent {
	return &store.AuditEvent{ID: r.ID, At: fromMicros(r.At), ActorKind: store.AuditActorKind(r.ActorKind), ProfessionalID: r.ProfessionalID,
		OrganizationID: r.OrganizationID, Role: r.Role, Issuer: r.Issuer, DeviceID: r.DeviceID, Action: r.Action,
		ObjectKind: r.ObjectKind, ObjectID: r.ObjectID, HouseholdID: r.HouseholdID, RequestID: r.RequestID, SubjectID: r.SubjectID,
		Outcome: store.AuditOutcome(r.Outcome), Reason: r.Reason, ChainID: r.ChainID, Seq: r.Seq, PrevHash: r.PrevHash, Hash: r.Hash}
}

func auditHead(r dbsqlc.AuditChainHead) store.AuditHead {
	return store.AuditHead{ChainID: r.ChainID, Seq: r.Seq, Hash: r.Hash}
}

func auditCheckpoint(r dbsqlc.AuditCheckpoint) *store.AuditCheckpoint {
	return &store.AuditCheckpoint{ID: r.ID, At: fromMicros(r.At), KeyID: r.KeyID, Body: r.Body, Signature: r.Signature}
}

// AuditInsertMany implements store.Executor.
func (e *executor) AuditInsertMany(ctx context.Context, events []store.AuditEvent) error {
	return each("append audit event", events, func(a store.AuditEvent) error {
		return e.q.AuditInsert(ctx, dbsqlc.AuditInsertParams{ID: a.ID, At: micros(a.At), ProfessionalID: a.ProfessionalID,
			DeviceID: a.DeviceID, Action: a.Action, HouseholdID: a.HouseholdID, RequestID: a.RequestID, SubjectID: a.SubjectID,
			ActorKind: string(a.ActorKind), OrganizationID: a.OrganizationID, Role: a.Role, Issuer: a.Issuer,
			ObjectKind: a.ObjectKind, ObjectID: a.ObjectID, Outcome: string(a.Outcome), Reason: a.Reason,
			ChainID: a.ChainID, Seq: a.Seq, PrevHash: a.PrevHash, Hash: a.Hash})
	})
}

// AuditListByHousehold implements store.Executor.
func (e *executor) AuditListByHousehold(ctx context.Context, householdID string) ([]*store.AuditEvent, error) {
	return store.All(res, "list audit events", auditEvent)(e.q.AuditListByHousehold(ctx, householdID))
}

// AuditHeadLockMany implements store.Executor: the write transaction holds SQLite's only
// write lock, so creating the missing heads and reading them is enough.
func (e *executor) AuditHeadLockMany(ctx context.Context, chainIDs []string) ([]store.AuditHead, error) {
	if err := e.q.AuditHeadEnsureMany(ctx, jsonList(chainIDs)); err != nil {
		return nil, res.Err("create audit chain heads", err)
	}
	return store.All(res, "get audit chain heads", auditHead)(e.q.AuditHeadGetMany(ctx, jsonList(chainIDs)))
}

// AuditHeadUpsertMany implements store.Executor.
func (e *executor) AuditHeadUpsertMany(ctx context.Context, heads []store.AuditHead) error {
	return each("move audit chain head", heads, func(h store.AuditHead) error {
		return e.q.AuditHeadUpsert(ctx, dbsqlc.AuditHeadUpsertParams{ChainID: h.ChainID, Seq: h.Seq, Hash: h.Hash})
	})
}

// AuditHeadList implements store.Executor.
func (e *executor) AuditHeadList(ctx context.Context) ([]store.AuditHead, error) {
	return store.All(res, "list audit chain heads", auditHead)(e.q.AuditHeadList(ctx))
}

// AuditListPage implements store.Executor.
func (e *executor) AuditListPage(ctx context.Context, p store.AuditPageParams) ([]*store.AuditEvent, error) {
	return store.All(res, "page audit events", auditEvent)(e.q.AuditListPage(ctx, dbsqlc.AuditListPageParams{
		AfterChainID: p.AfterChainID, AfterSeq: p.AfterSeq, AfterID: p.AfterID, Lim: int64(p.Limit)}))
}

// AuditCheckpointInsert implements store.Executor.
func (e *executor) AuditCheckpointInsert(ctx context.Context, cp store.AuditCheckpoint) error {
	return res.Err("insert audit checkpoint "+cp.ID, e.q.AuditCheckpointInsert(ctx, dbsqlc.AuditCheckpointInsertParams{
		ID: cp.ID, At: micros(cp.At), KeyID: cp.KeyID, Body: cp.Body, Signature: cp.Signature}))
}

// AuditCheckpointList implements store.Executor.
func (e *executor) AuditCheckpointList(ctx context.Context) ([]*store.AuditCheckpoint, error) {
	return store.All(res, "list audit checkpoints", auditCheckpoint)(e.q.AuditCheckpointList(ctx))
}

// AuditList implements store.Executor.
func (e *executor) AuditList(ctx context.Context, p store.AuditListParams) ([]*store.AuditEvent, error) {
	return store.All(res, "list audit events", auditEvent)(e.q.AuditList(ctx, dbsqlc.AuditListParams{
		OrganizationID: p.OrganizationID, HouseholdID: p.HouseholdID, ProfessionalID: p.ProfessionalID,
		AfterAt: micros(p.AfterAt), AfterID: p.AfterID, UntilAt: micros(p.UntilAt), Lim: int64(p.Limit)}))
}

// HouseholdOrganizationInvolved implements store.Executor.
func (e *executor) HouseholdOrganizationInvolved(ctx context.Context, householdID, organizationID string) (bool, error) {
	ok, err := e.q.HouseholdOrganizationInvolved(ctx, dbsqlc.HouseholdOrganizationInvolvedParams{HouseholdID: householdID, OrganizationID: organizationID})
	return ok, res.Err("organization "+organizationID+" in household "+householdID, err)
}
