package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Spent family-link form tokens (issue 13, point 6; migration 00019). A form token answers
// once across every replica sharing the database: the answer's transaction (or the wrong-PIN
// count's) first inserts a hash of the token's nonce, and the primary key refuses a second
// insert. So the spend commits with what the answer records, and an answer that fails
// leaves its token unspent for the family to try again. Nothing here knows what a form
// token looks like: package familylink hashes its nonce.

// FormTokenTTL is how long a family-link form token may be answered after it was issued. A
// family may leave the page open for a while; two hours is generous for that and short
// enough that a copied page goes stale. It is here, not in package familylink, because it
// also decides how long a spend must be kept.
const FormTokenTTL = 2 * time.Hour

// FormTokenSkew is how far the clocks of two replicas may disagree: a token issued by one
// verifies on another up to FormTokenSkew "in the future".
const FormTokenSkew = time.Minute

// FormTokenSpendKeep is how long a spent form token must be remembered: until no replica
// could still verify it. A token verifies until FormTokenTTL after its issue, which may be
// up to FormTokenSkew after the spend by the spender's clock, and the deleting replica's
// clock may be FormTokenSkew ahead again.
const FormTokenSpendKeep = FormTokenTTL + 2*FormTokenSkew

// ErrFormTokenSpent is returned (wrapped) by Tx.FormTokenSpend when the form token was
// spent already, by this replica or another.
var ErrFormTokenSpent = errors.New("form token already spent")

// FormTokenSpendParams spends one form token.
type FormTokenSpendParams struct {
	// NonceHash identifies the token: a hash of its random nonce, never the link token.
	NonceHash string
	// Now is when it is spent; a row is kept until FormTokenSpendDeleteExpired's Before
	// passes it.
	Now time.Time
}

// FormTokenSpend spends a form token in tx: ErrFormTokenSpent when it was spent before. Call
// it first in the transaction that records the answer: on PostgreSQL a concurrent spend of
// the same token waits for this transaction and then fails, and an aborted statement ends
// the transaction anyway.
func (tx *Tx) FormTokenSpend(ctx context.Context, p FormTokenSpendParams) error {
	err := tx.ex.FormTokenSpendInsert(ctx, FormTokenSpendParams{NonceHash: p.NonceHash, Now: p.Now.UTC()})
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("spend form token: %w", ErrFormTokenSpent)
	}
	if err != nil {
		return fmt.Errorf("spend form token: %w", err)
	}
	return nil
}

// FormTokenSpendDeleteParams deletes spent form tokens that can no longer verify.
type FormTokenSpendDeleteParams struct {
	// Before: rows spent before it are deleted. The caller passes now minus
	// FormTokenSpendKeep: tokens spent before that are refused by their issue time anyway.
	Before time.Time
	// BatchSize is how many rows one transaction deletes (default 1,000), MaxBatches how
	// many transactions one call runs at most (default 20).
	BatchSize, MaxBatches int
}

// FormTokenSpendDeleteExpired deletes spent form tokens older than p.Before, oldest first,
// in transactions of at most BatchSize rows until none is left or MaxBatches ran, and
// returns how many it deleted. Replicas may run it at once: a row deleted twice is deleted
// once.
func (db *DB) FormTokenSpendDeleteExpired(ctx context.Context, p FormTokenSpendDeleteParams) (int64, error) {
	if p.BatchSize <= 0 {
		p.BatchSize = 1000
	}
	if p.MaxBatches <= 0 {
		p.MaxBatches = 20
	}
	var total int64
	for range p.MaxBatches {
		var n int64
		err := db.write(ctx, func(ctx context.Context, tx Executor) (err error) {
			n, err = tx.FormTokenSpendDeleteBefore(ctx, p.Before.UTC(), p.BatchSize)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("delete expired form token spends: %w", err)
		}
		total += n
		if n < int64(p.BatchSize) {
			break
		}
	}
	return total, nil
}
