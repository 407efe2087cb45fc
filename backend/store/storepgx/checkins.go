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
	return one("get check-in "+id, checkIn)(q.CheckInGet(ctx, e.db, id))
}

func (e executor) CheckInInsertMany(ctx context.Context, rows []change.CheckIn) error {
	if len(rows) == 0 {
		return nil
	}
	return fail(fmt.Sprintf("record %d check-ins", len(rows)), q.CheckInInsertMany(ctx, e.db, dbsqlc.CheckInInsertManyParams{
		ID:          column(rows, func(c change.CheckIn) string { return c.ID }),
		HouseholdID: column(rows, func(c change.CheckIn) string { return c.HouseholdID }),
		ScheduleID:  column(rows, func(c change.CheckIn) string { return c.ScheduleID }),
		Channel:     column(rows, func(c change.CheckIn) string { return c.Channel }),
		Outcome:     column(rows, func(c change.CheckIn) string { return c.Outcome }),
		Note:        column(rows, func(c change.CheckIn) string { return c.Note }),
		RecordedBy:  column(rows, func(c change.CheckIn) string { return c.RecordedBy }),
		RecordedAt:  column(rows, func(c change.CheckIn) time.Time { return c.RecordedAt }),
		Version:     column(rows, func(c change.CheckIn) int64 { return c.Version }),
	}))
}

func (e executor) CheckInListByHousehold(ctx context.Context, householdID string, limit int) ([]*change.CheckIn, error) {
	return all("list check-ins of "+householdID, checkIn)(q.CheckInListByHousehold(ctx, e.db,
		dbsqlc.CheckInListByHouseholdParams{HouseholdID: householdID, MaxRows: int32(limit)}))
}

func (e executor) CheckInListChanged(ctx context.Context, p store.ChangedParams) ([]*change.CheckIn, error) {
	return all("pull check-ins of "+p.HouseholdID, checkIn)(q.CheckInListChanged(ctx, e.db,
		dbsqlc.CheckInListChangedParams{HouseholdID: p.HouseholdID, After: p.After}))
}
