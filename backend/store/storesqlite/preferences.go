package storesqlite

import (
	"context"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

// Preferences per person: queries/preferences.sql.

func preferences(r dbsqlc.ProfessionalPreference) *store.Preferences {
	return &store.Preferences{ProfessionalID: r.ProfessionalID, Language: r.Language, DigestTimes: r.DigestTimes,
		QuietStart: r.QuietStart, QuietEnd: r.QuietEnd, TimeZone: r.TimeZone, UpdatedAt: fromMicros(r.UpdatedAt)}
}

// PreferencesGet implements store.Executor.
func (e *executor) PreferencesGet(ctx context.Context, professionalID string) (*store.Preferences, error) {
	return store.One(res, "get preferences", preferences)(e.q.PreferencesGet(ctx, professionalID))
}

// PreferencesListMany implements store.Executor.
func (e *executor) PreferencesListMany(ctx context.Context, professionalIDs []string) ([]*store.Preferences, error) {
	return store.All(res, "list preferences", preferences)(e.q.PreferencesListMany(ctx, jsonList(professionalIDs)))
}

// PreferencesUpsert implements store.Executor.
func (e *executor) PreferencesUpsert(ctx context.Context, p store.Preferences) error {
	return res.Err("upsert preferences", e.q.PreferencesUpsert(ctx, dbsqlc.PreferencesUpsertParams{
		ProfessionalID: p.ProfessionalID, Language: p.Language, DigestTimes: p.DigestTimes, QuietStart: p.QuietStart,
		QuietEnd: p.QuietEnd, TimeZone: p.TimeZone, UpdatedAt: micros(p.UpdatedAt)}))
}
