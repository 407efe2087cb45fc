package storesqlite

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

func outboxItem(o dbsqlc.PushOutbox) *store.OutboxItem {
	return &store.OutboxItem{NoticeID: o.NoticeID, Token: o.Token, ProfessionalID: o.ProfessionalID, Kind: o.Kind, Ref: o.Ref,
		Urgent: o.Urgent, Counts: [3]int32{o.Overdue, o.Escalated, o.Concerns}, Status: o.Status, Attempts: o.Attempts,
		NextAttemptAt: fromMicros(o.NextAttemptAt), LastError: o.LastError, CreatedAt: fromMicros(o.CreatedAt),
		FinishedAt: timePtr(o.FinishedAt)}
}

func device(d dbsqlc.Device) *store.Device {
	return &store.Device{Token: d.Token, ProfessionalID: d.ProfessionalID, Platform: d.Platform, UpdatedAt: fromMicros(d.UpdatedAt)}
}

func digest(d dbsqlc.Digest) *store.Digest {
	return &store.Digest{ProfessionalID: d.ProfessionalID, SlotAt: fromMicros(d.SlotAt), Overdue: d.Overdue,
		Escalated: d.Escalated, Concerns: d.Concerns, NoticeID: d.NoticeID, CreatedAt: fromMicros(d.CreatedAt)}
}

func householdVersion(p dbsqlc.SyncPoke) store.HouseholdVersion {
	return store.HouseholdVersion{HouseholdID: p.HouseholdID, Version: p.Version}
}

// OutboxInsertMany implements store.Executor.
func (e *executor) OutboxInsertMany(ctx context.Context, p store.OutboxInsertManyParams) error {
	return each("queue pushes", p.Recipients, func(r store.OutboxRecipient) error {
		return e.q.OutboxInsertRecipient(ctx, dbsqlc.OutboxInsertRecipientParams{NoticeID: r.NoticeID, Kind: r.Kind, Ref: r.Ref,
			Urgent: r.Urgent, Overdue: r.Counts[0], Escalated: r.Counts[1], Concerns: r.Counts[2], Now: micros(p.Now),
			ProfessionalID: r.ProfessionalID, SupervisorsOfTeam: r.SupervisorsOfTeam})
	})
}

// OutboxInsertViewers implements store.Executor.
func (e *executor) OutboxInsertViewers(ctx context.Context, p store.OutboxInsertViewersParams) error {
	return each("queue sync pokes", p.Pokes, func(k store.SyncPoke) error {
		return e.q.OutboxInsertViewers(ctx, dbsqlc.OutboxInsertViewersParams{NoticeID: k.NoticeID, HouseholdID: k.HouseholdID,
			Now: micros(p.Now)})
	})
}

// OutboxClaim implements store.Executor.
func (e *executor) OutboxClaim(ctx context.Context, p store.OutboxClaimRowParams) ([]*store.OutboxItem, error) {
	return store.All(res, "claim pushes", outboxItem)(e.q.OutboxClaim(ctx, dbsqlc.OutboxClaimParams{Now: micros(p.Now),
		LeaseUntil: micros(p.LeaseUntil), Max: int64(p.Limit)}))
}

// OutboxFinishMany implements store.Executor.
func (e *executor) OutboxFinishMany(ctx context.Context, p store.OutboxCompleteParams) error {
	return each("record push outcome", p.Results, func(r store.OutboxResult) error {
		return e.q.OutboxFinish(ctx, dbsqlc.OutboxFinishParams{NoticeID: r.NoticeID, Token: r.Token, Attempt: r.Attempt,
			Status: r.Status, NextAttemptAt: micros(r.NextAttemptAt), Reason: r.Reason, Now: micros(p.Now)})
	})
}

// OutboxLeadCancel implements store.Executor.
func (e *executor) OutboxLeadCancel(ctx context.Context, p store.OutboxLeadCancelParams) error {
	return res.Err("cancel lead pushes", e.q.OutboxLeadCancel(ctx, dbsqlc.OutboxLeadCancelParams{
		AlertIDs: jsonList(p.AlertIDs), Keep: p.Keep, Reason: p.Reason, Now: micros(p.Now)}))
}

// OutboxList implements store.Executor.
func (e *executor) OutboxList(ctx context.Context, noticeID string) ([]*store.OutboxItem, error) {
	return store.All(res, "list pushes", outboxItem)(e.q.OutboxList(ctx, noticeID))
}

// DeviceUpsert implements store.Executor.
func (e *executor) DeviceUpsert(ctx context.Context, d store.Device) (string, error) {
	return store.One(res, "upsert device", store.Same[string])(e.q.DeviceUpsert(ctx, dbsqlc.DeviceUpsertParams{Token: d.Token,
		ProfessionalID: d.ProfessionalID, Platform: d.Platform, UpdatedAt: micros(d.UpdatedAt)}))
}

// DeviceDelete implements store.Executor.
func (e *executor) DeviceDelete(ctx context.Context, professionalID, token string) error {
	return res.Err("delete device", e.q.DeviceDelete(ctx, dbsqlc.DeviceDeleteParams{Token: token, ProfessionalID: professionalID}))
}

// DeviceDeleteByTokens implements store.Executor.
func (e *executor) DeviceDeleteByTokens(ctx context.Context, tokens []string) error {
	return res.Err("delete devices", e.q.DeviceDeleteByTokens(ctx, jsonList(tokens)))
}

// DeviceListByProfessional implements store.Executor.
func (e *executor) DeviceListByProfessional(ctx context.Context, professionalID string) ([]*store.Device, error) {
	return store.All(res, "list devices", device)(e.q.DeviceListByProfessional(ctx, professionalID))
}

// DigestGet implements store.Executor.
func (e *executor) DigestGet(ctx context.Context, professionalID string, slotAt time.Time) (*store.Digest, error) {
	return store.One(res, "get digest", digest)(e.q.DigestGet(ctx, dbsqlc.DigestGetParams{ProfessionalID: professionalID, SlotAt: micros(slotAt)}))
}

// DigestCount implements store.Executor.
func (e *executor) DigestCount(ctx context.Context, p store.DigestCreateParams) (*store.Digest, error) {
	return store.One(res, "count digest", func(c dbsqlc.DigestCountRow) *store.Digest {
		return &store.Digest{Overdue: int32(c.Overdue), Escalated: int32(c.Escalated), Concerns: int32(c.Concerns)}
	})(e.q.DigestCount(ctx, dbsqlc.DigestCountParams{ProfessionalID: p.ProfessionalID, Since: micros(p.Since), SlotAt: micros(p.SlotAt)}))
}

// DigestInsert implements store.Executor.
func (e *executor) DigestInsert(ctx context.Context, d store.Digest) error {
	return res.Err("insert digest", e.q.DigestInsert(ctx, dbsqlc.DigestInsertParams{ProfessionalID: d.ProfessionalID,
		SlotAt: micros(d.SlotAt), Overdue: d.Overdue, Escalated: d.Escalated, Concerns: d.Concerns, NoticeID: d.NoticeID,
		CreatedAt: micros(d.CreatedAt)}))
}

// SyncPokeTake implements store.Executor. DELETE … RETURNING has no order of its own: the
// pokes are sorted here.
func (e *executor) SyncPokeTake(ctx context.Context, limit int) ([]store.HouseholdVersion, error) {
	pokes, err := store.All(res, "take sync pokes", householdVersion)(e.q.SyncPokeTake(ctx, int64(limit)))
	slices.SortFunc(pokes, func(a, b store.HouseholdVersion) int { return cmp.Compare(a.HouseholdID, b.HouseholdID) })
	return pokes, err
}
