package storepgx_test

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/backend/store/storepgx"
)

// TestAuditCutRetriesAnAppendThatCommitsWhileItWaits stages the interleaving a cut must
// survive: the cut of a chain has begun and waits for the chain's head while an append to the
// chain holds it, moves it and commits. The cut must not act on what it read before the wait
// (it would find the head disagreeing with its last entry, or cut against a stale head): the
// head lock fails its serializable transaction, the retry helper runs it again, and the cut
// lands after the append, with the chain verifying clean.
func TestAuditCutRetriesAnAppendThatCommitsWhileItWaits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url := pgtest.NewDatabase(t)
	if pgtest.IsCockroachDB(t, url) {
		t.Skip("the interleaving is staged through PostgreSQL's lock waits (pg_stat_activity)")
	}
	d, err := storepgx.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(d)
	defer s.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Migrate(ctx))
	t0 := time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)
	now := t0.Add(6 * 365 * 24 * time.Hour)
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	var old []store.AuditEvent
	for _, id := range []string{"e1", "e2", "e3"} {
		old = append(old, store.AuditEvent{ID: id, At: t0, ProfessionalID: "p", Action: "plan.read", HouseholdID: "h1"})
	}
	must(s.AuditAppend(ctx, old))
	_, err = s.AuditCheckpointWrite(ctx, "cp", key, now)
	must(err)

	// The append: a session that holds h1's head and, once the cut waits for it, appends the
	// next entry as the core would and moves the head.
	appender, err := pgx.Connect(ctx, url)
	must(err)
	defer appender.Close(ctx)
	atx, err := appender.Begin(ctx)
	must(err)
	var head store.AuditHead
	must(atx.QueryRow(ctx, `SELECT chain_id, seq, hash FROM audit_chain_heads WHERE chain_id = 'household:h1' FOR UPDATE`).
		Scan(&head.ChainID, &head.Seq, &head.Hash))
	cut := make(chan error, 1)
	var result store.AuditCutResult
	go func() {
		var err error
		result, err = s.AuditCutExpired(ctx, store.AuditCutParams{Retention: 5 * 365 * 24 * time.Hour, Now: now, Key: key})
		cut <- err
	}()
	waitForLockWait(ctx, t, url)
	e := store.AuditEvent{ID: "e4", At: now, ActorKind: store.ActorProfessional, ProfessionalID: "p", Action: "plan.read",
		HouseholdID: "h1", Outcome: store.AuditAllowed, ChainID: head.ChainID, Seq: head.Seq + 1, PrevHash: head.Hash}
	e.Hash = store.AuditHash(e)
	_, err = atx.Exec(ctx, `INSERT INTO audit_events (id, at, professional_id, device_id, action, household_id, request_id, subject_id,
		actor_kind, organization_id, role, issuer, object_kind, object_id, outcome, reason, chain_id, seq, prev_hash, hash)
		VALUES ($1, $2, $3, '', $4, $5, '', '', $6, '', '', '', '', '', $7, '', $8, $9, $10, $11)`,
		e.ID, e.At, e.ProfessionalID, e.Action, e.HouseholdID, string(e.ActorKind), string(e.Outcome), e.ChainID, e.Seq, e.PrevHash, e.Hash)
	must(err)
	_, err = atx.Exec(ctx, `UPDATE audit_chain_heads SET seq = $1, hash = $2 WHERE chain_id = $3`, e.Seq, e.Hash, e.ChainID)
	must(err)
	must(atx.Commit(ctx))
	must(<-cut)

	if result.Cuts != 1 || result.Deleted != 3 || result.Refused != 0 {
		t.Fatalf("the cut: %+v, want one cut of 3 entries", result)
	}
	rows, err := s.AuditListChain(ctx, "household:h1", 0, 100)
	must(err)
	if len(rows) != 2 || rows[0].ID != "e4" || rows[1].Seq != 5 || rows[1].Action != store.ActionAuditCut {
		t.Fatalf("the chain after the cut: %d entries, want e4 then the cut record at position 5", len(rows))
	}
	rep, err := s.AuditVerify(ctx, store.AuditVerifyParams{PublicKey: key.Public().(ed25519.PublicKey)})
	must(err)
	if !rep.Clean() || rep.Cuts != 1 {
		t.Fatalf("verify after the interleaving: %v (%d cuts)", rep.Problems, rep.Cuts)
	}
}
