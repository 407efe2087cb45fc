package storepgx

import (
	"context"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Supervisors' digests: queries/digests.sql.

func digest(r dbsqlc.Digest) *store.Digest {
	return &store.Digest{ProfessionalID: r.ProfessionalID, SlotAt: r.SlotAt, Overdue: r.Overdue, Escalated: r.Escalated,
		Concerns: r.Concerns, NoticeID: r.NoticeID, CreatedAt: r.CreatedAt}
}

func digestCounts(r dbsqlc.DigestCountRow) *store.Digest {
	return &store.Digest{Overdue: int32(r.Overdue), Escalated: int32(r.Escalated), Concerns: int32(r.Concerns)}
}

func (e executor) DigestGet(ctx context.Context, professionalID string, slotAt time.Time) (*store.Digest, error) {
	return store.One(res, "get digest of "+professionalID, digest)(q.DigestGet(ctx, e.db,
		dbsqlc.DigestGetParams{ProfessionalID: professionalID, SlotAt: slotAt}))
}

func (e executor) DigestCount(ctx context.Context, p store.DigestCreateParams) (*store.Digest, error) {
	return store.One(res, "count digest of "+p.ProfessionalID, digestCounts)(q.DigestCount(ctx, e.db,
		dbsqlc.DigestCountParams{ProfessionalID: p.ProfessionalID, Since: p.Since, SlotAt: p.SlotAt}))
}

func (e executor) DigestInsert(ctx context.Context, d store.Digest) error {
	return res.Err("record digest of "+d.ProfessionalID, q.DigestInsert(ctx, e.db, dbsqlc.DigestInsertParams{
		ProfessionalID: d.ProfessionalID, SlotAt: d.SlotAt, Overdue: d.Overdue, Escalated: d.Escalated,
		Concerns: d.Concerns, NoticeID: d.NoticeID, CreatedAt: d.CreatedAt}))
}
