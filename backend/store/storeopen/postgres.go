package storeopen

import (
	"context"
	"errors"

	"github.com/veilig/veilig/backend/store"
)

func openPostgres(context.Context, string) (store.Store, error) {
	return nil, errors.New("PostgreSQL engine not built yet")
}
