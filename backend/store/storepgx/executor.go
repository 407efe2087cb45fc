package storepgx

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// executor runs the store's operations on the pool (one statement each) or in a transaction.
// Its methods, one per operation, are in the files named for their concept (directory.go,
// households.go, sync.go, …), each next to the conversions of its records.
type executor struct{ db dbsqlc.DBTX }

var _ store.Executor = executor{}

// q holds the generated queries; the connection is passed to every call.
var q = dbsqlc.New()

// interpretError turns the database's errors into the store's, for every operation in one
// place: a missing row is store.ErrNotFound, a unique violation (SQLSTATE 23505 on both
// engines) store.ErrConflict wrapping the driver's error, a cancelled or expired context
// context.Canceled or context.DeadlineExceeded. Anything else, a serialization failure
// (40001) first of all, is returned as it is, so the retry loop still sees its SQLSTATE.
func interpretError(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.ErrNotFound
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	return err
}

// res finishes every generated call with interpretError.
var res = store.Results{Interpret: interpretError}
