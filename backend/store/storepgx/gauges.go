package storepgx

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// The gauges a metrics scrape reads: queries/gauges.sql.

func (e executor) OutboxBacklog(ctx context.Context, now time.Time) (store.OutboxBacklog, error) {
	return store.One(res, "count pending pushes", func(r dbsqlc.OutboxBacklogRow) store.OutboxBacklog {
		return store.OutboxBacklog{Waiting: r.Waiting, Oldest: r.Oldest}
	})(q.OutboxBacklog(ctx, e.db, now))
}

func (e executor) OverdueBacklog(ctx context.Context, now time.Time) (int64, error) {
	return store.One(res, "count overdue checks", func(r dbsqlc.OverdueBacklogRow) int64 { return r.Checks + r.Steps })(
		q.OverdueBacklog(ctx, e.db, now))
}

// PoolStats implements store.PoolStatser from pgxpool's figures.
func (d *Driver) PoolStats() store.PoolStats {
	s := d.pool.Stat()
	return store.PoolStats{Open: int(s.TotalConns()), InUse: int(s.AcquiredConns()), Idle: int(s.IdleConns()), Max: int(s.MaxConns())}
}
