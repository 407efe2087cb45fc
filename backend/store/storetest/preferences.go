package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// Preferences per person (issue 14), on every engine.

// testPreferences: a professional without preferences is ErrNotFound; an upsert writes the row
// whole and a second one replaces it (a field reset to the default is empty); the set-based list returns the
// rows of the named professionals that have one, by id, in one call; an unknown professional
// is refused by the foreign key.
func testPreferences(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	if _, err := s.PreferencesGet(ctx(), "p-super"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("preferences never set: %v, want ErrNotFound", err)
	}
	set := func(p store.Preferences) {
		t.Helper()
		must(t, s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error { return tx.PreferencesUpsert(ctx, p) }))
	}
	first := store.Preferences{ProfessionalID: "p-super", Language: "en-GB", DigestTimes: "07:30,16:00", QuietStart: "21:00",
		QuietEnd: "06:30", TimeZone: "Europe/London", UpdatedAt: t0}
	set(first)
	got, err := s.PreferencesGet(ctx(), "p-super")
	must(t, err)
	equal(t, "stored as given", *got, first)

	// A second write replaces every column: a value set back to the default is ''.
	second := store.Preferences{ProfessionalID: "p-super", Language: "nl", UpdatedAt: t0.Add(time.Hour)}
	set(second)
	must(t, s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error {
		got, err = tx.PreferencesGet(ctx, "p-super")
		return err
	}))
	equal(t, "replaced whole", *got, second)

	other := store.Preferences{ProfessionalID: "p-other-super", DigestTimes: "09:15", TimeZone: "America/Curacao", UpdatedAt: t0}
	set(other)
	list, err := s.PreferencesListMany(ctx(), []string{"p-other-super", "p-care", "p-super", "p-unknown"})
	must(t, err)
	equalIDs(t, "the named professionals with preferences, by id", ids(list, func(p *store.Preferences) string { return p.ProfessionalID }),
		[]string{"p-other-super", "p-super"})
	equal(t, "listed as stored", *list[0], other)
	list, err = s.PreferencesListMany(ctx(), nil)
	must(t, err)
	equal(t, "no ids, no rows", len(list), 0)

	err = s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error {
		return tx.PreferencesUpsert(ctx, store.Preferences{ProfessionalID: "p-unknown", UpdatedAt: t0})
	})
	if err == nil {
		t.Fatal("preferences of an unknown professional were stored")
	}
}
