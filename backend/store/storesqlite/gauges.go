package storesqlite

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

// The gauges a metrics scrape reads: queries/gauges.sql.

// OutboxBacklog implements store.Executor.
func (e *executor) OutboxBacklog(ctx context.Context, now time.Time) (store.OutboxBacklog, error) {
	return store.One(res, "count pending pushes", func(r dbsqlc.OutboxBacklogRow) store.OutboxBacklog {
		return store.OutboxBacklog{Waiting: r.Waiting, Oldest: fromMicros(r.Oldest)}
	})(e.q.OutboxBacklog(ctx, micros(now)))
}

// OverdueBacklog implements store.Executor.
func (e *executor) OverdueBacklog(ctx context.Context, now time.Time) (int64, error) {
	at := micros(now)
	return store.One(res, "count overdue checks", func(r dbsqlc.OverdueBacklogRow) int64 { return r.Checks + r.Steps })(
		e.q.OverdueBacklog(ctx, &at))
}

// PoolStats implements store.PoolStatser: the read pool and the one writer together.
func (d *Driver) PoolStats() store.PoolStats {
	r, w := d.read.Stats(), d.write.Stats()
	return store.PoolStats{Open: r.OpenConnections + w.OpenConnections, InUse: r.InUse + w.InUse, Idle: r.Idle + w.Idle,
		Max: r.MaxOpenConnections + w.MaxOpenConnections}
}
