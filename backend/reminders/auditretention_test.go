package reminders_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
)

// TestAuditRetentionCutsTheAccessLog walks a controllable clock past the access log's
// retention: a tick signs a checkpoint and then cuts the entries older than the retention
// that it covers, keeps the newer ones, starts the next pass only a CheckpointEvery later,
// and leaves the log verifiable with the audit key.
func TestAuditRetentionCutsTheAccessLog(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			fixture(t, s, t0)
			old := []store.AuditEvent{}
			for i := range 3 {
				old = append(old, store.AuditEvent{ID: fmt.Sprintf("old-%d", i), At: t0, ProfessionalID: "p-lead",
					OrganizationID: "org-1", Action: "plan.read", ObjectKind: "household", ObjectID: "h1", HouseholdID: "h1"})
			}
			must(t, s.AuditAppend(bg, old))
			const retention = 8760 * time.Hour
			key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
			h := newHarness(t, s, t0, reminders.Config{AuditKey: key, AuditRetention: retention, DigestTimes: []schedule.Clock{}})

			equal(t, "cut a second before the retention ends", h.at(t, t0.Add(retention-time.Second)).AuditCut, int64(0))
			// The pass of that tick is done: the next starts a CheckpointEvery later.
			must(t, s.AuditAppend(bg, []store.AuditEvent{{ID: "new", At: t0.Add(retention), ProfessionalID: "p-lead",
				OrganizationID: "org-1", Action: "plan.read", ObjectKind: "household", ObjectID: "h1", HouseholdID: "h1"}}))
			equal(t, "cut within the pass interval", h.at(t, t0.Add(retention+time.Hour)).AuditCut, int64(0))
			st := h.at(t, t0.Add(retention+24*time.Hour-time.Second))
			equal(t, "a checkpoint signed on that tick", st.Checkpoints, 1)
			equal(t, "entries cut on that tick", st.AuditCut, int64(3))

			log, err := s.AuditListByHousehold(bg, "h1")
			must(t, err)
			var kept []string
			for _, e := range log {
				kept = append(kept, e.Action)
			}
			equal(t, "h1's access log", fmt.Sprint(kept), "[plan.read audit.cut]")
			rep, err := s.AuditVerify(bg, store.AuditVerifyParams{PublicKey: key.Public().(ed25519.PublicKey)})
			must(t, err)
			equal(t, "access log findings", fmt.Sprint(rep.Problems), "[]")
			equal(t, "cuts verified", rep.Cuts-rep.CutsUnverified, 1)
		})
	}
}
