package store

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"slices"
)

// AuditProblemKind is what verification found wrong at one position of a chain.
type AuditProblemKind string

// The kinds of tampering verification tells apart. A record whose own hash no longer
// matches its fields, but which still links to the record before it, was edited; one whose
// hash matches but which does not link was inserted (or moved); one that does neither was
// moved (its position is part of its hash) or edited and moved.
const (
	AuditEdited           AuditProblemKind = "edited"
	AuditDeleted          AuditProblemKind = "deleted"
	AuditInserted         AuditProblemKind = "inserted"
	AuditReordered        AuditProblemKind = "reordered"
	AuditUnchained        AuditProblemKind = "unchained"
	AuditHeadWrong        AuditProblemKind = "head"
	AuditCheckpointBroken AuditProblemKind = "checkpoint"
)

// AuditProblem is one finding: its kind, the chain and position (Seq; for deleted records
// the first missing position, with Count the number missing), the record's id when there is
// one, and a sentence without personal data.
type AuditProblem struct {
	Kind    AuditProblemKind
	ChainID string
	Seq     int64
	Count   int64
	EntryID string
	Detail  string
}

func (p AuditProblem) String() string {
	s := fmt.Sprintf("%s: chain %s position %d", p.Kind, p.ChainID, p.Seq)
	if p.Count > 1 {
		s += fmt.Sprintf(" (%d entries)", p.Count)
	}
	if p.EntryID != "" {
		s += " entry " + p.EntryID
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// AuditReport is what AuditVerify found.
type AuditReport struct {
	Chains      int
	Entries     int64
	Checkpoints int
	// CheckpointsUnverified counts checkpoints whose signature could not be checked (no
	// public key given, or signed by another key).
	CheckpointsUnverified int
	// Cuts counts the chains that were cut (their latest cut is checked); CutsUnverified
	// those whose cut's signature could not be checked (no public key given, or signed by
	// another key).
	Cuts           int
	CutsUnverified int
	Problems       []AuditProblem
}

// Clean reports whether nothing was found wrong.
func (r *AuditReport) Clean() bool { return len(r.Problems) == 0 }

// AuditVerifyParams configure AuditVerify. Zero values work: no signature checks, pages of
// 1,000 records, no progress.
type AuditVerifyParams struct {
	// PublicKey checks the checkpoints' signatures (nil: they are counted as unverified,
	// their heads still checked).
	PublicKey ed25519.PublicKey
	// PageSize is how many records one read fetches.
	PageSize int
	// Progress, when set, is called after every page with the records checked so far.
	Progress func(entries int64)
}

// AuditVerify walks every chain of the access log in order and reports every record that was
// edited, deleted, inserted or reordered, with its chain and position; chains whose head
// disagrees with their last record; checkpoints that are forged or no longer hold; and cuts
// (retention, auditcut.go) that are forged or unrecorded. A chain that was cut is walked
// from its latest cut: its first kept entry must link to the cut's last deleted hash, the
// cut's signature must verify, a checkpoint naming the last deleted position must name that
// hash, and the chain must hold the cut's "audit.cut" record. It
// reads through consistent pages and writes nothing; records appended while it runs may be
// reported against a head read before them only if their chain is walked after the heads
// were read, so run it on a quiet log or read it as of the heads it read.
func (db *DB) AuditVerify(ctx context.Context, p AuditVerifyParams) (*AuditReport, error) {
	if p.PageSize <= 0 {
		p.PageSize = 1000
	}
	rep := &AuditReport{}
	headList, err := db.read().AuditHeadList(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify audit log: read heads: %w", err)
	}
	heads := make(map[string]AuditHead, len(headList))
	for _, h := range headList {
		heads[h.ChainID] = h
	}
	rep.Chains = len(heads)
	checked, err := db.checkpointHeads(ctx, p.PublicKey, rep)
	if err != nil {
		return nil, err
	}

	cuts, err := db.latestCuts(ctx, p.PublicKey, checked, rep)
	if err != nil {
		return nil, err
	}

	v := &chainWalk{rep: rep, heads: heads, checked: checked, cuts: cuts, seen: map[string]bool{}}
	page := AuditPageParams{Limit: p.PageSize}
	for {
		rows, err := db.read().AuditListPage(ctx, page)
		if err != nil {
			return nil, fmt.Errorf("verify audit log: read after position %d of chain %s: %w", page.AfterSeq, page.AfterChainID, err)
		}
		for _, e := range rows {
			v.entry(e)
		}
		rep.Entries += int64(len(rows))
		if p.Progress != nil && len(rows) > 0 {
			p.Progress(rep.Entries)
		}
		if len(rows) < p.PageSize {
			break
		}
		last := rows[len(rows)-1]
		page.AfterChainID, page.AfterSeq, page.AfterID = last.ChainID, last.Seq, last.ID
	}
	v.finish()
	for _, h := range headList {
		first := int64(1)
		if c := cuts[h.ChainID]; c != nil {
			first = c.FirstKeptSeq
		}
		if !v.seen[h.ChainID] && h.Seq >= first {
			rep.Problems = append(rep.Problems, AuditProblem{Kind: AuditDeleted, ChainID: h.ChainID, Seq: first, Count: h.Seq - first + 1,
				Detail: "the chain's head names entries that are all missing"})
		}
	}
	var lost []string
	for c := range checked {
		if _, ok := heads[c]; !ok && !v.seen[c] {
			lost = append(lost, c)
		}
	}
	slices.Sort(lost)
	for _, c := range lost {
		rep.Problems = append(rep.Problems, AuditProblem{Kind: AuditCheckpointBroken, ChainID: c, Seq: 1,
			Detail: "a signed checkpoint names this chain, which is gone, head and entries"})
	}
	return rep, nil
}

// checkpointHeads checks every checkpoint's signature and returns, per chain, the positions
// and hashes the checkpoints state.
func (db *DB) checkpointHeads(ctx context.Context, pub ed25519.PublicKey, rep *AuditReport) (map[string]map[int64]string, error) {
	cps, err := db.read().AuditCheckpointList(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify audit log: read checkpoints: %w", err)
	}
	out := map[string]map[int64]string{}
	for _, cp := range cps {
		rep.Checkpoints++
		if pub == nil || cp.KeyID != AuditKeyID(pub) {
			rep.CheckpointsUnverified++
		} else if sig, err := hex.DecodeString(cp.Signature); err != nil || !ed25519.Verify(pub, []byte(cp.Body), sig) {
			rep.Problems = append(rep.Problems, AuditProblem{Kind: AuditCheckpointBroken, EntryID: cp.ID,
				Detail: "the checkpoint's signature does not verify with the audit key"})
			continue
		}
		hs, err := parseCheckpoint(cp.Body)
		if err != nil {
			rep.Problems = append(rep.Problems, AuditProblem{Kind: AuditCheckpointBroken, EntryID: cp.ID, Detail: err.Error()})
			continue
		}
		for _, h := range hs {
			if out[h.ChainID] == nil {
				out[h.ChainID] = map[int64]string{}
			}
			out[h.ChainID][h.Seq] = h.Hash
		}
	}
	return out, nil
}

// latestCuts reads every chain's latest cut, checks its signature and the checkpoints' hash
// of its last deleted position, and returns them by chain.
func (db *DB) latestCuts(ctx context.Context, pub ed25519.PublicKey, checked map[string]map[int64]string, rep *AuditReport) (map[string]*AuditCut, error) {
	list, err := db.read().AuditCutListLatest(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify audit log: read cuts: %w", err)
	}
	out := make(map[string]*AuditCut, len(list))
	for _, c := range list {
		out[c.ChainID] = c
		rep.Cuts++
		if pub == nil || c.KeyID != AuditKeyID(pub) {
			rep.CutsUnverified++
		} else if sig, err := hex.DecodeString(c.Signature); err != nil || !ed25519.Verify(pub, []byte(AuditCutStatement(*c)), sig) {
			rep.Problems = append(rep.Problems, AuditProblem{Kind: AuditCutBroken, ChainID: c.ChainID, Seq: c.FirstKeptSeq,
				Detail: "the cut's signature does not verify with the audit key"})
		}
		if want, ok := checked[c.ChainID][c.FirstKeptSeq-1]; ok && want != c.LastDeletedHash {
			rep.Problems = append(rep.Problems, AuditProblem{Kind: AuditCutBroken, ChainID: c.ChainID, Seq: c.FirstKeptSeq,
				Detail: "the cut's last deleted hash differs from the one a signed checkpoint names"})
		}
	}
	return out, nil
}

// chainWalk checks records in chain order, one chain after the other.
type chainWalk struct {
	rep     *AuditReport
	heads   map[string]AuditHead
	checked map[string]map[int64]string
	cuts    map[string]*AuditCut
	seen    map[string]bool
	// cut is the walked chain's latest cut (nil: never cut), and cutRecorded whether its
	// "audit.cut" record was seen.
	cut         *AuditCut
	cutRecorded bool
	chain       string
	started     bool
	lastSeq     int64
	lastHash    string
	// flagged: the entry before was reported, so that its successor's broken link is not
	// reported again as an insertion.
	flagged bool
}

func (v *chainWalk) problem(p AuditProblem) {
	v.rep.Problems = append(v.rep.Problems, p)
	v.flagged = true
}

func (v *chainWalk) entry(e *AuditEvent) {
	if !v.started || e.ChainID != v.chain {
		v.finish()
		v.chain, v.started, v.lastSeq, v.lastHash, v.flagged = e.ChainID, true, 0, "", false
		v.cut, v.cutRecorded = v.cuts[e.ChainID], false
		if v.cut != nil {
			// The chain starts at its cut: the positions before it are gone, the last of them
			// with the cut's hash.
			v.lastSeq, v.lastHash = v.cut.FirstKeptSeq-1, v.cut.LastDeletedHash
		}
		v.seen[e.ChainID] = true
		if _, ok := v.heads[e.ChainID]; !ok && e.ChainID != "" {
			v.problem(AuditProblem{Kind: AuditInserted, ChainID: e.ChainID, Seq: e.Seq, EntryID: e.ID,
				Detail: "the chain has no head: its entries were inserted"})
		}
	}
	if e.ChainID == "" {
		v.problem(AuditProblem{Kind: AuditUnchained, Seq: e.Seq, EntryID: e.ID,
			Detail: "the entry is in no chain (written before migration 00011, or inserted)"})
		return
	}
	afterFlagged := v.flagged
	v.flagged = false
	contentOK := AuditHash(*e) == e.Hash
	if v.cut != nil && contentOK && e.Action == ActionAuditCut && e.ObjectID == e.ChainID && e.Reason == AuditCutStatement(*v.cut) {
		v.cutRecorded = true
	}
	gap := e.Seq > v.lastSeq+1
	switch {
	case v.cut != nil && e.Seq < v.cut.FirstKeptSeq:
		v.problem(AuditProblem{Kind: AuditInserted, ChainID: e.ChainID, Seq: e.Seq, EntryID: e.ID,
			Detail: "an entry at a position the chain's cut removed"})
		return
	case e.Seq <= v.lastSeq:
		v.problem(AuditProblem{Kind: AuditInserted, ChainID: e.ChainID, Seq: e.Seq, EntryID: e.ID,
			Detail: "a second entry at this position"})
		return // the first entry at the position stays the chain's
	case gap:
		v.problem(AuditProblem{Kind: AuditDeleted, ChainID: e.ChainID, Seq: v.lastSeq + 1, Count: e.Seq - v.lastSeq - 1,
			Detail: "positions missing before entry " + e.ID})
	}
	linked := e.PrevHash == v.lastHash
	if h, ok := v.heads[e.ChainID]; ok && e.Seq > h.Seq {
		v.problem(AuditProblem{Kind: AuditInserted, ChainID: e.ChainID, Seq: e.Seq, EntryID: e.ID,
			Detail: "the entry lies past the chain's head"})
	} else if !contentOK && (linked || gap) {
		v.problem(AuditProblem{Kind: AuditEdited, ChainID: e.ChainID, Seq: e.Seq, EntryID: e.ID,
			Detail: "the entry's fields no longer match its hash"})
	} else if !contentOK {
		v.problem(AuditProblem{Kind: AuditReordered, ChainID: e.ChainID, Seq: e.Seq, EntryID: e.ID,
			Detail: "the entry neither matches its hash nor links to the entry before it"})
	} else if !linked && !gap && v.cut != nil && e.Seq == v.cut.FirstKeptSeq {
		v.problem(AuditProblem{Kind: AuditCutBroken, ChainID: e.ChainID, Seq: e.Seq, EntryID: e.ID,
			Detail: "the first kept entry does not link to the hash the chain's cut names"})
	} else if !linked && !gap && !afterFlagged {
		v.problem(AuditProblem{Kind: AuditInserted, ChainID: e.ChainID, Seq: e.Seq, EntryID: e.ID,
			Detail: "the entry does not link to the entry before it"})
	}
	if want, ok := v.checked[e.ChainID][e.Seq]; ok && want != e.Hash {
		v.problem(AuditProblem{Kind: AuditCheckpointBroken, ChainID: e.ChainID, Seq: e.Seq, EntryID: e.ID,
			Detail: "the entry differs from the one a signed checkpoint names"})
	}
	v.lastSeq, v.lastHash = e.Seq, e.Hash
}

// finish compares the chain just walked with its head and its checkpoints.
func (v *chainWalk) finish() {
	if !v.started || v.chain == "" {
		return
	}
	if v.cut != nil && !v.cutRecorded {
		v.problem(AuditProblem{Kind: AuditCutBroken, ChainID: v.chain, Seq: v.cut.FirstKeptSeq,
			Detail: "the chain holds no audit.cut entry that records its cut"})
	}
	if h, ok := v.heads[v.chain]; ok {
		switch {
		case h.Seq > v.lastSeq:
			v.problem(AuditProblem{Kind: AuditDeleted, ChainID: v.chain, Seq: v.lastSeq + 1, Count: h.Seq - v.lastSeq,
				Detail: "entries missing at the end of the chain"})
		case h.Seq == v.lastSeq && h.Hash != v.lastHash:
			v.problem(AuditProblem{Kind: AuditHeadWrong, ChainID: v.chain, Seq: h.Seq,
				Detail: "the chain's head does not match its last entry"})
		}
	}
	var maxSeq int64
	for seq := range v.checked[v.chain] {
		maxSeq = max(maxSeq, seq)
	}
	if maxSeq > v.lastSeq {
		v.problem(AuditProblem{Kind: AuditCheckpointBroken, ChainID: v.chain, Seq: v.lastSeq + 1, Count: maxSeq - v.lastSeq,
			Detail: "a signed checkpoint names entries past the chain's end"})
	}
}
