package storepgx

import (
	"context"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Access records and their hash chains: queries/audit.sql. The chain is computed by the core
// (backend/store/audit.go); this engine only stores it.

func auditEvent(r dbsqlc.AuditEvent) *store.AuditEvent {
	return &store.AuditEvent{ID: r.ID, At: r.At, ActorKind: store.AuditActorKind(r.ActorKind), ProfessionalID: r.ProfessionalID,
		OrganizationID: r.OrganizationID, Role: r.Role, Issuer: r.Issuer, DeviceID: r.DeviceID, Action: r.Action,
		ObjectKind: r.ObjectKind, ObjectID: r.ObjectID, HouseholdID: r.HouseholdID, RequestID: r.RequestID, SubjectID: r.SubjectID,
		Outcome: store.AuditOutcome(r.Outcome), Reason: r.Reason, ChainID: r.ChainID, Seq: r.Seq, PrevHash: r.PrevHash, Hash: r.Hash}
}

func auditHead(r dbsqlc.AuditChainHead) store.AuditHead {
	return store.AuditHead{ChainID: r.ChainID, Seq: r.Seq, Hash: r.Hash}
}

func auditCheckpoint(r dbsqlc.AuditCheckpoint) *store.AuditCheckpoint {
	return &store.AuditCheckpoint{ID: r.ID, At: r.At, KeyID: r.KeyID, Body: r.Body, Signature: r.Signature}
}

func (e executor) AuditInsertMany(ctx context.Context, events []store.AuditEvent) error {
	col := func(f func(store.AuditEvent) string) []string { return store.Column(events, f) }
	return res.Err(fmt.Sprintf("append %d audit events", len(events)), q.AuditInsertMany(ctx, e.db, dbsqlc.AuditInsertManyParams{
		ID:             col(func(a store.AuditEvent) string { return a.ID }),
		At:             store.Column(events, func(a store.AuditEvent) time.Time { return a.At }),
		ProfessionalID: col(func(a store.AuditEvent) string { return a.ProfessionalID }),
		DeviceID:       col(func(a store.AuditEvent) string { return a.DeviceID }),
		Action:         col(func(a store.AuditEvent) string { return a.Action }),
		HouseholdID:    col(func(a store.AuditEvent) string { return a.HouseholdID }),
		RequestID:      col(func(a store.AuditEvent) string { return a.RequestID }),
		SubjectID:      col(func(a store.AuditEvent) string { return a.SubjectID }),
		ActorKind:      col(func(a store.AuditEvent) string { return string(a.ActorKind) }),
		OrganizationID: col(func(a store.AuditEvent) string { return a.OrganizationID }),
		Role:           col(func(a store.AuditEvent) string { return a.Role }),
		Issuer:         col(func(a store.AuditEvent) string { return a.Issuer }),
		ObjectKind:     col(func(a store.AuditEvent) string { return a.ObjectKind }),
		ObjectID:       col(func(a store.AuditEvent) string { return a.ObjectID }),
		Outcome:        col(func(a store.AuditEvent) string { return string(a.Outcome) }),
		Reason:         col(func(a store.AuditEvent) string { return a.Reason }),
		ChainID:        col(func(a store.AuditEvent) string { return a.ChainID }),
		Seq:            store.Column(events, func(a store.AuditEvent) int64 { return a.Seq }),
		PrevHash:       col(func(a store.AuditEvent) string { return a.PrevHash }),
		Hash:           col(func(a store.AuditEvent) string { return a.Hash }),
	}))
}

func (e executor) AuditListByHousehold(ctx context.Context, householdID string) ([]*store.AuditEvent, error) {
	return store.All(res, "list audit of "+householdID, auditEvent)(q.AuditListByHousehold(ctx, e.db, householdID))
}

func (e executor) AuditHeadLockMany(ctx context.Context, chainIDs []string) ([]store.AuditHead, error) {
	if err := q.AuditHeadEnsureMany(ctx, e.db, chainIDs); err != nil {
		return nil, res.Err(fmt.Sprintf("create %d audit chain heads", len(chainIDs)), err)
	}
	return store.All(res, fmt.Sprintf("lock %d audit chain heads", len(chainIDs)), auditHead)(q.AuditHeadLockMany(ctx, e.db, chainIDs))
}

func (e executor) AuditHeadUpsertMany(ctx context.Context, heads []store.AuditHead) error {
	return res.Err(fmt.Sprintf("move %d audit chain heads", len(heads)), q.AuditHeadUpsertMany(ctx, e.db, dbsqlc.AuditHeadUpsertManyParams{
		ChainID: store.Column(heads, func(h store.AuditHead) string { return h.ChainID }),
		Seq:     store.Column(heads, func(h store.AuditHead) int64 { return h.Seq }),
		Hash:    store.Column(heads, func(h store.AuditHead) string { return h.Hash }),
	}))
}

func (e executor) AuditHeadList(ctx context.Context) ([]store.AuditHead, error) {
	return store.All(res, "list audit chain heads", auditHead)(q.AuditHeadList(ctx, e.db))
}

func (e executor) AuditListPage(ctx context.Context, p store.AuditPageParams) ([]*store.AuditEvent, error) {
	return store.All(res, "page audit events", auditEvent)(q.AuditListPage(ctx, e.db, dbsqlc.AuditListPageParams{
		AfterChainID: p.AfterChainID, AfterSeq: p.AfterSeq, AfterID: p.AfterID, Lim: int32(p.Limit)}))
}

func (e executor) AuditCheckpointInsert(ctx context.Context, cp store.AuditCheckpoint) error {
	return res.Err("insert audit checkpoint "+cp.ID, q.AuditCheckpointInsert(ctx, e.db, dbsqlc.AuditCheckpointInsertParams{
		ID: cp.ID, At: cp.At, KeyID: cp.KeyID, Body: cp.Body, Signature: cp.Signature}))
}

func (e executor) AuditCheckpointList(ctx context.Context) ([]*store.AuditCheckpoint, error) {
	return store.All(res, "list audit checkpoints", auditCheckpoint)(q.AuditCheckpointList(ctx, e.db))
}

func (e executor) AuditList(ctx context.Context, p store.AuditListParams) ([]*store.AuditEvent, error) {
	return store.All(res, "list audit events", auditEvent)(q.AuditList(ctx, e.db, dbsqlc.AuditListParams{
		OrganizationID: p.OrganizationID, HouseholdID: p.HouseholdID, ProfessionalID: p.ProfessionalID,
		AfterAt: p.AfterAt, AfterID: p.AfterID, UntilAt: p.UntilAt, Lim: int32(p.Limit)}))
}

func (e executor) HouseholdOrganizationInvolved(ctx context.Context, householdID, organizationID string) (bool, error) {
	ok, err := q.HouseholdOrganizationInvolved(ctx, e.db, dbsqlc.HouseholdOrganizationInvolvedParams{HouseholdID: householdID, OrganizationID: organizationID})
	return ok, res.Err("organization "+organizationID+" in household "+householdID, err)
}
