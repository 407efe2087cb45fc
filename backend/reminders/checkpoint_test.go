package reminders_test

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/store"
)

var t0 = time.Date(2027, 3, 28, 9, 0, 0, 0, time.UTC)

// Issue 12: the scheduler signs a checkpoint of the chain heads at most every
// CheckpointEvery, across replicas, and verify checks every one it wrote.
func TestTheSchedulerSignsACheckpointAtMostEveryInterval(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			fixture(t, s, t0)
			key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
			cfg := reminders.Config{AuditKey: key, CheckpointEvery: 24 * time.Hour}
			h := newHarness(t, s, t0, cfg)
			other := newHarness(t, s, t0, cfg) // a second replica on the same database
			if st := h.at(t, t0); st.Checkpoints != 1 {
				t.Fatalf("first tick: %d checkpoints, want 1", st.Checkpoints)
			}
			if st := h.at(t, t0.Add(time.Hour)); st.Checkpoints != 0 {
				t.Errorf("a tick within the interval wrote %d checkpoints, want 0", st.Checkpoints)
			}
			if st := other.at(t, t0.Add(2*time.Hour)); st.Checkpoints != 0 {
				t.Errorf("another replica within the interval wrote %d checkpoints, want 0", st.Checkpoints)
			}
			if st := h.at(t, t0.Add(24*time.Hour)); st.Checkpoints != 1 {
				t.Errorf("a tick after the interval wrote %d checkpoints, want 1", st.Checkpoints)
			}
			if st := other.at(t, t0.Add(25*time.Hour)); st.Checkpoints != 0 {
				t.Errorf("the other replica after the first's second checkpoint wrote %d, want 0", st.Checkpoints)
			}
			rep, err := s.AuditVerify(bg, store.AuditVerifyParams{PublicKey: key.Public().(ed25519.PublicKey)})
			must(t, err)
			if !rep.Clean() || rep.Checkpoints != 2 || rep.CheckpointsUnverified != 0 {
				t.Errorf("verify: %+v, want clean with 2 verified checkpoints", rep)
			}
		})
	}
}

func TestWithoutAnAuditKeyTheSchedulerSignsNothing(t *testing.T) {
	s := engines[0].open(t)
	h := newHarness(t, s, t0, reminders.Config{})
	if st := h.at(t, t0); st.Checkpoints != 0 {
		t.Errorf("%d checkpoints without a key, want 0", st.Checkpoints)
	}
}
