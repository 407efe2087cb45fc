package store

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The access log's hash chains (issue 12). Every record is appended to one chain, and each
// record's hash covers the hash of the record before it in its chain and a canonical,
// versioned encoding of its own fields (its chain and position included), so that editing,
// deleting, inserting or reordering a record breaks the chain where it happened. The rules:
//
//   - Chains are partitioned: a record about a household joins the household's chain, any
//     other record its actor's organization's chain ("deployment" without either). So two
//     households never contend for one row, and CockroachDB has no global hot row. The
//     household's chain also follows the lock order of its writes (the household row first).
//   - The head of each chain (audit_chain_heads: its last position and hash) moves in the
//     transaction that appends: the record and its head commit, or neither. The head is read
//     and then upserted in that transaction, set-based over every chain the transaction
//     touches; every engine runs write transactions serializably (PostgreSQL and CockroachDB
//     SERIALIZABLE, SQLite one writer at a time), so two appends to one chain never take the
//     same position: one of them is retried.
//   - Checkpoints sign every head at one instant with the server's Ed25519 audit key, so that
//     rewriting a whole chain, heads included, shows too (AuditCheckpointWrite).
//   - The encoding is versioned (auditEncodingV1); a new field gets a new version, never a
//     changed meaning of an old one.
//   - Retention cuts a chain's oldest entries, never past a signed checkpoint, leaving a signed
//     cut row whose hash the first kept entry links to and an "audit.cut" record in the chain
//     (auditcut.go); verify starts each chain at its latest cut.
//
// Must never: hash anything that storage does not keep exactly (times are microseconds in
// UTC), or let an engine compute a hash: the chain is computed here, once, for every engine.

// AuditOutcome is how an audited call ended.
type AuditOutcome string

// The outcomes of an audited call.
const (
	// AuditAllowed: the call was allowed and done (a write) or its data returned (a read).
	AuditAllowed AuditOutcome = "allowed"
	// AuditDenied: the access policy refused the call; Reason names the refusal.
	AuditDenied AuditOutcome = "denied"
	// AuditFailed: the call was allowed but failed; nothing of it was written.
	AuditFailed AuditOutcome = "failed"
)

// AuditActorKind is who acts in an audited call.
type AuditActorKind string

// The kinds of actors.
const (
	// ActorProfessional: a signed-in professional.
	ActorProfessional AuditActorKind = "professional"
	// ActorFamilyLink: a family answering through a check-in link (the link's id, never
	// its token, is the actor).
	ActorFamilyLink AuditActorKind = "family_link"
	// ActorSystem: the deployment itself, acting on a rule and not on a request (the
	// scheduler erasing a household after its retention period). ProfessionalID names the
	// job (e.g. "retention"), never a person.
	ActorSystem AuditActorKind = "system"
)

// AuditHead is a chain's last position and hash.
type AuditHead struct {
	ChainID string
	Seq     int64
	Hash    string
}

// AuditPageParams pages through every record in chain order: the records after (AfterChainID,
// AfterSeq, AfterID), at most Limit.
type AuditPageParams struct {
	AfterChainID string
	AfterSeq     int64
	AfterID      string
	Limit        int
}

// AuditListParams select access records for a privacy officer: each filter is optional
// (empty for any); records after (AfterAt, AfterID) and before UntilAt, by at then id, at
// most Limit. The first page starts at AfterAt = the period's start, AfterID "".
type AuditListParams struct {
	OrganizationID string
	HouseholdID    string
	ProfessionalID string
	AfterAt        time.Time
	AfterID        string
	UntilAt        time.Time
	Limit          int
}

// AuditCheckpoint is a signed statement of every chain's head at one instant.
type AuditCheckpoint struct {
	ID    string
	At    time.Time
	KeyID string // AuditKeyID of the signing key's public half
	// Body is the signed text: a version line, the instant, and one "chain seq hash" line per
	// chain, ordered by chain id.
	Body      string
	Signature string // hex Ed25519 signature of Body
}

// AuditChainOf is the chain a record joins: its household's, else its actor's
// organization's, else the deployment's.
func AuditChainOf(e AuditEvent) string {
	switch {
	case e.HouseholdID != "":
		return "household:" + e.HouseholdID
	case e.OrganizationID != "":
		return "organization:" + e.OrganizationID
	default:
		return "deployment"
	}
}

const auditEncodingV1 = "veilig-audit/v1"

