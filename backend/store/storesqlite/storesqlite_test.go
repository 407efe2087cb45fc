package storesqlite_test

import (
	"context"
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
