package storepgx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

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
// context.Canceled or context.DeadlineExceeded, a database that cannot be reached
// store.ErrUnavailable (unavailableReason). Anything else, a serialization failure (40001)
// first of all, is returned as it is, so the retry loop still sees its SQLSTATE.
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
	if reason, ok := unavailableReason(err); ok {
		return store.Unavailable(reason, err)
	}
	return err
}

// unavailableReason reports whether err says the server cannot be reached or gave up the
// connection, and names why in a fixed phrase (pgx's own message names the user and the
// database): SQLSTATE class 08 (connection exception), 57P01–57P03 (the server shutting
// down, crashed or starting), 53300 (too many connections); a failed connection attempt, a
// refused, reset or closed connection, or one that ended mid-answer.
func unavailableReason(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03",
			pgErr.Code == "53300":
			return "SQLSTATE " + pgErr.Code, true
		}
		return "", false
	}
	var errno syscall.Errno
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &errno) && (errno == syscall.ECONNREFUSED || errno == syscall.ECONNRESET ||
		errno == syscall.EPIPE || errno == syscall.ECONNABORTED || errno == syscall.EHOSTUNREACH ||
		errno == syscall.ENETUNREACH || errno == syscall.ETIMEDOUT):
		return errno.Error(), true
	case errors.As(err, &connectErr):
		return "cannot connect", true
	case errors.Is(err, pgconn.ErrConnClosed):
		return "connection closed", true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection lost", true
	case errors.As(err, &netErr):
		return "network error", true
	}
	return "", false
}

// res finishes every generated call with interpretError.
var res = store.Results{Interpret: interpretError}
