package storesqlite

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

// FormTokenSpendInsert implements store.Executor.
func (e *executor) FormTokenSpendInsert(ctx context.Context, p store.FormTokenSpendParams) error {
	return res.Err("insert form token spend", e.q.FormTokenSpendInsert(ctx,
		dbsqlc.FormTokenSpendInsertParams{NonceHash: p.NonceHash, SpentAt: micros(p.Now)}))
}

// FormTokenSpendDeleteBefore implements store.Executor.
func (e *executor) FormTokenSpendDeleteBefore(ctx context.Context, before time.Time, maxRows int) (int64, error) {
	n, err := e.q.FormTokenSpendDeleteBefore(ctx, dbsqlc.FormTokenSpendDeleteBeforeParams{Before: micros(before), MaxRows: int64(maxRows)})
	return n, res.Err("delete form token spends", err)
}
