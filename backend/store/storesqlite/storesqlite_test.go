package storesqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite"
	"github.com/veilig/veilig/backend/store/storetest"
)

func openBare(t testing.TB) store.Store {
	s, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "veilig.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Exercise(t, func(t testing.TB) store.Store {
		s := openBare(t)
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}, openBare)
}

func openMigrated(t testing.TB) store.Store {
	s := openBare(t)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func BenchmarkSync(b *testing.B) { storetest.Benchmark(b, openMigrated) }
