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

// open returns a driver on a new database that was never migrated, closed when t ends.
func open(t testing.TB) store.Driver {
	t.Helper()
	d, err := storepgx.Open(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestConformance runs the behavioural suite through the storage core on this driver.
func TestConformance(t *testing.T) { storetest.Exercise(t, open) }

// BenchmarkSync runs on the throwaway cluster, which trades durability for speed unless
// VEILIG_PGTEST_DURABLE=1; set it (or VEILIG_TEST_DATABASE_URL) for figures comparable with
// a production server.
func BenchmarkSync(b *testing.B) { storetest.Benchmark(b, open) }
