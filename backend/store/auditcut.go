package store

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Retention of the access log (issue 12, docs/storage.md "Retention of the access log"): the
// access log is kept for its own retention period (5 years by default), after which the
// oldest entries of each chain are cut: deleted, with a signed record of the cut, so that
// `veilig audit verify` still proves the rest of the chain intact. The rules:
//
//   - Only the oldest entries of a chain are cut, consecutively from the chain's start (or its
//     latest cut), while they are older than the retention AND at or before the position the
//     latest checkpoint signed with the audit key names for the chain. So a cut never removes
//     an entry that no signed checkpoint attested, and never the chain's last entry.
//   - The entries to cut are verified first (position, own hash, link to the one before, the
//     checkpoint's hash), and the first kept entry must link to the last cut one: a chain
//     that does not verify there is left alone (counted as refused), because cutting it would
//     erase the evidence of its tampering.
//   - A cut is one write transaction per at most MaxEntries entries, through the ordinary write
//     path: it locks the chain's head (as an append does), deletes the entries, stores an
//     AuditCut row (the first kept position and the hash of the last deleted entry, so that
//     the first kept entry's prev_hash still verifies), signed with the audit key, and appends
//     an "audit.cut" record to the chain itself, whose Reason is the cut's statement. Verify
//     starts each chain at its latest cut and checks all three against each other.
//
// Must never: cut past the latest signed checkpoint's coverage, cut a range that does not
// verify, or write personal data into the cut's record (it names the chain and positions).

// ActionAuditCut is the access log's action for a cut of a chain's oldest entries; the record
// joins the chain it cut, its actor is ActorSystem and its Reason the cut's statement.
const ActionAuditCut = "audit.cut"

// AuditRetentionActor is the ProfessionalID of the "audit.cut" records (actor kind
// ActorSystem).
const AuditRetentionActor = "audit-retention"

// AuditCutBroken is the finding of a cut that verification cannot account for: a forged or
// edited cut row (its signature, its hash against the first kept entry or a checkpoint), or a
// cut that the chain holds no "audit.cut" record of.
const AuditCutBroken AuditProblemKind = "cut"

// AuditCut is one cut of a chain's oldest entries: the positions before FirstKeptSeq are gone,
// the last of them had hash LastDeletedHash; Deleted entries were deleted by this cut, at At.
// KeyID names the audit key and Signature is its hex Ed25519 signature of AuditCutStatement.
type AuditCut struct {
	ChainID         string
	FirstKeptSeq    int64
	LastDeletedHash string
	At              time.Time
	Deleted         int64
	KeyID           string
	Signature       string
}

const auditCutV1 = "veilig-audit-cut/v1"

// AuditCutStatement is the one-line, versioned text of a cut that its signature covers and
// that its "audit.cut" record states as Reason: the chain, the first kept position, the last
// deleted hash, the count and the instant (microseconds, UTC). It holds no personal data.
func AuditCutStatement(c AuditCut) string {
	return fmt.Sprintf("%s chain %s first-kept %d last-deleted-hash %s deleted %d at %d",
		auditCutV1, c.ChainID, c.FirstKeptSeq, c.LastDeletedHash, c.Deleted, c.At.UTC().UnixMicro())
}

// auditEventInChain is a record that AuditChainOf places in chain (its household or
// organization set), or false for a chain id of no known shape.
func auditEventInChain(chain string) (AuditEvent, bool) {
	var e AuditEvent
	switch {
	case strings.HasPrefix(chain, "household:"):
		e.HouseholdID = strings.TrimPrefix(chain, "household:")
	case strings.HasPrefix(chain, "organization:"):
		e.OrganizationID = strings.TrimPrefix(chain, "organization:")
	}
	return e, chain != "" && AuditChainOf(e) == chain
}

