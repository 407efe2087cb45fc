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

// fail interprets err and says what failed. what names the operation and ids, never personal
// data (names, contact details, notes) and never the database URL.
func fail(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, interpretError(err))
}

// one finishes a single-row query: it converts the row, or interprets the error.
// Use: return one("get team "+id, team)(q.TeamGet(ctx, e.db, id)).
func one[R, T any](what string, conv func(R) T) func(R, error) (T, error) {
	return func(r R, err error) (T, error) {
		if err != nil {
			var zero T
			return zero, fail(what, err)
		}
		return conv(r), nil
	}
}

// all finishes a many-row query like one.
func all[R, T any](what string, conv func(R) T) func([]R, error) ([]T, error) {
	return func(rs []R, err error) ([]T, error) {
		if err != nil {
			return nil, fail(what, err)
		}
		return column(rs, conv), nil
	}
}

// column is one column of a set-based statement: f of every row.
func column[T, C any](rows []T, f func(T) C) []C {
	out := make([]C, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

// same is the identity, for rows that need no conversion.
func same[T any](v T) T { return v }
