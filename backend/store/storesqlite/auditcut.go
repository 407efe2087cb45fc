package storesqlite

import (
	"context"
	"fmt"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

// Retention of the access log: queries/audit_cut.sql. What may be cut, and the cut's checks,
// are decided by the core (backend/store/auditcut.go); this engine only reads and deletes.

func auditCut(r dbsqlc.AuditCut) *store.AuditCut {
	return &store.AuditCut{ChainID: r.ChainID, FirstKeptSeq: r.FirstKeptPosition, LastDeletedHash: r.LastDeletedHash,
		At: fromMicros(r.CutAt), Deleted: r.DeletedCount, KeyID: r.KeyID, Signature: r.Signature}
}

// AuditListChain implements store.Executor.
func (e *executor) AuditListChain(ctx context.Context, chainID string, fromSeq int64, limit int) ([]*store.AuditEvent, error) {
	return store.All(res, fmt.Sprintf("list audit chain %s from position %d", chainID, fromSeq), auditEvent)(
		e.q.AuditListChain(ctx, dbsqlc.AuditListChainParams{ChainID: chainID, FromSeq: fromSeq, Lim: int64(limit)}))
}

// AuditDeleteBefore implements store.Executor.
func (e *executor) AuditDeleteBefore(ctx context.Context, chainID string, beforeSeq int64) (int64, error) {
	n, err := e.q.AuditDeleteBefore(ctx, dbsqlc.AuditDeleteBeforeParams{ChainID: chainID, BeforeSeq: beforeSeq})
	return n, res.Err(fmt.Sprintf("cut audit chain %s before position %d", chainID, beforeSeq), err)
}

// AuditCutInsert implements store.Executor.
func (e *executor) AuditCutInsert(ctx context.Context, c store.AuditCut) error {
	return res.Err(fmt.Sprintf("insert cut of audit chain %s at position %d", c.ChainID, c.FirstKeptSeq),
		e.q.AuditCutInsert(ctx, dbsqlc.AuditCutInsertParams{ChainID: c.ChainID, FirstKeptPosition: c.FirstKeptSeq,
			LastDeletedHash: c.LastDeletedHash, CutAt: micros(c.At), DeletedCount: c.Deleted, KeyID: c.KeyID, Signature: c.Signature}))
}

// AuditCutLatest implements store.Executor.
func (e *executor) AuditCutLatest(ctx context.Context, chainID string) (*store.AuditCut, error) {
	cuts, err := store.All(res, "latest cut of audit chain "+chainID, auditCut)(e.q.AuditCutLatest(ctx, chainID))
	if err != nil || len(cuts) == 0 {
		return nil, err
	}
	return cuts[0], nil
}

// AuditCutListLatest implements store.Executor.
func (e *executor) AuditCutListLatest(ctx context.Context) ([]*store.AuditCut, error) {
	return store.All(res, "list latest audit cuts", auditCut)(e.q.AuditCutListLatest(ctx))
}
