package storepgx

import (
	"context"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
	"github.com/veilig/veilig/sync/change"
)

// Check-ins: queries/checkins.sql.

func checkIn(r dbsqlc.CheckIn) *change.CheckIn {
	return &change.CheckIn{ID: r.ID, HouseholdID: r.HouseholdID, ScheduleID: r.ScheduleID, Channel: r.Channel,
		Outcome: r.Outcome, Note: r.Note, RecordedBy: r.RecordedBy, RecordedAt: r.RecordedAt, Version: r.Version}
}

func (e executor) CheckInGet(ctx context.Context, id string) (*change.CheckIn, error) {
	return store.One(res, "get check-in "+id, checkIn)(q.CheckInGet(ctx, e.db, id))
}

func (e executor) CheckInInsertMany(ctx context.Context, rows []change.CheckIn) error {
	return res.Err(fmt.Sprintf("record %d check-ins", len(rows)), q.CheckInInsertMany(ctx, e.db, dbsqlc.CheckInInsertManyParams{
		ID:          store.Column(rows, func(c change.CheckIn) string { return c.ID }),
		HouseholdID: store.Column(rows, func(c change.CheckIn) string { return c.HouseholdID }),
		ScheduleID:  store.Column(rows, func(c change.CheckIn) string { return c.ScheduleID }),
		Channel:     store.Column(rows, func(c change.CheckIn) string { return c.Channel }),
		Outcome:     store.Column(rows, func(c change.CheckIn) string { return c.Outcome }),
		Note:        store.Column(rows, func(c change.CheckIn) string { return c.Note }),
		RecordedBy:  store.Column(rows, func(c change.CheckIn) string { return c.RecordedBy }),
		RecordedAt:  store.Column(rows, func(c change.CheckIn) time.Time { return c.RecordedAt }),
		Version:     store.Column(rows, func(c change.CheckIn) int64 { return c.Version }),
	}))
}

func (e executor) CheckInListByHousehold(ctx context.Context, householdID string, limit int) ([]*change.CheckIn, error) {
	return store.All(res, "list check-ins of "+householdID, checkIn)(q.CheckInListByHousehold(ctx, e.db,
		dbsqlc.CheckInListByHouseholdParams{HouseholdID: householdID, MaxRows: int32(limit)}))
}

func (e executor) CheckInListChanged(ctx context.Context, p store.ChangedParams) ([]*change.CheckIn, error) {
	return store.All(res, "pull check-ins of "+p.HouseholdID, checkIn)(q.CheckInListChanged(ctx, e.db,
		dbsqlc.CheckInListChangedParams{HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}
