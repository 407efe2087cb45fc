package store

import (
	"context"
	"time"
)

// LinkCreate implements Store.
func (db *DB) LinkCreate(ctx context.Context, l Link) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.LinkInsert(ctx, l) })
}

// LinkRevoke implements Store.
func (db *DB) LinkRevoke(ctx context.Context, p LinkRevokeParams) (*Link, error) {
	var out *Link
	err := db.write(ctx, func(ctx context.Context, tx Executor) (err error) {
		out, err = tx.LinkRevoke(ctx, p)
		return err
	})
	return out, err
}

// LinkPINFailed implements Store.
func (db *DB) LinkPINFailed(ctx context.Context, p LinkPINFailedParams) (*Link, error) {
	var out *Link
	err := db.write(ctx, func(ctx context.Context, tx Executor) (err error) {
		out, err = tx.LinkPINFailed(ctx, p)
		return err
	})
	return out, err
}

// LinkUsed implements Store.
func (db *DB) LinkUsed(ctx context.Context, id string, now time.Time) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.LinkUsed(ctx, id, now) })
}
