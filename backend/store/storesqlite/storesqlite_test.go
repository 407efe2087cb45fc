package storesqlite_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite"
	"github.com/veilig/veilig/backend/store/storetest"
)

// open returns a driver on a new database file that was never migrated.
func open(t testing.TB) store.Driver {
	d, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "veilig.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestConformance(t *testing.T) { storetest.Exercise(t, open) }

func BenchmarkSync(b *testing.B) { storetest.Benchmark(b, open) }

// Issue 13, point 6: the database and its WAL files are 0600 even in a folder that exists
// with mode 0755, and a file left world-readable by an earlier version is narrowed.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	path := filepath.Join(dir, "veilig.db")
	check := func(when string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if errors.Is(err, fs.ErrNotExist) && p != path {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("%s: %s has mode %o, want 600", when, filepath.Base(p), perm)
			}
		}
	}
	d, err := storesqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("new database")
	d.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err = storesqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	check("reopened world-readable database")
}
