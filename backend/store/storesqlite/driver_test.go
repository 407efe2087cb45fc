package storesqlite_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite"
)

// What only this driver decides, below the conformance suite: how SQLite's errors become the
// store's, and what a transaction does with an error.

var t0 = time.Date(2026, 3, 29, 1, 30, 0, 123456000, time.UTC)

type bundle struct {
	drv *storesqlite.Driver
	ctx context.Context
}

// setup returns a migrated driver holding one team and household h1 (code HH-1).
func setup(t *testing.T) bundle {
	t.Helper()
	b := bundle{drv: open(t).(*storesqlite.Driver), ctx: context.Background()}
	if _, err := b.drv.Migrate(b.ctx); err != nil {
		t.Fatal(err)
	}
	b.tx(t, func(tx store.Executor) error {
		if err := tx.TeamUpsert(b.ctx, store.Team{ID: "team-1", Name: "Noord", CreatedAt: t0}); err != nil {
			return err
		}
		return tx.HouseholdInsert(b.ctx, store.Household{ID: "h1", Code: "HH-1", TeamID: "team-1", DisplayName: "Familie", CreatedAt: t0})
	})
	return b
}

func (b bundle) tx(t *testing.T, f func(tx store.Executor) error) {
	t.Helper()
	if err := b.drv.Tx(b.ctx, func(_ context.Context, tx store.Executor) error { return f(tx) }); err != nil {
		t.Fatal(err)
	}
}

func TestInterpretError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(b bundle) error
		want error
	}{
		{"a missing row is ErrNotFound", func(b bundle) error {
			_, err := b.drv.Executor().HouseholdGet(b.ctx, "h-missing")
			return err
		}, store.ErrNotFound},
		{"a second household with the same code is ErrConflict (unique index)", func(b bundle) error {
			return b.drv.Executor().HouseholdInsert(b.ctx, store.Household{ID: "h2", Code: "HH-1", TeamID: "team-1", CreatedAt: t0})
		}, store.ErrConflict},
		{"a second household with the same id is ErrConflict (primary key)", func(b bundle) error {
			return b.drv.Executor().HouseholdInsert(b.ctx, store.Household{ID: "h1", Code: "HH-2", TeamID: "team-1", CreatedAt: t0})
		}, store.ErrConflict},
		{"a cancelled context stays context.Canceled", func(b bundle) error {
			ctx, cancel := context.WithCancel(b.ctx)
			cancel()
			_, err := b.drv.Executor().HouseholdGet(ctx, "h1")
			return err
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.run(setup(t)); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("a foreign key violation is neither ErrNotFound nor ErrConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		err := b.drv.Executor().HouseholdInsert(b.ctx, store.Household{ID: "h3", Code: "HH-3", TeamID: "team-missing", CreatedAt: t0})
		if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			t.Fatalf("error = %v, want a plain constraint error", err)
		}
	})
}

func TestTx(t *testing.T) {
	t.Parallel()
	t.Run("an error from f rolls back and is returned as it is", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		boom := errors.New("boom")
		err := b.drv.Tx(b.ctx, func(ctx context.Context, tx store.Executor) error {
			if _, err := tx.HouseholdLockBump(ctx, store.HouseholdLockBumpParams{IDs: []string{"h1"}, Now: t0.Add(time.Second)}); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("error = %v, want boom itself", err)
		}
		h, err := b.drv.Executor().HouseholdGet(b.ctx, "h1")
		if err != nil || h.Version != 1 {
			t.Fatalf("household = %+v, %v; want version 1 (rolled back)", h, err)
		}
	})
	t.Run("a bump leaves unknown households out, in id order, and records sync pokes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.tx(t, func(tx store.Executor) error {
			return tx.HouseholdInsert(b.ctx, store.Household{ID: "h0", Code: "HH-0", TeamID: "team-1", CreatedAt: t0})
		})
		var got, pokes []store.HouseholdVersion
		b.tx(t, func(tx store.Executor) (err error) {
			got, err = tx.HouseholdLockBump(b.ctx, store.HouseholdLockBumpParams{IDs: []string{"h1", "h-missing", "h0", "h1"}, Now: t0})
			return err
		})
		b.tx(t, func(tx store.Executor) (err error) {
			pokes, err = tx.SyncPokeTake(b.ctx, 10)
			return err
		})
		want := []store.HouseholdVersion{{HouseholdID: "h0", Version: 2}, {HouseholdID: "h1", Version: 2}}
		if !slices.Equal(got, want) || !slices.Equal(pokes, want) {
			t.Fatalf("bumped %v, pokes %v; want %v both", got, pokes, want)
		}
	})
}
