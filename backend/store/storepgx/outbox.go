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
	if len(rs) == 0 {
		return nil
	}
	return fail(fmt.Sprintf("queue pushes for %d recipients", len(rs)), q.OutboxInsertMany(ctx, e.db, dbsqlc.OutboxInsertManyParams{
		NoticeID:          column(rs, func(r store.OutboxRecipient) string { return r.NoticeID }),
		ProfessionalID:    column(rs, func(r store.OutboxRecipient) string { return r.ProfessionalID }),
		SupervisorsOfTeam: column(rs, func(r store.OutboxRecipient) string { return r.SupervisorsOfTeam }),
		Kind:              column(rs, func(r store.OutboxRecipient) string { return r.Kind }),
		Ref:               column(rs, func(r store.OutboxRecipient) string { return r.Ref }),
		Urgent:            column(rs, func(r store.OutboxRecipient) bool { return r.Urgent }),
		Overdue:           column(rs, func(r store.OutboxRecipient) int32 { return r.Counts[0] }),
		Escalated:         column(rs, func(r store.OutboxRecipient) int32 { return r.Counts[1] }),
		Concerns:          column(rs, func(r store.OutboxRecipient) int32 { return r.Counts[2] }),
		Now:               p.Now,
	}))
}

func (e executor) OutboxInsertViewers(ctx context.Context, p store.OutboxInsertViewersParams) error {
	if len(p.Pokes) == 0 {
		return nil
	}
	return fail(fmt.Sprintf("queue %d sync pokes", len(p.Pokes)), q.OutboxInsertViewers(ctx, e.db, dbsqlc.OutboxInsertViewersParams{
		NoticeID:    column(p.Pokes, func(s store.SyncPoke) string { return s.NoticeID }),
		HouseholdID: column(p.Pokes, func(s store.SyncPoke) string { return s.HouseholdID }),
		Now:         p.Now,
	}))
}

func (e executor) OutboxClaim(ctx context.Context, p store.OutboxClaimRowParams) ([]*store.OutboxItem, error) {
	return all("claim pushes", outboxItem)(q.OutboxClaim(ctx, e.db,
		dbsqlc.OutboxClaimParams{Now: p.Now, LeaseUntil: p.LeaseUntil, MaxRows: int32(p.Limit)}))
}

func (e executor) OutboxFinishMany(ctx context.Context, p store.OutboxCompleteParams) error {
	rs := p.Results
	if len(rs) == 0 {
		return nil
	}
	return fail(fmt.Sprintf("record %d push outcomes", len(rs)), q.OutboxFinishMany(ctx, e.db, dbsqlc.OutboxFinishManyParams{
		NoticeID:      column(rs, func(r store.OutboxResult) string { return r.NoticeID }),
		Token:         column(rs, func(r store.OutboxResult) string { return r.Token }),
		Attempt:       column(rs, func(r store.OutboxResult) int32 { return r.Attempt }),
		Status:        column(rs, func(r store.OutboxResult) string { return r.Status }),
		NextAttemptAt: column(rs, func(r store.OutboxResult) time.Time { return r.NextAttemptAt }),
		Reason:        column(rs, func(r store.OutboxResult) string { return r.Reason }),
		Now:           p.Now,
	}))
}

func (e executor) OutboxList(ctx context.Context, noticeID string) ([]*store.OutboxItem, error) {
	return all("list pushes of "+noticeID, outboxItem)(q.OutboxList(ctx, e.db, noticeID))
}

func (e executor) DeviceUpsert(ctx context.Context, d store.Device) error {
	return fail("register device of "+d.ProfessionalID, q.DeviceUpsert(ctx, e.db, dbsqlc.DeviceUpsertParams{
		Token: d.Token, ProfessionalID: d.ProfessionalID, Platform: d.Platform, UpdatedAt: d.UpdatedAt}))
}

func (e executor) DeviceDelete(ctx context.Context, professionalID, token string) error {
	return fail("unregister device of "+professionalID, q.DeviceDelete(ctx, e.db,
		dbsqlc.DeviceDeleteParams{Token: token, ProfessionalID: professionalID}))
}

func (e executor) DeviceDeleteByTokens(ctx context.Context, tokens []string) error {
	if len(tokens) == 0 {
		return nil
	}
	return fail(fmt.Sprintf("remove %d unregistered devices", len(tokens)), q.DeviceDeleteByTokens(ctx, e.db, tokens))
}

func (e executor) DeviceListByProfessional(ctx context.Context, professionalID string) ([]*store.Device, error) {
	return all("list devices of "+professionalID, device)(q.DeviceListByProfessional(ctx, e.db, professionalID))
}

func (e executor) SyncPokeTake(ctx context.Context, limit int) ([]store.HouseholdVersion, error) {
	return all("take sync pokes", syncPoke)(q.SyncPokeTake(ctx, e.db, int32(limit)))
}