// AuditHash is the hash of a record in its chain: SHA-256, hex, over the canonical encoding
// (version 1) of PrevHash and every field but Hash, each field length-prefixed so that no two
// different records encode alike.
func AuditHash(e AuditEvent) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	field := func(s string) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	field(auditEncodingV1)
	field(e.PrevHash)
	field(e.ChainID)
	field(strconv.FormatInt(e.Seq, 10))
	field(e.ID)
	field(strconv.FormatInt(e.At.UTC().UnixMicro(), 10))
	field(string(e.ActorKind))
	field(e.ProfessionalID)
	field(e.OrganizationID)
	field(e.Role)
	field(e.Issuer)
	field(e.DeviceID)
	field(e.RequestID)
	field(e.Action)
	field(e.ObjectKind)
	field(e.ObjectID)
	field(e.HouseholdID)
	field(e.SubjectID)
	field(string(e.Outcome))
	field(e.Reason)
	return hex.EncodeToString(h.Sum(nil))
}

// chain places records in their chains after the heads the transaction reads, and returns
// them with the chains' new heads, ordered by chain id.
func chain(ctx context.Context, tx Executor, events []AuditEvent) ([]AuditEvent, []AuditHead, error) {
	evs := slices.Clone(events)
	var ids []string
	for i := range evs {
		e := &evs[i]
		e.At = e.At.UTC().Truncate(time.Microsecond)
		if e.ActorKind == "" {
			e.ActorKind = ActorProfessional
		}
		if e.Outcome == "" {
			e.Outcome = AuditAllowed
		}
		e.ChainID = AuditChainOf(*e)
		ids = append(ids, e.ChainID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	stored, err := tx.AuditHeadLockMany(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	heads := make(map[string]AuditHead, len(ids))
	for _, h := range stored {
		heads[h.ChainID] = h
	}
	for i := range evs {
		e := &evs[i]
		h := heads[e.ChainID]
		e.Seq, e.PrevHash = h.Seq+1, h.Hash
		e.Hash = AuditHash(*e)
		heads[e.ChainID] = AuditHead{ChainID: e.ChainID, Seq: e.Seq, Hash: e.Hash}
	}
	out := make([]AuditHead, 0, len(ids))
	for _, id := range ids {
		out = append(out, heads[id])
	}
	return evs, out, nil
}

// appendAudit chains and stores records and moves their chains' heads, in tx.
func appendAudit(ctx context.Context, tx Executor, events []AuditEvent) error {
	evs, heads, err := chain(ctx, tx, events)
	if err != nil {
		return err
	}
	if err := tx.AuditInsertMany(ctx, evs); err != nil {
		return err
	}
	return tx.AuditHeadUpsertMany(ctx, heads)
}

// AuditKeyID names an audit key by its public half: the first 8 bytes of its SHA-256, hex.
func AuditKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

const auditCheckpointV1 = "veilig-audit-checkpoint/v1"

// AuditCheckpointWrite signs every chain's current head with key and stores the checkpoint
// (id given by the caller, at now) in one transaction.
func (db *DB) AuditCheckpointWrite(ctx context.Context, id string, key ed25519.PrivateKey, now time.Time) (*AuditCheckpoint, error) {
	var cp *AuditCheckpoint
	err := db.write(ctx, func(ctx context.Context, tx Executor) error {
		heads, err := tx.AuditHeadList(ctx)
		if err != nil {
			return err
		}
		var b strings.Builder
		at := now.UTC().Truncate(time.Microsecond)
		fmt.Fprintf(&b, "%s\nat %d\n", auditCheckpointV1, at.UnixMicro())
		for _, h := range heads {
			fmt.Fprintf(&b, "%s %d %s\n", h.ChainID, h.Seq, h.Hash)
		}
		pub, _ := key.Public().(ed25519.PublicKey)
		cp = &AuditCheckpoint{ID: id, At: at, KeyID: AuditKeyID(pub), Body: b.String(),
			Signature: hex.EncodeToString(ed25519.Sign(key, []byte(b.String())))}
		return tx.AuditCheckpointInsert(ctx, *cp)
	})
	if err != nil {
		return nil, fmt.Errorf("write audit checkpoint: %w", err)
	}
	return cp, nil
}

// AuditCheckpointLatest returns the latest checkpoint (by at, then id), or nil when there is
// none.
func (db *DB) AuditCheckpointLatest(ctx context.Context) (*AuditCheckpoint, error) {
	cps, err := db.read().AuditCheckpointList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list audit checkpoints: %w", err)
	}
	if len(cps) == 0 {
		return nil, nil
	}
	return cps[len(cps)-1], nil
}

// parseCheckpoint reads the heads a checkpoint's body states.
func parseCheckpoint(body string) ([]AuditHead, error) {
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) < 2 || lines[0] != auditCheckpointV1 || !strings.HasPrefix(lines[1], "at ") {
		return nil, errors.New("not a version 1 checkpoint")
	}
	var heads []AuditHead
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		if len(f) != 3 {
			return nil, errors.New("malformed head line")
		}
		seq, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, errors.New("malformed head position")
		}
		heads = append(heads, AuditHead{ChainID: f[0], Seq: seq, Hash: f[2]})
	}
	return heads, nil
}
