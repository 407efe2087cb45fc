package clientsqlite_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/veilig/veilig/sync/client"
	"github.com/veilig/veilig/sync/client/clientsqlite"
)

// secret is a value that must never be found in the bytes on disk of an encrypted replica.
const secret = "Vader slaapt bij zijn broer na het drinken"

func state() *client.State {
	return &client.State{DeviceID: "phone-1", Cursors: map[string]int64{"h1": 3}, Households: map[string]*client.Household{
		"h1": {Code: "HH-1", Records: map[string]*client.StoredRecord{"r1": {Section: "agreement", Fields: map[string]client.Field{"description": {Value: secret, Stamp: 5}}}}},
	}}
}

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, clientsqlite.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func open(t *testing.T, path string, opts ...clientsqlite.Option) *clientsqlite.Storage {
	t.Helper()
	s, err := clientsqlite.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// onDisk is every byte SQLite keeps for path: the database, its write-ahead log and its
// shared memory.
func onDisk(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestEncryptedReplicaOpensOnlyWithItsKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "replica.db")
	key := newKey(t)
	s := open(t, path, clientsqlite.WithKey(key))
	for range 3 { // several saves, so that the log holds older versions too
		if err := s.Save(ctx, state()); err != nil {
			t.Fatal(err)
		}
	}
	if bytes.Contains(onDisk(t, path), []byte(secret)) || bytes.Contains(onDisk(t, path), []byte("HH-1")) {
		t.Fatal("the encrypted replica's files contain its plaintext")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("without a key it does not load", func(t *testing.T) {
		s := open(t, path)
		defer s.Close()
		if st, err := s.Load(ctx); !errors.Is(err, clientsqlite.ErrKeyRequired) || st != nil {
			t.Fatalf("Load without key = %v, %v; want ErrKeyRequired", st, err)
		}
	})
	t.Run("with another key it does not load", func(t *testing.T) {
		s := open(t, path, clientsqlite.WithKey(newKey(t)))
		defer s.Close()
		if st, err := s.Load(ctx); !errors.Is(err, clientsqlite.ErrWrongKey) || st != nil {
			t.Fatalf("Load with a wrong key = %v, %v; want ErrWrongKey", st, err)
		}
	})
	t.Run("with its key it loads", func(t *testing.T) {
		s := open(t, path, clientsqlite.WithKey(key))
		defer s.Close()
		st, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Households["h1"].Records["r1"].Fields["description"].Value; got != secret {
			t.Fatalf("loaded %q", got)
		}
	})
	t.Run("a key of the wrong size is refused", func(t *testing.T) {
		if _, err := clientsqlite.Open(ctx, path, clientsqlite.WithKey(key[:16])); err == nil {
			t.Fatal("a 16-byte key was accepted")
		}
	})
}

func TestAPlaintextReplicaIsSealedWhenOpenedWithAKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "replica.db")
	s := open(t, path)
	if err := s.Save(ctx, state()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if !bytes.Contains(onDisk(t, path), []byte(secret)) {
		t.Fatal("test setup: the unencrypted file should hold the plaintext")
	}
	key := newKey(t)
	s = open(t, path, clientsqlite.WithKey(key))
	if _, err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if bytes.Contains(onDisk(t, path), []byte(secret)) {
		t.Fatal("plaintext survived sealing the file")
	}
	s = open(t, path)
	defer s.Close()
	if _, err := s.Load(ctx); !errors.Is(err, clientsqlite.ErrKeyRequired) {
		t.Fatalf("after sealing, Load without key = %v", err)
	}
}

func TestRemoveDeletesEveryFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "replica.db")
	s := open(t, path, clientsqlite.WithKey(newKey(t)))
	if err := s.Save(ctx, state()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := clientsqlite.Remove(path); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("files left after Remove: %v", left)
	}
	if err := clientsqlite.Remove(path); err != nil {
		t.Fatalf("Remove of a removed replica: %v", err)
	}
}
