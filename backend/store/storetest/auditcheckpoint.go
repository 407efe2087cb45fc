package storetest

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// testAuditCheckpointLatest: AuditCheckpointLatest is nil on a new log, then the latest
// checkpoint written (by at).
func testAuditCheckpointLatest(t *testing.T, s *store.DB) {
	latest, err := s.AuditCheckpointLatest(ctx())
	must(t, err)
	if latest != nil {
		t.Fatalf("latest checkpoint of a new log = %+v, want none", latest)
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	at := time.Date(2027, 3, 28, 9, 0, 0, 0, time.UTC)
	for i, id := range []string{"cp-1", "cp-2"} {
		_, err := s.AuditCheckpointWrite(ctx(), id, key, at.Add(time.Duration(i)*time.Hour))
		must(t, err)
	}
	latest, err = s.AuditCheckpointLatest(ctx())
	must(t, err)
	if latest == nil || latest.ID != "cp-2" || !latest.At.Equal(at.Add(time.Hour)) {
		t.Fatalf("latest checkpoint = %+v, want cp-2 at %v", latest, at.Add(time.Hour))
	}
}
