package app_test

import (
	"testing"

	"github.com/veilig/veilig/backend/store/pgtest"
)

// TestMain stops the throwaway PostgreSQL cluster of the tests that run on both engines.
func TestMain(m *testing.M) { pgtest.Main(m) }
