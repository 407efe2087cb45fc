package storesqlite

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

func link(l dbsqlc.CheckInLink) *store.Link {
	return &store.Link{ID: l.ID, TokenHash: l.TokenHash, HouseholdID: l.HouseholdID, ScheduleID: l.ScheduleID,
		CreatedBy: l.CreatedBy, CreatedAt: fromMicros(l.CreatedAt), ExpiresAt: fromMicros(l.ExpiresAt),
		RevokedAt: timePtr(l.RevokedAt), PINHash: l.PinHash, DuressPINHash: l.DuressPinHash, FailedPINs: l.FailedPins,
		LockedAt: timePtr(l.LockedAt), LastUsedAt: timePtr(l.LastUsedAt)}
}

// LinkInsert implements store.Executor.
func (e *executor) LinkInsert(ctx context.Context, l store.Link) error {
	return res.Err("insert link", e.q.LinkInsert(ctx, dbsqlc.LinkInsertParams{ID: l.ID, TokenHash: l.TokenHash,
		HouseholdID: l.HouseholdID, ScheduleID: l.ScheduleID, CreatedBy: l.CreatedBy, CreatedAt: micros(l.CreatedAt),
		ExpiresAt: micros(l.ExpiresAt), PinHash: l.PINHash, DuressPinHash: l.DuressPINHash}))
}

// LinkGetByTokenHash implements store.Executor.
func (e *executor) LinkGetByTokenHash(ctx context.Context, tokenHash string) (*store.Link, error) {
	return store.One(res, "get link", link)(e.q.LinkGetByTokenHash(ctx, tokenHash))
}

// LinkListByHousehold implements store.Executor.
func (e *executor) LinkListByHousehold(ctx context.Context, householdID string) ([]*store.Link, error) {
	return store.All(res, "list links", link)(e.q.LinkListByHousehold(ctx, householdID))
}

// LinkRevoke implements store.Executor.
func (e *executor) LinkRevoke(ctx context.Context, p store.LinkRevokeParams) (*store.Link, error) {
	return store.One(res, "revoke link", link)(e.q.LinkRevoke(ctx, dbsqlc.LinkRevokeParams{ID: p.ID, HouseholdID: p.HouseholdID, Now: micros(p.Now)}))
}

// LinkPINFailed implements store.Executor.
func (e *executor) LinkPINFailed(ctx context.Context, p store.LinkPINFailedParams) (*store.Link, error) {
	return store.One(res, "count wrong PIN", link)(e.q.LinkPINFailed(ctx, dbsqlc.LinkPINFailedParams{ID: p.ID, MaxFailed: p.Limit, Now: micros(p.Now)}))
}

// LinkUsed implements store.Executor.
func (e *executor) LinkUsed(ctx context.Context, id string, now time.Time) error {
	return res.Err("record link use", e.q.LinkUsed(ctx, dbsqlc.LinkUsedParams{ID: id, Now: micros(now)}))
}
