package storepgx

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Retention (issue 12): erasing a closed household after its retention period. Queries in
// retention.sql.

func (e executor) HouseholdClaimExpired(ctx context.Context, cutoff time.Time, maxRows int) ([]string, error) {
	ids, err := q.HouseholdClaimExpired(ctx, e.db, dbsqlc.HouseholdClaimExpiredParams{Cutoff: cutoff, MaxRows: int32(maxRows)})
	return ids, res.Err("claim expired households", err)
}

func (e executor) HouseholdDataDelete(ctx context.Context, householdID string) error {
	// Children before parents: outbox rows and notices of the household's alerts first.
	for _, del := range []func(context.Context, string) error{
		func(ctx context.Context, id string) error { return q.PushOutboxDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.NoticeDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.AlertDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.CheckInDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.CheckInLinkDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.ScheduleDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.PlanEntryDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.FieldWriteDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.RecordDeleteDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.ConflictDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.SyncMutationDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.SyncPokeDeleteByHousehold(ctx, e.db, id) },
		func(ctx context.Context, id string) error { return q.CareTeamDeleteByHousehold(ctx, e.db, id) },
	} {
		if err := del(ctx, householdID); err != nil {
			return res.Err("erase household "+householdID, err)
		}
	}
	return nil
}

func (e executor) HouseholdTombstone(ctx context.Context, householdID, code string, at time.Time) error {
	at = at.UTC()
	return res.Err("tombstone household "+householdID, q.HouseholdTombstone(ctx, e.db, dbsqlc.HouseholdTombstoneParams{ID: householdID, Code: code, ErasedAt: &at}))
}
