package storesqlite

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

// Devices as records and disabling a professional: queries/device_record.sql.

func deviceRecord(r dbsqlc.DeviceRecord) *store.DeviceRecord {
	return &store.DeviceRecord{ID: r.ID, ProfessionalID: r.ProfessionalID, Platform: r.Platform, AppVersion: r.AppVersion,
		PushToken: r.PushToken, RegisteredAt: fromMicros(r.RegisteredAt), LastSeenAt: fromMicros(r.LastSeenAt), RevokedAt: timePtr(r.RevokedAt)}
}

// DeviceRecordGet implements store.Executor.
func (e *executor) AccessEndedList(ctx context.Context, professionalIDs, deviceIDs []string) ([]store.AccessEnded, error) {
	return store.All(res, "ended access", func(r dbsqlc.AccessEndedListRow) store.AccessEnded { return store.AccessEnded(r) })(
		e.q.AccessEndedList(ctx, dbsqlc.AccessEndedListParams{ProfessionalIds: jsonList(professionalIDs), DeviceIds: jsonList(deviceIDs)}))
}

func (e *executor) DeviceRecordGet(ctx context.Context, id string) (*store.DeviceRecord, error) {
	return store.One(res, "get device record", deviceRecord)(e.q.DeviceRecordGet(ctx, id))
}

// DeviceRecordListByProfessional implements store.Executor.
func (e *executor) DeviceRecordListByProfessional(ctx context.Context, professionalID string) ([]*store.DeviceRecord, error) {
	return store.All(res, "list device records", deviceRecord)(e.q.DeviceRecordListByProfessional(ctx, professionalID))
}

// DeviceRecordInsert implements store.Executor.
func (e *executor) DeviceRecordInsert(ctx context.Context, d store.DeviceRecord) error {
	return res.Err("insert device record", e.q.DeviceRecordInsert(ctx, dbsqlc.DeviceRecordInsertParams{
		ID: d.ID, ProfessionalID: d.ProfessionalID, Platform: d.Platform, AppVersion: d.AppVersion, PushToken: d.PushToken,
		RegisteredAt: micros(d.RegisteredAt), LastSeenAt: micros(d.RegisteredAt)}))
}

// DeviceRecordUpdate implements store.Executor.
func (e *executor) DeviceRecordUpdate(ctx context.Context, d store.DeviceRecord) error {
	return res.Err("update device record", e.q.DeviceRecordUpdate(ctx, dbsqlc.DeviceRecordUpdateParams{
		ID: d.ID, Platform: d.Platform, AppVersion: d.AppVersion, PushToken: d.PushToken, LastSeenAt: micros(d.LastSeenAt)}))
}

// DeviceRecordSeen implements store.Executor.
func (e *executor) DeviceRecordSeen(ctx context.Context, id string, at time.Time) error {
	return res.Err("mark device record seen", e.q.DeviceRecordSeen(ctx, dbsqlc.DeviceRecordSeenParams{ID: id, LastSeenAt: micros(at)}))
}

// DeviceRecordRevoke implements store.Executor.
func (e *executor) DeviceRecordRevoke(ctx context.Context, id string, at time.Time) error {
	return res.Err("revoke device record", e.q.DeviceRecordRevoke(ctx, dbsqlc.DeviceRecordRevokeParams{ID: id, RevokedAt: microsPtr(&at)}))
}

// DeviceRecordRevokeByProfessional implements store.Executor.
func (e *executor) DeviceRecordRevokeByProfessional(ctx context.Context, professionalID string, at time.Time) ([]string, error) {
	return store.All(res, "revoke devices of professional", store.Same[string])(e.q.DeviceRecordRevokeByProfessional(ctx,
		dbsqlc.DeviceRecordRevokeByProfessionalParams{ProfessionalID: professionalID, RevokedAt: microsPtr(&at)}))
}

// DeviceDeleteByProfessional implements store.Executor.
func (e *executor) DeviceDeleteByProfessional(ctx context.Context, professionalID string) error {
	return res.Err("delete push tokens of professional", e.q.DeviceDeleteByProfessional(ctx, professionalID))
}

// ProfessionalDisable implements store.Executor.
func (e *executor) ProfessionalDisable(ctx context.Context, id string, at time.Time) error {
	return res.Err("disable professional", e.q.ProfessionalDisable(ctx, dbsqlc.ProfessionalDisableParams{ID: id, DisabledAt: microsPtr(&at)}))
}

// CareTeamHouseholdsOfProfessional implements store.Executor.
func (e *executor) CareTeamHouseholdsOfProfessional(ctx context.Context, professionalID string) ([]string, error) {
	return store.All(res, "list care teams of professional", store.Same[string])(e.q.CareTeamHouseholdsOfProfessional(ctx, professionalID))
}
