package storesqlite

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

// Retention (issue 12): erasing a closed household after its retention period. Queries in
// retention.sql.

func (e *executor) HouseholdClaimExpired(ctx context.Context, cutoff time.Time, maxRows int) ([]string, error) {
	ids, err := e.q.HouseholdClaimExpired(ctx, dbsqlc.HouseholdClaimExpiredParams{Cutoff: microsPtr(&cutoff), MaxRows: int64(maxRows)})
	return ids, res.Err("claim expired households", err)
}

func (e *executor) HouseholdDataDelete(ctx context.Context, householdID string) error {
	// Children before parents: outbox rows and notices of the household's alerts first.
	for _, del := range []func(context.Context, string) error{
		e.q.PushOutboxDeleteByHousehold,
		e.q.NoticeDeleteByHousehold,
		e.q.AlertDeleteByHousehold,
		e.q.CheckInDeleteByHousehold,
		e.q.CheckInLinkDeleteByHousehold,
		e.q.ScheduleDeleteByHousehold,
		e.q.PlanEntryDeleteByHousehold,
		e.q.FieldWriteDeleteByHousehold,
		e.q.RecordDeleteDeleteByHousehold,
		e.q.ConflictDeleteByHousehold,
		e.q.SyncMutationDeleteByHousehold,
		e.q.SyncPokeDeleteByHousehold,
		e.q.CareTeamDeleteByHousehold,
	} {
		if err := del(ctx, householdID); err != nil {
			return res.Err("erase household "+householdID, err)
		}
	}
	return nil
}

func (e *executor) HouseholdTombstone(ctx context.Context, householdID, code string, at time.Time) error {
	return res.Err("tombstone household "+householdID, e.q.HouseholdTombstone(ctx, dbsqlc.HouseholdTombstoneParams{ID: householdID, Code: code, ErasedAt: microsPtr(&at)}))
}
