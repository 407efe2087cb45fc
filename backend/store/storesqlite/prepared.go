package storesqlite

import (
	"context"
	"database/sql"

	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

// preparedTx runs a write transaction's statements as prepared statements, one per query
// text for the life of the transaction (database/sql closes them at commit or rollback). A
// …Many method runs one statement per row, so without it SQLite would compile the same
// statement once per row: in a push of 1,000 mutations that is most of the time.
type preparedTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

var _ dbsqlc.DBTX = (*preparedTx)(nil)

func (p *preparedTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := p.stmts[query]; ok {
		return s, nil
	}
	s, err := p.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.stmts[query] = s
	return s, nil
}

func (p *preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (p *preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (p *preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return p.tx.QueryRowContext(ctx, query, args...) // reports the same error through the Row
	}
	return s.QueryRowContext(ctx, args...)
}

func (p *preparedTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.stmt(ctx, query)
}
