package store

import (
	"context"
	"time"
)

// LinkCreate stores a new link.
func (db *DB) LinkCreate(ctx context.Context, l Link) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.LinkInsert(ctx, l) })
}

// LinkRevoke revokes a link of a household; revoking twice keeps the first time. A link of
// another household is ErrNotFound.
func (db *DB) LinkRevoke(ctx context.Context, p LinkRevokeParams) (*Link, error) {
	var out *Link
	err := db.write(ctx, func(ctx context.Context, tx Executor) (err error) {
		out, err = tx.LinkRevoke(ctx, p)
		return err
	})
	return out, err
}

// LinkPINFailed counts a wrong PIN and locks the link at the limit; it returns the link
// as updated (LockedAt set when this failure locked it).
func (db *DB) LinkPINFailed(ctx context.Context, p LinkPINFailedParams) (*Link, error) {
	var out *Link
	err := db.write(ctx, func(ctx context.Context, tx Executor) (err error) {
		out, err = tx.LinkPINFailed(ctx, p)
		return err
	})
	return out, err
}

// LinkUsed records a successful answer: it resets the wrong-PIN count.
func (db *DB) LinkUsed(ctx context.Context, id string, now time.Time) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.LinkUsed(ctx, id, now) })
}
