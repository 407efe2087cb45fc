package storepgx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/veilig/veilig/backend/store"
)

// Which errors are a database outage: the server's own codes for a connection it ends or
// refuses, and the client's for a connection that fails. A real PostgreSQL stopped and
// started is in backend/app (TestDatabaseOutage) and backend/reminders; this table pins the
// edges those cannot reach on demand.
func TestInterpretErrorFindsOutages(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name       string
		err        error
		want       bool
		wantReason string
	}{
		{"admin shutdown", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true, "SQLSTATE 57P01"},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true, "SQLSTATE 57P02"},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true, "SQLSTATE 57P03"},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true, "SQLSTATE 53300"},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true, "SQLSTATE 08006"},
		{"refused", fmt.Errorf("begin: %w", refused), true, "connection refused"},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true, "connection reset by peer"},
		{"closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), true, "connection closed"},
		{"ended mid-answer", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true, "connection lost"},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, false, ""},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false, ""},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false, ""},
		{"canceled", fmt.Errorf("query: %w", context.Canceled), false, ""},
		{"anything else", errors.New("boom"), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := interpretError(tt.err)
			if errors.Is(got, store.ErrUnavailable) != tt.want {
				t.Fatalf("interpretError(%v) = %v: unavailable %v, want %v", tt.err, got, !tt.want, tt.want)
			}
			if !tt.want {
				return
			}
			if got.Error() != "database unavailable: "+tt.wantReason {
				t.Errorf("message %q, want the fixed reason %q", got, tt.wantReason)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("errors.Is no longer reaches the cause %v", tt.err)
			}
		})
	}
}
