package store

import "fmt"

// Results turns what a driver's generated queries return into the store's values, with the
// driver's one interpretation of its database's errors. A driver keeps one Results and wraps
// every generated call in One, All or Err, so no engine repeats this glue.
type Results struct {
	// Interpret maps a database error to the store's: a missing row to ErrNotFound, a unique
	// violation to ErrConflict; a serialization failure must keep its SQLSTATE (wrap it), so
	// the driver's retry loop still sees it.
	Interpret func(error) error
}

// Err is nil for a nil err, else err interpreted behind what: a fixed phrase with ids only,
// never a value (values may be personal data) and never a connection string.
func (r Results) Err(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, r.Interpret(err))
}

// One finishes a one-row query: it converts the row with conv, or returns the query's error
// as Err does. Use: return store.One(res, "get team "+id, team)(q.TeamGet(ctx, id)).
func One[R, T any](r Results, what string, conv func(R) T) func(R, error) (T, error) {
	return func(row R, err error) (T, error) {
		if err != nil {
			var zero T
			return zero, r.Err(what, err)
		}
		return conv(row), nil
	}
}

// All finishes a many-row query like One; no rows is a nil slice.
func All[R, T any](r Results, what string, conv func(R) T) func([]R, error) ([]T, error) {
	return func(rows []R, err error) ([]T, error) {
		if err != nil {
			return nil, r.Err(what, err)
		}
		if len(rows) == 0 {
			return nil, nil
		}
		return Column(rows, conv), nil
	}
}

// Updated finishes a statement that changes one row found by its id (a sqlc :execrows
// query): no row changed is ErrNotFound behind what, like a missing row of One.
func Updated(r Results, what string) func(int64, error) error {
	return func(n int64, err error) error {
		if err != nil {
			return r.Err(what, err)
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", what, ErrNotFound)
		}
		return nil
	}
}

// Column is f of every row: one column of a set-based statement, or a converted list.
func Column[T, C any](rows []T, f func(T) C) []C {
	out := make([]C, len(rows))
	for i, row := range rows {
		out[i] = f(row)
	}
	return out
}

// Same is the identity, for rows that need no conversion.
func Same[T any](v T) T { return v }
