package storetest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// Retention of the access log: the oldest entries of a chain, older than the retention and
// covered by the latest signed checkpoint, are cut in bounded transactions with a signed cut
// row and an audit.cut record; verify stays clean after a cut and reports a forged cut or a
// kept entry deleted after it; a chain that does not verify where it would be cut is left
// alone.

const auditRetention = 5 * 365 * 24 * time.Hour

var (
	auditKey = ed25519.NewKeyFromSeed([]byte("veilig-storetest-audit-key-seed!"))
	auditPub = auditKey.Public().(ed25519.PublicKey)
	// cutNow is the clock of the cuts: six years after t0.
	cutNow = t0.Add(6 * 365 * 24 * time.Hour)
)

func auditAppend(t *testing.T, s *store.DB, household string, at time.Time, ids ...string) {
	t.Helper()
	var evs []store.AuditEvent
	for _, id := range ids {
		e := store.AuditEvent{ID: id, At: at, ProfessionalID: "p-care", OrganizationID: "org-a", Action: "plan.read",
			ObjectKind: "household", ObjectID: household, HouseholdID: household}
		evs = append(evs, e)
	}
	must(t, s.AuditAppend(ctx(), evs))
}

// cutFixture writes chain household:h1 with four old entries covered by a checkpoint, two old
// entries and one recent entry after it, and chain organization:org-a with one recent entry
// before the checkpoint and chain household:h2 with one old entry after it.
func cutFixture(t *testing.T, s *store.DB) {
	t.Helper()
	auditAppend(t, s, "h1", t0, "h1-1", "h1-2", "h1-3", "h1-4")
	auditAppend(t, s, "", cutNow.Add(-time.Hour), "o-1")
	_, err := s.AuditCheckpointWrite(ctx(), "cp-1", auditKey, cutNow.Add(-time.Hour))
	must(t, err)
	auditAppend(t, s, "h1", t0.Add(time.Minute), "h1-5", "h1-6")
	auditAppend(t, s, "h1", cutNow.Add(-time.Hour), "h1-7")
	auditAppend(t, s, "h2", t0, "h2-1")
}

func cutExpired(t *testing.T, s *store.DB, p store.AuditCutParams) store.AuditCutResult {
	t.Helper()
	p.Retention, p.Now, p.Key = auditRetention, cutNow, auditKey
	r, err := s.AuditCutExpired(ctx(), p)
	must(t, err)
	return r
}

// chainSeqs lists a chain's positions, each with "*" when the entry is an audit.cut record.
func chainSeqs(t *testing.T, s *store.DB, chain string) string {
	t.Helper()
	rows, err := s.AuditListChain(ctx(), chain, 0, 1000)
	must(t, err)
	var out []string
	for _, e := range rows {
		mark := ""
		if e.Action == store.ActionAuditCut {
			mark = "*"
			equal(t, "a cut record's actor", e.ActorKind, store.ActorSystem)
			equal(t, "a cut record's object", e.ObjectID, chain)
		}
		out = append(out, fmt.Sprint(e.Seq, mark))
	}
	return strings.Join(out, " ")
}

func verifyFindings(t *testing.T, s *store.DB, pub ed25519.PublicKey) (*store.AuditReport, []string) {
	t.Helper()
	rep, err := s.AuditVerify(ctx(), store.AuditVerifyParams{PublicKey: pub, PageSize: 3})
	must(t, err)
	var out []string
	for _, p := range rep.Problems {
		out = append(out, fmt.Sprintf("%s %s %d", p.Kind, p.ChainID, p.Seq))
	}
	slices.Sort(out)
	return rep, slices.Compact(out)
}

func tamper(t *testing.T, s *store.DB, f func(ctx context.Context, tx store.Executor) error) {
	t.Helper()
	must(t, s.Driver().Tx(ctx(), f))
}

