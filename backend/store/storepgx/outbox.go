package storepgx

import (
	"context"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// The push outbox, device tokens and pending sync pokes: queries/outbox.sql.

func outboxItem(r dbsqlc.PushOutbox) *store.OutboxItem {
	return &store.OutboxItem{NoticeID: r.NoticeID, Token: r.Token, ProfessionalID: r.ProfessionalID, Kind: r.Kind,
		Ref: r.Ref, Urgent: r.Urgent, Counts: [3]int32{r.Overdue, r.Escalated, r.Concerns}, Status: r.Status,
		Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt, LastError: r.LastError, CreatedAt: r.CreatedAt,
		FinishedAt: r.FinishedAt}
}

func device(r dbsqlc.Device) *store.Device {
	return &store.Device{Token: r.Token, ProfessionalID: r.ProfessionalID, Platform: r.Platform, UpdatedAt: r.UpdatedAt}
}

func syncPoke(r dbsqlc.SyncPokeTakeRow) store.HouseholdVersion {
	return store.HouseholdVersion{HouseholdID: r.HouseholdID, Version: r.Version}
}

func (e executor) OutboxInsertMany(ctx context.Context, p store.OutboxInsertManyParams) error {
	rs := p.Recipients
	return res.Err(fmt.Sprintf("queue pushes for %d recipients", len(rs)), q.OutboxInsertMany(ctx, e.db, dbsqlc.OutboxInsertManyParams{
		NoticeID:          store.Column(rs, func(r store.OutboxRecipient) string { return r.NoticeID }),
		ProfessionalID:    store.Column(rs, func(r store.OutboxRecipient) string { return r.ProfessionalID }),
		SupervisorsOfTeam: store.Column(rs, func(r store.OutboxRecipient) string { return r.SupervisorsOfTeam }),
		Kind:              store.Column(rs, func(r store.OutboxRecipient) string { return r.Kind }),
		Ref:               store.Column(rs, func(r store.OutboxRecipient) string { return r.Ref }),
		Urgent:            store.Column(rs, func(r store.OutboxRecipient) bool { return r.Urgent }),
		Overdue:           store.Column(rs, func(r store.OutboxRecipient) int32 { return r.Counts[0] }),
		Escalated:         store.Column(rs, func(r store.OutboxRecipient) int32 { return r.Counts[1] }),
		Concerns:          store.Column(rs, func(r store.OutboxRecipient) int32 { return r.Counts[2] }),
		Now:               p.Now,
	}))
}

func (e executor) OutboxInsertViewers(ctx context.Context, p store.OutboxInsertViewersParams) error {
	return res.Err(fmt.Sprintf("queue %d sync pokes", len(p.Pokes)), q.OutboxInsertViewers(ctx, e.db, dbsqlc.OutboxInsertViewersParams{
		NoticeID:    store.Column(p.Pokes, func(s store.SyncPoke) string { return s.NoticeID }),
		HouseholdID: store.Column(p.Pokes, func(s store.SyncPoke) string { return s.HouseholdID }),
		Now:         p.Now,
	}))
}

func (e executor) OutboxClaim(ctx context.Context, p store.OutboxClaimRowParams) ([]*store.OutboxItem, error) {
	return store.All(res, "claim pushes", outboxItem)(q.OutboxClaim(ctx, e.db,
		dbsqlc.OutboxClaimParams{Now: p.Now, LeaseUntil: p.LeaseUntil, MaxRows: int32(p.Limit)}))
}

func (e executor) OutboxFinishMany(ctx context.Context, p store.OutboxCompleteParams) error {
	rs := p.Results
	return res.Err(fmt.Sprintf("record %d push outcomes", len(rs)), q.OutboxFinishMany(ctx, e.db, dbsqlc.OutboxFinishManyParams{
		NoticeID:      store.Column(rs, func(r store.OutboxResult) string { return r.NoticeID }),
		Token:         store.Column(rs, func(r store.OutboxResult) string { return r.Token }),
		Attempt:       store.Column(rs, func(r store.OutboxResult) int32 { return r.Attempt }),
		Status:        store.Column(rs, func(r store.OutboxResult) string { return r.Status }),
		NextAttemptAt: store.Column(rs, func(r store.OutboxResult) time.Time { return r.NextAttemptAt }),
		Reason:        store.Column(rs, func(r store.OutboxResult) string { return r.Reason }),
		Now:           p.Now,
	}))
}

func (e executor) OutboxLeadCancel(ctx context.Context, p store.OutboxLeadCancelParams) error {
	return res.Err(fmt.Sprintf("cancel lead pushes of %d alerts", len(p.AlertIDs)), q.OutboxLeadCancel(ctx, e.db,
		dbsqlc.OutboxLeadCancelParams{AlertIDs: p.AlertIDs, Keep: p.Keep, Reason: p.Reason, Now: p.Now}))
}

func (e executor) OutboxList(ctx context.Context, noticeID string) ([]*store.OutboxItem, error) {
	return store.All(res, "list pushes of "+noticeID, outboxItem)(q.OutboxList(ctx, e.db, noticeID))
}

func (e executor) DeviceUpsert(ctx context.Context, d store.Device) (string, error) {
	return store.One(res, "register device of "+d.ProfessionalID, store.Same[string])(q.DeviceUpsert(ctx, e.db, dbsqlc.DeviceUpsertParams{
		Token: d.Token, ProfessionalID: d.ProfessionalID, Platform: d.Platform, UpdatedAt: d.UpdatedAt}))
}

func (e executor) DeviceDelete(ctx context.Context, professionalID, token string) error {
	return res.Err("unregister device of "+professionalID, q.DeviceDelete(ctx, e.db,
		dbsqlc.DeviceDeleteParams{Token: token, ProfessionalID: professionalID}))
}

func (e executor) DeviceDeleteByTokens(ctx context.Context, tokens []string) error {
	return res.Err(fmt.Sprintf("remove %d unregistered devices", len(tokens)), q.DeviceDeleteByTokens(ctx, e.db, tokens))
}

func (e executor) DeviceListByProfessional(ctx context.Context, professionalID string) ([]*store.Device, error) {
	return store.All(res, "list devices of "+professionalID, device)(q.DeviceListByProfessional(ctx, e.db, professionalID))
}

func (e executor) SyncPokeTake(ctx context.Context, limit int) ([]store.HouseholdVersion, error) {
	return store.All(res, "take sync pokes", syncPoke)(q.SyncPokeTake(ctx, e.db, int32(limit)))
}
