package storepgx_test

import (
	"context"
	"testing"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/backend/store/storepgx"
	"github.com/veilig/veilig/backend/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func openBare(t testing.TB) store.Store {
	t.Helper()
	s, err := storepgx.Open(context.Background(), pgtest.NewDatabase(t))
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

// BenchmarkSync runs on the throwaway cluster, which trades durability for speed unless
// VEILIG_PGTEST_DURABLE=1; set it (or VEILIG_TEST_DATABASE_URL) for figures comparable with
// a production server.
func BenchmarkSync(b *testing.B) { storetest.Benchmark(b, openMigrated) }