func testAuditCut(t *testing.T, s *store.DB) {
	cutFixture(t, s)
	_, err := s.AuditCutExpired(ctx(), store.AuditCutParams{Retention: auditRetention, Now: cutNow})
	if err == nil {
		t.Error("a cut without the audit key succeeded")
	}
	r := cutExpired(t, s, store.AuditCutParams{MaxEntries: 3})
	equal(t, "the first pass", r, store.AuditCutResult{Chains: 2, Cuts: 2, Deleted: 4})
	equal(t, "h1 after the first pass: old covered entries cut, in two transactions", chainSeqs(t, s, "household:h1"), "5 6 7 8* 9*")
	equal(t, "h2, in no checkpoint", chainSeqs(t, s, "household:h2"), "1")
	equal(t, "org-a, recent", chainSeqs(t, s, "organization:org-a"), "1")
	cut, err := s.AuditCutLatest(ctx(), "household:h1")
	must(t, err)
	equal(t, "the latest cut", fmt.Sprint(cut.FirstKeptSeq, cut.Deleted, cut.At.Equal(cutNow)), "5 1 true")
	rep, findings := verifyFindings(t, s, auditPub)
	equal(t, "findings after the cut", fmt.Sprint(findings), "[]")
	equal(t, "cuts verified", [2]int{rep.Cuts, rep.CutsUnverified}, [2]int{1, 0})
	rep, findings = verifyFindings(t, s, nil)
	equal(t, "findings without the key", fmt.Sprint(findings), "[]")
	equal(t, "cuts unverified without the key", rep.CutsUnverified, 1)

	equal(t, "a second pass", cutExpired(t, s, store.AuditCutParams{}), store.AuditCutResult{Chains: 2})

	// A later checkpoint covers the old entries written after the first; the recent one and
	// the cut records stay.
	_, err = s.AuditCheckpointWrite(ctx(), "cp-2", auditKey, cutNow)
	must(t, err)
	r = cutExpired(t, s, store.AuditCutParams{})
	equal(t, "the pass after the second checkpoint", r, store.AuditCutResult{Chains: 3, Cuts: 2, Deleted: 3})
	equal(t, "h1 after it", chainSeqs(t, s, "household:h1"), "7 8* 9* 10*")
	equal(t, "h2 after it", chainSeqs(t, s, "household:h2"), "2*")
	_, findings = verifyFindings(t, s, auditPub)
	equal(t, "findings after the second pass", fmt.Sprint(findings), "[]")

	// A checkpoint signed with another key does not count.
	other := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	_, err = s.AuditCheckpointWrite(ctx(), "cp-3", other, cutNow.Add(time.Second))
	must(t, err)
	auditAppend(t, s, "h3", t0, "h3-1")
	_, err = s.AuditCheckpointWrite(ctx(), "cp-4", other, cutNow.Add(2*time.Second))
	must(t, err)
	equal(t, "a pass under another key's checkpoint", cutExpired(t, s, store.AuditCutParams{}), store.AuditCutResult{})
}

// testAuditCutBounded: one call looks at MaxChains chains and makes MaxBatches cuts, and the
// pass resumes at Next.
func testAuditCutBounded(t *testing.T, s *store.DB) {
	for _, h := range []string{"h1", "h2", "h3"} {
		auditAppend(t, s, h, t0, h+"-1", h+"-2", h+"-3")
	}
	_, err := s.AuditCheckpointWrite(ctx(), "cp-1", auditKey, cutNow)
	must(t, err)
	r := cutExpired(t, s, store.AuditCutParams{MaxEntries: 1, MaxBatches: 4})
	equal(t, "the first call", r, store.AuditCutResult{Chains: 2, Cuts: 4, Deleted: 4, Next: "household:h2"})
	r = cutExpired(t, s, store.AuditCutParams{FromChainID: r.Next, MaxChains: 1})
	equal(t, "the second call", r, store.AuditCutResult{Chains: 1, Cuts: 1, Deleted: 2, Next: "household:h3"})
	r = cutExpired(t, s, store.AuditCutParams{FromChainID: r.Next})
	equal(t, "the last call", r, store.AuditCutResult{Chains: 1, Cuts: 1, Deleted: 3})
	equal(t, "h1", chainSeqs(t, s, "household:h1"), "4* 5* 6*")
	equal(t, "h2", chainSeqs(t, s, "household:h2"), "4* 5*")
	equal(t, "h3", chainSeqs(t, s, "household:h3"), "4*")
	_, findings := verifyFindings(t, s, auditPub)
	equal(t, "findings", fmt.Sprint(findings), "[]")
}

// testAuditCutTampering: after a cut, a forged cut row or a deleted kept entry is reported
// with its position; a chain tampered with before the cut is not cut.
func testAuditCutTampering(t *testing.T, s *store.DB) {
	cutFixture(t, s)
	// Tampered before any cut: h1's position 2 deleted. The cut refuses h1 and verify still
	// sees the deletion.
	tamper(t, s, func(ctx context.Context, tx store.Executor) error {
		rows, err := tx.AuditListChain(ctx, "household:h1", 1, 1)
		if err != nil {
			return err
		}
		// Deleting position 1 and re-inserting it removes nothing else: a delete of
		// position 2 alone, through the executor's calls.
		if _, err := tx.AuditDeleteBefore(ctx, "household:h1", 3); err != nil {
			return err
		}
		return tx.AuditInsertMany(ctx, []store.AuditEvent{*rows[0]})
	})
	r := cutExpired(t, s, store.AuditCutParams{})
	equal(t, "a pass over a tampered chain", r, store.AuditCutResult{Chains: 2, Refused: 1})
	equal(t, "h1 kept", chainSeqs(t, s, "household:h1"), "1 3 4 5 6 7")
	_, findings := verifyFindings(t, s, auditPub)
	equal(t, "findings", fmt.Sprint(findings), "[deleted household:h1 2]")
}

