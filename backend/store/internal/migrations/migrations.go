// Package migrations reports the engines' goose migrations as store.Migration values, once for
// both drivers: what Up applied and what Status finds. It runs no SQL of its own: each driver
// builds its goose provider over its own embedded migration files.
package migrations

import (
	"context"

	"github.com/pressly/goose/v3"

	"github.com/veilig/veilig/backend/store"
)

// Up applies every pending migration of p and returns those it applied, in order. On a
// failure it returns the ones applied before it beside the error.
func Up(ctx context.Context, p *goose.Provider) ([]store.Migration, error) {
	results, err := p.Up(ctx)
	var applied []store.Migration
	for _, r := range results {
		if r == nil || r.Source == nil || r.Error != nil {
			continue
		}
		applied = append(applied, store.Migration{Version: r.Source.Version, Name: store.MigrationName(r.Source.Path),
			Applied: true, Took: r.Duration})
	}
	return applied, err
}

// Status lists every migration p carries, in order, applied or pending.
func Status(ctx context.Context, p *goose.Provider) ([]store.Migration, error) {
	states, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]store.Migration, 0, len(states))
	for _, s := range states {
		if s == nil || s.Source == nil {
			continue
		}
		out = append(out, store.Migration{Version: s.Source.Version, Name: store.MigrationName(s.Source.Path),
			Applied: s.State == goose.StateApplied, AppliedAt: s.AppliedAt})
	}
	return out, nil
}
