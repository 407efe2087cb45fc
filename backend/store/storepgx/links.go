package storepgx

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Family check-in links: queries/links.sql. Token and PIN hashes never reach an error.

func link(r dbsqlc.CheckInLink) *store.Link {
	return &store.Link{ID: r.ID, TokenHash: r.TokenHash, HouseholdID: r.HouseholdID, ScheduleID: r.ScheduleID,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt,
		PINHash: r.PinHash, DuressPINHash: r.DuressPinHash, FailedPINs: r.FailedPins, LockedAt: r.LockedAt,
		LastUsedAt: r.LastUsedAt}
}

func (e executor) LinkInsert(ctx context.Context, l store.Link) error {
	return res.Err("create link for "+l.HouseholdID, q.LinkInsert(ctx, e.db, dbsqlc.LinkInsertParams{
		ID: l.ID, TokenHash: l.TokenHash, HouseholdID: l.HouseholdID, ScheduleID: l.ScheduleID, CreatedBy: l.CreatedBy,
		CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, PinHash: l.PINHash, DuressPinHash: l.DuressPINHash}))
}

func (e executor) LinkGetByTokenHash(ctx context.Context, tokenHash string) (*store.Link, error) {
	return store.One(res, "get link", link)(q.LinkGetByTokenHash(ctx, e.db, tokenHash))
}

func (e executor) LinkListByHousehold(ctx context.Context, householdID string) ([]*store.Link, error) {
	return store.All(res, "list links of "+householdID, link)(q.LinkListByHousehold(ctx, e.db, householdID))
}

func (e executor) LinkRevoke(ctx context.Context, p store.LinkRevokeParams) (*store.Link, error) {
	return store.One(res, "revoke link "+p.ID, link)(q.LinkRevoke(ctx, e.db,
		dbsqlc.LinkRevokeParams{ID: p.ID, HouseholdID: p.HouseholdID, Now: p.Now}))
}

func (e executor) LinkPINFailed(ctx context.Context, p store.LinkPINFailedParams) (*store.Link, error) {
	return store.One(res, "count wrong PIN of link "+p.ID, link)(q.LinkPINFailed(ctx, e.db,
		dbsqlc.LinkPINFailedParams{ID: p.ID, MaxFailed: p.Limit, Now: p.Now}))
}

func (e executor) LinkUsed(ctx context.Context, id string, now time.Time) error {
	return res.Err("record use of link "+id, q.LinkUsed(ctx, e.db, dbsqlc.LinkUsedParams{ID: id, Now: now}))
}
