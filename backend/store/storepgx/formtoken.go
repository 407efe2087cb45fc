package storepgx

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Spent form tokens: queries/form_token_spends.sql.

func (e executor) FormTokenSpendInsert(ctx context.Context, p store.FormTokenSpendParams) error {
	return res.Err("insert form token spend", q.FormTokenSpendInsert(ctx, e.db,
		dbsqlc.FormTokenSpendInsertParams{NonceHash: p.NonceHash, SpentAt: p.Now}))
}

func (e executor) FormTokenSpendDeleteBefore(ctx context.Context, before time.Time, maxRows int) (int64, error) {
	n, err := q.FormTokenSpendDeleteBefore(ctx, e.db, dbsqlc.FormTokenSpendDeleteBeforeParams{Before: before, MaxRows: int32(maxRows)})
	return n, res.Err("delete form token spends", err)
}