// AuditCutParams are the arguments of DB.AuditCutExpired. A pass over every chain may take
// several calls: each resumes at the Next of the one before.
type AuditCutParams struct {
	// Retention is how long an entry is kept: it may be cut when at + Retention <= Now. It
	// must be positive.
	Retention time.Duration
	// Now is the scheduler's clock.
	Now time.Time
	// Key is the audit key: only the latest checkpoint, if it verifies with this key, says how
	// far each chain may be cut, and each cut is signed with it. It is required.
	Key ed25519.PrivateKey
	// FromChainID is where this call starts in the checkpoint's chains, by chain id, itself
	// included ("" for the first).
	FromChainID string
	// MaxChains bounds the chains one call looks at (default 500).
	MaxChains int
	// MaxEntries bounds the entries one transaction cuts (default 1000).
	MaxEntries int
	// MaxBatches bounds the cutting transactions of one call (default 20).
	MaxBatches int
}

// AuditCutResult is what one call of DB.AuditCutExpired did.
type AuditCutResult struct {
	// Chains is how many chains it looked at.
	Chains int
	// Cuts is how many cuts (transactions, "audit.cut" records) it made; Deleted how many
	// entries they deleted.
	Cuts    int
	Deleted int64
	// Refused counts the chains it left alone because the entries to cut, or the link to the
	// first kept one, do not verify (run `veilig audit verify`).
	Refused int
	// Next is the chain the next call of the pass starts at; "" when the pass is done.
	Next string
}

// errCutRefused rolls back a cut of a chain that does not verify where it would be cut.
var errCutRefused = errors.New("the entries to cut do not verify")

// AuditCutExpired cuts, chain by chain in chain id order from p.FromChainID, the oldest entries
// older than p.Retention and covered by the latest checkpoint signed with p.Key (see the rules
// above), at most p.MaxEntries per transaction and p.MaxBatches transactions per call. A chain
// that is not due is passed over with two indexed reads and no transaction. Without a
// checkpoint that verifies with the key nothing is cut. Replicas may run it at once: the head
// lock orders their cuts of one chain, and the second finds nothing left to cut.
func (db *DB) AuditCutExpired(ctx context.Context, p AuditCutParams) (AuditCutResult, error) {
	var r AuditCutResult
	if p.Retention <= 0 {
		return r, errors.New("cut access log: retention must be positive")
	}
	if len(p.Key) != ed25519.PrivateKeySize {
		return r, errors.New("cut access log: the audit key is required")
	}
	if p.MaxChains <= 0 {
		p.MaxChains = 500
	}
	if p.MaxEntries <= 0 {
		p.MaxEntries = 1000
	}
	if p.MaxBatches <= 0 {
		p.MaxBatches = 20
	}
	now := p.Now.UTC().Truncate(time.Microsecond)
	cutoff := now.Add(-p.Retention)
	coverage, err := db.signedCoverage(ctx, p.Key)
	if err != nil {
		return r, fmt.Errorf("cut access log: %w", err)
	}
	var chains []string
	for c := range coverage {
		if c >= p.FromChainID {
			chains = append(chains, c)
		}
	}
	slices.Sort(chains)
	batches := 0
	for _, chain := range chains {
		if r.Chains == p.MaxChains {
			r.Next = chain
			return r, nil
		}
		r.Chains++
		for {
			due, err := db.cutDue(ctx, chain, coverage[chain].Seq, cutoff)
			if err != nil {
				return r, fmt.Errorf("cut access log: %w", err)
			}
			if !due {
				break
			}
			if batches == p.MaxBatches {
				r.Next = chain
				return r, nil
			}
			batches++
			n, err := db.cutChain(ctx, coverage[chain], cutoff, now, p)
			if errors.Is(err, errCutRefused) {
				r.Refused++
				break
			}
			if err != nil {
				return r, fmt.Errorf("cut access log: %w", err)
			}
			if n == 0 {
				break
			}
			r.Cuts++
			r.Deleted += n
		}
	}
	return r, nil
}

// signedCoverage is, per chain, the head the latest checkpoint states, if that checkpoint
// verifies with key; nil otherwise (an older checkpoint is never used: the latest is the one
// a later verify holds the log against).
func (db *DB) signedCoverage(ctx context.Context, key ed25519.PrivateKey) (map[string]AuditHead, error) {
	cp, err := db.AuditCheckpointLatest(ctx)
	if err != nil || cp == nil {
		return nil, err
	}
	pub, _ := key.Public().(ed25519.PublicKey)
	sig, err := hex.DecodeString(cp.Signature)
	if cp.KeyID != AuditKeyID(pub) || err != nil || !ed25519.Verify(pub, []byte(cp.Body), sig) {
		return nil, nil
	}
	heads, err := parseCheckpoint(cp.Body)
	if err != nil {
		return nil, nil
	}
	out := make(map[string]AuditHead, len(heads))
	for _, h := range heads {
		out[h.ChainID] = h
	}
	return out, nil
}

