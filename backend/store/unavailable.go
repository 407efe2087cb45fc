package store

import "errors"

// ErrUnavailable is returned (wrapped) when the database cannot be reached or dropped the
// connection: refused or reset connections, a server shutting down or starting up, too many
// connections, a busy or unreadable SQLite file. It is transient by nature, so the edge
// answers it as Connect's Unavailable (a client retries) and the scheduler backs off on it;
// it is never an internal error.
var ErrUnavailable = errors.New("database unavailable")

// Unavailable wraps a driver's connectivity error cause as ErrUnavailable. Its message is
// "database unavailable: " and reason only, a fixed phrase the driver chooses (an errno's
// text, a SQLSTATE): a driver's own message can name the database's host, user and
// database, which no log line or client should carry. errors.Is and errors.As still reach
// cause.
func Unavailable(reason string, cause error) error {
	return &unavailableError{reason: reason, cause: cause}
}

type unavailableError struct {
	reason string
	cause  error
}

func (e *unavailableError) Error() string { return ErrUnavailable.Error() + ": " + e.reason }

func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.cause} }
