package storepgx

import (
	"context"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Preferences per person: queries/preferences.sql.

func preferences(r dbsqlc.ProfessionalPreference) *store.Preferences {
	return &store.Preferences{ProfessionalID: r.ProfessionalID, Language: r.Language, DigestTimes: r.DigestTimes,
		QuietStart: r.QuietStart, QuietEnd: r.QuietEnd, TimeZone: r.TimeZone, UpdatedAt: r.UpdatedAt.UTC()}
}

func (e executor) PreferencesGet(ctx context.Context, professionalID string) (*store.Preferences, error) {
	return store.One(res, "get preferences of "+professionalID, preferences)(q.PreferencesGet(ctx, e.db, professionalID))
}

func (e executor) PreferencesListMany(ctx context.Context, professionalIDs []string) ([]*store.Preferences, error) {
	return store.All(res, "list preferences", preferences)(q.PreferencesListMany(ctx, e.db, professionalIDs))
}

func (e executor) PreferencesUpsert(ctx context.Context, p store.Preferences) error {
	return res.Err("upsert preferences of "+p.ProfessionalID, q.PreferencesUpsert(ctx, e.db, dbsqlc.PreferencesUpsertParams{
		ProfessionalID: p.ProfessionalID, Language: p.Language, DigestTimes: p.DigestTimes, QuietStart: p.QuietStart,
		QuietEnd: p.QuietEnd, TimeZone: p.TimeZone, UpdatedAt: p.UpdatedAt}))
}