// testAuditCutForged: a cut row written without the audit key, with a wrong hash, and a kept
// entry deleted after a cut, are reported at their positions.
func testAuditCutForged(t *testing.T, s *store.DB) {
	cutFixture(t, s)
	equal(t, "the cut", cutExpired(t, s, store.AuditCutParams{}).Deleted, int64(4))
	// A kept entry deleted without a cut row: the first kept one.
	tamper(t, s, func(ctx context.Context, tx store.Executor) error {
		_, err := tx.AuditDeleteBefore(ctx, "household:h1", 6)
		return err
	})
	_, findings := verifyFindings(t, s, auditPub)
	equal(t, "findings after deleting the first kept entry", fmt.Sprint(findings), "[deleted household:h1 5]")
	// A forged cut row that would hide it: it names the right hash, but is not signed and no
	// audit.cut record states it.
	rows, err := s.AuditListChain(ctx(), "household:h1", 6, 1)
	must(t, err)
	tamper(t, s, func(ctx context.Context, tx store.Executor) error {
		return tx.AuditCutInsert(ctx, store.AuditCut{ChainID: "household:h1", FirstKeptSeq: 6, LastDeletedHash: rows[0].PrevHash,
			At: cutNow, Deleted: 1, KeyID: store.AuditKeyID(auditPub), Signature: "00"})
	})
	_, findings = verifyFindings(t, s, auditPub)
	equal(t, "findings after a forged cut", fmt.Sprint(findings), "[cut household:h1 6]")
	// A forged cut row with a wrong hash: the first kept entry does not link to it either.
	tamper(t, s, func(ctx context.Context, tx store.Executor) error {
		return tx.AuditCutInsert(ctx, store.AuditCut{ChainID: "household:h1", FirstKeptSeq: 7, LastDeletedHash: "ab",
			At: cutNow, Deleted: 1, KeyID: "k", Signature: "00"})
	})
	rep, err := s.AuditVerify(ctx(), store.AuditVerifyParams{PublicKey: auditPub})
	must(t, err)
	var details []string
	for _, p := range rep.Problems {
		details = append(details, p.String())
	}
	want := "cut: chain household:h1 position 7 entry h1-7: the first kept entry does not link to the hash the chain's cut names"
	if !slices.Contains(details, want) {
		t.Errorf("findings after a cut with a wrong hash: %q, want among them %q", details, want)
	}
	equal(t, "cuts whose signature could not be checked (another key)", rep.CutsUnverified, 1)
}

// testAuditCutConcurrent cuts one chain from two replicas while others append to it: every
// old entry is cut exactly once, no append is lost, and the chain verifies (cuts and appends
// queue on the chain's head, and a cut that read a head another moved is retried).
func testAuditCutConcurrent(t *testing.T, s *store.DB) {
	const old, writers, each = 40, 4, 5
	var ids []string
	for i := range old {
		ids = append(ids, fmt.Sprintf("old-%d", i))
	}
	auditAppend(t, s, "h1", t0, ids...)
	_, err := s.AuditCheckpointWrite(ctx(), "cp-1", auditKey, cutNow)
	must(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+2)
	deleted := make(chan int64, 2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- s.AuditAppend(ctx(), []store.AuditEvent{{ID: fmt.Sprintf("new-%d-%d", w, i), At: cutNow, ProfessionalID: "p-care",
					Action: "plan.read", HouseholdID: "h1"}})
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int64
			for range 3 { // a replica's ticks
				r, err := s.AuditCutExpired(ctx(), store.AuditCutParams{Retention: auditRetention, Now: cutNow, Key: auditKey, MaxEntries: 3})
				if err != nil {
					errs <- err
					return
				}
				n += r.Deleted
			}
			deleted <- n
		}()
	}
	wg.Wait()
	close(errs)
	close(deleted)
	for err := range errs {
		must(t, err)
	}
	var total int64
	for n := range deleted {
		total += n
	}
	equal(t, "entries cut by both replicas", total, int64(old))
	rows, err := s.AuditListChain(ctx(), "household:h1", 0, 1000)
	must(t, err)
	var appended, cuts int
	for _, e := range rows {
		switch {
		case e.Action == store.ActionAuditCut:
			cuts++
		case strings.HasPrefix(e.ID, "new-"):
			appended++
		default:
			t.Errorf("old entry %s at position %d was kept", e.ID, e.Seq)
		}
	}
	equal(t, "appends kept", appended, writers*each)
	equal(t, "cut records (3 entries each)", cuts, (old+2)/3)
	_, findings := verifyFindings(t, s, auditPub)
	equal(t, "findings", fmt.Sprint(findings), "[]")
}
