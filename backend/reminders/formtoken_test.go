package reminders_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
)

// TestTickForgetsSpentFormTokens: a spent form token is remembered while any replica could
// still verify it (store.FormTokenSpendKeep) and forgotten by the first tick after.
func TestTickForgetsSpentFormTokens(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			start := local(2027, 3, 27, 12, 0)
			fixture(t, s, start)
			spend := func() error {
				return s.InTx(bg, func(ctx context.Context, tx *store.Tx) error {
					return tx.FormTokenSpend(ctx, store.FormTokenSpendParams{NonceHash: "n1", Now: start})
				})
			}
			must(t, spend())
			h := newHarness(t, s, start, reminders.Config{DigestTimes: []schedule.Clock{}})
			equal(t, "forgotten a second before", h.at(t, start.Add(store.FormTokenSpendKeep-time.Second)).FormTokensForgotten, int64(0))
			if err := spend(); !errors.Is(err, store.ErrFormTokenSpent) {
				t.Fatalf("spend before it is forgotten: %v", err)
			}
			equal(t, "forgotten after the keep", h.at(t, start.Add(store.FormTokenSpendKeep+time.Second)).FormTokensForgotten, int64(1))
		})
	}
}
