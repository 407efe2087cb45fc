package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the raw SQLite baseline talks to the driver directly

	"github.com/veilig/veilig/backend/store/storeopen"
)

// rawCase names the raw baseline's case in the report.
const rawCase = "8 writers × 100 rows"

// rawTable has the columns of field_writes, without its foreign key: the shape of one stored
// field write. The baseline creates it in the bench's database and drops it afterwards.
const rawTable = `CREATE TABLE bench_raw_field_writes (
    household_id TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    field        TEXT NOT NULL,
    mutation_id  TEXT NOT NULL,
    value        TEXT NOT NULL,
    stamp        BIGINT NOT NULL,
    seen         BIGINT NOT NULL,
    device_id    TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    is_current   BOOLEAN NOT NULL,
    version      BIGINT NOT NULL,
    PRIMARY KEY (record_id, field, mutation_id)
)`

const rawColumns = 11

// runRaw is the raw-database baseline: RawWriters concurrent writers insert RawRows rows of
// field_writes' shape in multi-row INSERTs of RawBatch rows, one transaction (and one durable
// commit) each, straight through pgx or the SQLite driver with the same durability settings
// as the store (SQLite: WAL, synchronous=FULL). Figure: rows/s. The push figures are
// reported as a share of it.
func (r *runner) runRaw(ctx context.Context) error {
	ins, cleanup, err := r.rawInserter(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	var next atomic.Int64
	batches := int64((r.cfg.RawRows + r.cfg.RawBatch - 1) / r.cfg.RawBatch)
	start := time.Now()
	g, gctx := newGroup(ctx)
	for range r.cfg.RawWriters {
		g.Go(func() error {
			for b := next.Add(1); b <= batches; b = next.Add(1) {
				if err := ins(gctx, rawRows(r.cfg.RawBatch)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	took := time.Since(start)
	cse := rawCase
	if r.cfg.RawWriters != 8 || r.cfg.RawBatch != 100 {
		r.progress("raw baseline ran %d writers × %d rows (the report names it %q)", r.cfg.RawWriters, r.cfg.RawBatch, rawCase)
	}
	r.record(ScenarioRaw, cse, "rows/s", "/s", float64(batches)*float64(r.cfg.RawBatch)/took.Seconds())
	return nil
}

// rawRows returns n rows of field_writes' shape, as INSERT arguments.
func rawRows(n int) []any {
	args := make([]any, 0, n*rawColumns)
	household, mutation, now := uuid.NewString(), uuid.NewString(), time.Now().UnixMicro()
	for i := range n {
		record := uuid.NewString()
		args = append(args, household, record, fmt.Sprintf("f%d", i%fieldsPerEdit), mutation, "om 18:00 thuis, anders bellen naar het netwerk",
			now, int64(0), "raw-device", "raw-author", true, int64(i))
	}
	return args
}

// insertSQL is a multi-row INSERT of n rows with placeholders made by ph.
func insertSQL(n int, ph func(i int) string) string {
	b := &strings.Builder{}
	b.WriteString("INSERT INTO bench_raw_field_writes VALUES ")
	for row := range n {
		if row > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		for col := range rawColumns {
			if col > 0 {
				b.WriteString(", ")
			}
			b.WriteString(ph(row*rawColumns + col + 1))
		}
		b.WriteString(")")
	}
	return b.String()
}

type rawInsert func(ctx context.Context, args []any) error

// rawInserter creates the baseline's table on the target's database and returns a function
// inserting one batch in one transaction, and a cleanup that drops the table.
func (r *runner) rawInserter(ctx context.Context) (rawInsert, func(), error) {
	kind, path := storeopen.Parse(r.t.dbURL)
	if kind == storeopen.KindSQLite {
		return rawSQLite(ctx, path, r.cfg.RawBatch)
	}
	return rawPostgres(ctx, r.t.dbURL, r.cfg.RawBatch, r.cfg.RawWriters)
}

func rawSQLite(ctx context.Context, path string, batch int) (rawInsert, func(), error) {
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, nil, fmt.Errorf("open sqlite: %w", err)
	}
	if _, err := db.ExecContext(ctx, rawTable); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("create the raw table: %w", err)
	}
	q := insertSQL(batch, func(int) string { return "?" })
	ins := func(ctx context.Context, args []any) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("raw sqlite: begin: %w", err)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			tx.Rollback()
			return fmt.Errorf("raw sqlite: insert: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("raw sqlite: commit: %w", err)
		}
		return nil
	}
	cleanup := func() {
		_, _ = db.ExecContext(context.Background(), "DROP TABLE bench_raw_field_writes")
		db.Close()
	}
	return ins, cleanup, nil
}

func rawPostgres(ctx context.Context, url string, batch, writers int) (rawInsert, func(), error) {
	conns := make(chan *pgx.Conn, writers)
	closeAll := func() {
		close(conns)
		for c := range conns {
			c.Close(context.Background())
		}
	}
	for range writers {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("raw postgres: connect: %w", err)
		}
		conns <- c
	}
	c := <-conns
	_, err := c.Exec(ctx, rawTable)
	conns <- c
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("create the raw table: %w", err)
	}
	q := insertSQL(batch, func(i int) string { return fmt.Sprintf("$%d", i) })
	ins := func(ctx context.Context, args []any) error {
		c := <-conns
		defer func() { conns <- c }()
		tx, err := c.Begin(ctx)
		if err != nil {
			return fmt.Errorf("raw postgres: begin: %w", err)
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			tx.Rollback(ctx)
			return fmt.Errorf("raw postgres: insert: %w", err)
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("raw postgres: commit: %w", err)
		}
		return nil
	}
	cleanup := func() {
		c := <-conns
		_, _ = c.Exec(context.Background(), "DROP TABLE bench_raw_field_writes")
		conns <- c
		closeAll()
	}
	return ins, cleanup, nil
}

// queryPostgres scans one value of q on a fresh connection to url.
func queryPostgres(ctx context.Context, url, q string, dst any) error {
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Close(ctx)
	if err := c.QueryRow(ctx, q).Scan(dst); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	return nil
}
