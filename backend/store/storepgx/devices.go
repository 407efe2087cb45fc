package storepgx

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Devices as records and disabling a professional: queries/devices.sql.

func deviceRecord(r dbsqlc.DeviceRecord) *store.DeviceRecord {
	return &store.DeviceRecord{ID: r.ID, ProfessionalID: r.ProfessionalID, Platform: r.Platform, AppVersion: r.AppVersion,
		PushToken: r.PushToken, RegisteredAt: r.RegisteredAt, LastSeenAt: r.LastSeenAt, RevokedAt: r.RevokedAt}
}

func (e executor) AccessEndedList(ctx context.Context, professionalIDs, deviceIDs []string) ([]store.AccessEnded, error) {
	return store.All(res, "ended access", func(r dbsqlc.AccessEndedListRow) store.AccessEnded { return store.AccessEnded(r) })(
		q.AccessEndedList(ctx, e.db, dbsqlc.AccessEndedListParams{ProfessionalIds: professionalIDs, DeviceIds: deviceIDs}))
}

func (e executor) DeviceRecordGet(ctx context.Context, id string) (*store.DeviceRecord, error) {
	return store.One(res, "get device record", deviceRecord)(q.DeviceRecordGet(ctx, e.db, id))
}

func (e executor) DeviceRecordListByProfessional(ctx context.Context, professionalID string) ([]*store.DeviceRecord, error) {
	return store.All(res, "list device records of "+professionalID, deviceRecord)(q.DeviceRecordListByProfessional(ctx, e.db, professionalID))
}

func (e executor) DeviceRecordInsert(ctx context.Context, d store.DeviceRecord) error {
	return res.Err("insert device record of "+d.ProfessionalID, q.DeviceRecordInsert(ctx, e.db, dbsqlc.DeviceRecordInsertParams{
		ID: d.ID, ProfessionalID: d.ProfessionalID, Platform: d.Platform, AppVersion: d.AppVersion, PushToken: d.PushToken,
		RegisteredAt: d.RegisteredAt, LastSeenAt: d.RegisteredAt}))
}

func (e executor) DeviceRecordUpdate(ctx context.Context, d store.DeviceRecord) error {
	return res.Err("update device record "+d.ID, q.DeviceRecordUpdate(ctx, e.db, dbsqlc.DeviceRecordUpdateParams{
		ID: d.ID, Platform: d.Platform, AppVersion: d.AppVersion, PushToken: d.PushToken, LastSeenAt: d.LastSeenAt}))
}

func (e executor) DeviceRecordSeen(ctx context.Context, id string, at time.Time) error {
	return res.Err("mark device record "+id+" seen", q.DeviceRecordSeen(ctx, e.db, dbsqlc.DeviceRecordSeenParams{ID: id, LastSeenAt: at}))
}

func (e executor) DeviceRecordRevoke(ctx context.Context, id string, at time.Time) error {
	return res.Err("revoke device record "+id, q.DeviceRecordRevoke(ctx, e.db, dbsqlc.DeviceRecordRevokeParams{ID: id, RevokedAt: &at}))
}

func (e executor) DeviceRecordRevokeByProfessional(ctx context.Context, professionalID string, at time.Time) ([]string, error) {
	return store.All(res, "revoke devices of "+professionalID, store.Same[string])(q.DeviceRecordRevokeByProfessional(ctx, e.db,
		dbsqlc.DeviceRecordRevokeByProfessionalParams{ProfessionalID: professionalID, RevokedAt: &at}))
}

func (e executor) DeviceDeleteByProfessional(ctx context.Context, professionalID string) error {
	return res.Err("delete push tokens of "+professionalID, q.DeviceDeleteByProfessional(ctx, e.db, professionalID))
}

func (e executor) ProfessionalDisable(ctx context.Context, id string, at time.Time) error {
	return res.Err("disable professional "+id, q.ProfessionalDisable(ctx, e.db, dbsqlc.ProfessionalDisableParams{ID: id, DisabledAt: &at}))
}

func (e executor) CareTeamHouseholdsOfProfessional(ctx context.Context, professionalID string) ([]string, error) {
	return store.All(res, "list care teams of "+professionalID, store.Same[string])(q.CareTeamHouseholdsOfProfessional(ctx, e.db, professionalID))
}
