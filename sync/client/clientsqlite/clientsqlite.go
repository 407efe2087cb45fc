// Package clientsqlite stores a phone replica's state (package client) in a local SQLite
// file, pure Go. The state is saved whole, in one transaction, so a crash leaves either the
// previous or the new state: the outbox survives restarts. A phone holds a caseload's worth of
// households (tens, with a few hundred plan entries each), small enough that a whole-state save
// costs milliseconds; a row-per-record schema is the step to take if that ever stops being so.
package clientsqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/veilig/veilig/sync/client"
)

// Storage is a client.Storage in a SQLite file.
type Storage struct{ db *sql.DB }

var _ client.Storage = (*Storage)(nil)

// Open opens (creating when absent) the replica database at path.
func Open(ctx context.Context, path string) (*Storage, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open replica database: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS replica (id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("create replica table: %w", err)
	}
	return &Storage{db: db}, nil
}

// Close closes the database.
func (s *Storage) Close() error { return s.db.Close() }

// Load implements client.Storage.
func (s *Storage) Load(ctx context.Context) (*client.State, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT state FROM replica WHERE id = 1`).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load replica: %w", err)
	}
	var st client.State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decode replica: %w", err)
	}
	return &st, nil
}

// Save implements client.Storage.
func (s *Storage) Save(ctx context.Context, st *client.State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode replica: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO replica (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state`, b); err != nil {
		return fmt.Errorf("save replica: %w", err)
	}
	return nil
}
