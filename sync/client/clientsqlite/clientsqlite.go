// Package clientsqlite stores a phone replica's state (package client) in a local SQLite
// file, pure Go. The state is saved whole, in one transaction, so a crash leaves either the
// previous or the new state: the outbox survives restarts. A phone holds a caseload's worth of
// households (tens, with a few hundred plan entries each), small enough that a whole-state save
// costs milliseconds; a row-per-record schema is the step to take if that ever stops being so.
//
// # Encryption at rest
//
// Opened WithKey, the state is sealed with AES-256-GCM before it reaches SQLite, so the file,
// its write-ahead log and any page SQLite frees hold only ciphertext: the whole replica is
// that one row. The key is the app's (kept in the Android Keystore or the iOS Keychain); a
// file opened without it, or with another key, fails to load (ErrKeyRequired, ErrWrongKey)
// instead of starting empty, so that a locked phone never looks like a fresh one and
// overwrites its unsent edits. secure_delete is on, so the bytes of a replaced state are
// zeroed, and a plaintext file opened with a key is sealed at once, vacuumed and its
// write-ahead log truncated, so that no plaintext page survives the switch. docs/mobile.md
// says why this and not page-level encryption.
//
// It must never write a household's data unsealed to a file opened with a key.
package clientsqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/veilig/veilig/sync/client"
)

// Storage is a client.Storage in a SQLite file.
type Storage struct {
	db     *sql.DB
	sealer *sealer // nil: the state is stored as plain JSON
}

var (
	_ client.Storage = (*Storage)(nil)
	_ client.Eraser  = (*Storage)(nil)
)

// Option changes how Open opens the file.
type Option func(*options) error

type options struct{ key []byte }

// WithKey encrypts the state with key, which must be KeySize random bytes. Without it the
// state is stored unencrypted (tests, the simulator); an app always passes one.
func WithKey(key []byte) Option {
	return func(o *options) error {
		if len(key) != KeySize {
			return fmt.Errorf("clientsqlite: key is %d bytes, want %d", len(key), KeySize)
		}
		o.key = bytes.Clone(key)
		return nil
	}
}

// Open opens (creating when absent) the replica database at path. It does not read the state:
// a missing or wrong key shows at the first Load.
func Open(ctx context.Context, path string, opts ...Option) (*Storage, error) {
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	s := &Storage{}
	if o.key != nil {
		sl, err := newSealer(o.key)
		if err != nil {
			return nil, err
		}
		s.sealer = sl
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)&_pragma=secure_delete(ON)")
	if err != nil {
		return nil, fmt.Errorf("open replica database: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS replica (id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("create replica table: %w", err)
	}
	s.db = db
	return s, nil
}

// Remove deletes the replica database at path with its write-ahead log and shared-memory
// files. Close the Storage first. A file that is already gone is not an error.
func Remove(path string) error {
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove replica file: %w", err))
		}
	}
	return errors.Join(errs...)
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
	plain := b
	switch {
	case isSealed(b) && s.sealer == nil:
		return nil, ErrKeyRequired
	case isSealed(b):
		if plain, err = s.sealer.open(b); err != nil {
			return nil, err
		}
	}
	var st client.State
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, fmt.Errorf("decode replica: %w", err)
	}
	if s.sealer != nil && !isSealed(b) {
		if err := s.sealPlaintextFile(ctx, &st); err != nil {
			return nil, err
		}
	}
	return &st, nil
}

// sealPlaintextFile encrypts a state that an earlier, unencrypted version of the app saved,
// and then rewrites the file (VACUUM) and empties the write-ahead log, so that the plaintext
// pages are gone from the disk and not only unreferenced.
func (s *Storage) sealPlaintextFile(ctx context.Context, st *client.State) error {
	if err := s.Save(ctx, st); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("vacuum replica after sealing: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("truncate replica log after sealing: %w", err)
	}
	return nil
}

// Save implements client.Storage.
func (s *Storage) Save(ctx context.Context, st *client.State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode replica: %w", err)
	}
	if s.sealer != nil {
		if b, err = s.sealer.seal(b); err != nil {
			return err
		}
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO replica (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state`, b); err != nil {
		return fmt.Errorf("save replica: %w", err)
	}
	return nil
}

// Erase implements client.Eraser: it deletes the stored state, rewrites the file (VACUUM)
// and empties the write-ahead log, so that the erased state's pages are gone from the disk
// and not only unreferenced (secure_delete zeroes them as well).
func (s *Storage) Erase(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM replica`); err != nil {
		return fmt.Errorf("erase replica: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("vacuum replica after erasing: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("truncate replica log after erasing: %w", err)
	}
	return nil
}
