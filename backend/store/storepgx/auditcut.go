package storepgx

import (
	"context"
	"fmt"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Retention of the access log: queries/auditcut.sql. What may be cut, and the cut's checks,
// are decided by the core (backend/store/auditcut.go); this engine only reads and deletes.

func auditCut(r dbsqlc.AuditCut) *store.AuditCut {
	return &store.AuditCut{ChainID: r.ChainID, FirstKeptSeq: r.FirstKeptPosition, LastDeletedHash: r.LastDeletedHash,
		At: r.CutAt, Deleted: r.DeletedCount, KeyID: r.KeyID, Signature: r.Signature}
}

func (e executor) AuditListChain(ctx context.Context, chainID string, fromSeq int64, limit int) ([]*store.AuditEvent, error) {
	return store.All(res, fmt.Sprintf("list audit chain %s from position %d", chainID, fromSeq), auditEvent)(
		q.AuditListChain(ctx, e.db, dbsqlc.AuditListChainParams{ChainID: chainID, FromSeq: fromSeq, Lim: int32(limit)}))
}

func (e executor) AuditDeleteBefore(ctx context.Context, chainID string, beforeSeq int64) (int64, error) {
	n, err := q.AuditDeleteBefore(ctx, e.db, dbsqlc.AuditDeleteBeforeParams{ChainID: chainID, BeforeSeq: beforeSeq})
	return n, res.Err(fmt.Sprintf("cut audit chain %s before position %d", chainID, beforeSeq), err)
}

func (e executor) AuditCutInsert(ctx context.Context, c store.AuditCut) error {
	return res.Err(fmt.Sprintf("insert cut of audit chain %s at position %d", c.ChainID, c.FirstKeptSeq),
		q.AuditCutInsert(ctx, e.db, dbsqlc.AuditCutInsertParams{ChainID: c.ChainID, FirstKeptPosition: c.FirstKeptSeq,
			LastDeletedHash: c.LastDeletedHash, CutAt: c.At.UTC(), DeletedCount: c.Deleted, KeyID: c.KeyID, Signature: c.Signature}))
}

func (e executor) AuditCutLatest(ctx context.Context, chainID string) (*store.AuditCut, error) {
	cuts, err := store.All(res, "latest cut of audit chain "+chainID, auditCut)(q.AuditCutLatest(ctx, e.db, chainID))
	if err != nil || len(cuts) == 0 {
		return nil, err
	}
	return cuts[0], nil
}

func (e executor) AuditCutListLatest(ctx context.Context) ([]*store.AuditCut, error) {
	return store.All(res, "list latest audit cuts", auditCut)(q.AuditCutListLatest(ctx, e.db))
}