// cutDue reports, outside a transaction, whether a chain's oldest kept entry may be cut.
func (db *DB) cutDue(ctx context.Context, chain string, covered int64, cutoff time.Time) (bool, error) {
	from := int64(1)
	last, err := db.read().AuditCutLatest(ctx, chain)
	if err != nil {
		return false, err
	}
	if last != nil {
		from = last.FirstKeptSeq
	}
	rows, err := db.read().AuditListChain(ctx, chain, from, 1)
	if err != nil || len(rows) == 0 {
		return false, err
	}
	return rows[0].Seq <= covered && !rows[0].At.After(cutoff), nil
}

// cutChain makes one cut of at most p.MaxEntries of a chain's oldest entries, in one write
// transaction, and returns how many it deleted (errCutRefused when they do not verify).
func (db *DB) cutChain(ctx context.Context, cover AuditHead, cutoff, now time.Time, p AuditCutParams) (int64, error) {
	chain := cover.ChainID
	record, ok := auditEventInChain(chain)
	if !ok {
		return 0, errCutRefused
	}
	pub, _ := p.Key.Public().(ed25519.PublicKey)
	var n int64
	err := db.write(ctx, func(ctx context.Context, tx Executor) error {
		n = 0
		heads, err := tx.AuditHeadLockMany(ctx, []string{chain})
		if err != nil {
			return err
		}
		head := heads[0]
		from, prev := int64(1), ""
		last, err := tx.AuditCutLatest(ctx, chain)
		if err != nil {
			return err
		}
		if last != nil {
			from, prev = last.FirstKeptSeq, last.LastDeletedHash
		}
		rows, err := tx.AuditListChain(ctx, chain, from, p.MaxEntries+1)
		if err != nil {
			return err
		}
		k := 0
		for ; k < len(rows) && k < p.MaxEntries; k++ {
			e := rows[k]
			if e.Seq > cover.Seq || e.At.After(cutoff) {
				break
			}
			if e.Seq != from+int64(k) || e.PrevHash != prev || AuditHash(*e) != e.Hash ||
				(e.Seq == cover.Seq && e.Hash != cover.Hash) {
				return errCutRefused
			}
			prev = e.Hash
		}
		if k == 0 {
			return nil
		}
		firstKept := from + int64(k)
		if k < len(rows) {
			if next := rows[k]; next.Seq != firstKept || next.PrevHash != prev {
				return errCutRefused
			}
		} else if head.Seq != firstKept-1 || head.Hash != prev {
			return errCutRefused
		}
		deleted, err := tx.AuditDeleteBefore(ctx, chain, firstKept)
		if err != nil {
			return err
		}
		if deleted != int64(k) {
			return errCutRefused // entries before the chain's start or cut: rolled back
		}
		cut := AuditCut{ChainID: chain, FirstKeptSeq: firstKept, LastDeletedHash: prev, At: now, Deleted: deleted,
			KeyID: AuditKeyID(pub)}
		cut.Signature = hex.EncodeToString(ed25519.Sign(p.Key, []byte(AuditCutStatement(cut))))
		if err := tx.AuditCutInsert(ctx, cut); err != nil {
			return err
		}
		ev := record
		ev.ID, ev.At, ev.ActorKind, ev.ProfessionalID = uuid.NewString(), now, ActorSystem, AuditRetentionActor
		ev.Action, ev.ObjectKind, ev.ObjectID, ev.Reason = ActionAuditCut, "audit_chain", chain, AuditCutStatement(cut)
		if err := appendAudit(ctx, tx, []AuditEvent{ev}); err != nil {
			return err
		}
		n = deleted
		return nil
	})
	if err != nil && !errors.Is(err, errCutRefused) {
		err = fmt.Errorf("cut chain %s: %w", chain, err)
	}
	return n, err
}
