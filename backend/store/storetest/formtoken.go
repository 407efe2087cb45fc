package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// testFormTokenSpends pins single use of form tokens across replicas (issue 13, point 6):
// a spend commits with its transaction, a second spend is ErrFormTokenSpent, a rolled-back
// spend leaves the token unspent, and expired rows are deleted in batches.
func testFormTokenSpends(t *testing.T, s *store.DB) {
	spend := func(hash string, at time.Time, then error) error {
		return s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error {
			if err := tx.FormTokenSpend(ctx, store.FormTokenSpendParams{NonceHash: hash, Now: at}); err != nil {
				return err
			}
			return then
		})
	}
	must(t, spend("n1", t0, nil))
	wantErr(t, spend("n1", t0.Add(time.Second), nil), store.ErrFormTokenSpent)

	// An answer that fails after its spend (the check-in could not be written) rolls the
	// spend back with it: the family may answer with the same form again.
	failed := errors.New("the answer failed")
	wantErr(t, spend("n2", t0, failed), failed)
	must(t, spend("n2", t0, nil))

	// Two replicas answering one form at once: exactly one spend commits.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = spend("n3", t0, nil) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrFormTokenSpent):
			t.Errorf("concurrent spend: %v", err)
		}
	}
	equal(t, "concurrent spends that committed", ok, 1)

	// Expired rows go, in batches, oldest first; younger ones stay and still refuse.
	for i := range 5 {
		must(t, spend("old-"+string(rune('a'+i)), t0.Add(-3*time.Hour+time.Duration(i)*time.Minute), nil))
	}
	n, err := s.FormTokenSpendDeleteExpired(ctx(), store.FormTokenSpendDeleteParams{Before: t0.Add(-time.Hour), BatchSize: 2, MaxBatches: 2})
	must(t, err)
	equal(t, "deleted by two batches of two", n, int64(4))
	must(t, spend("old-a", t0, nil)) // deleted: a token that old is refused by its MAC anyway
	wantErr(t, spend("old-e", t0, nil), store.ErrFormTokenSpent)
	n, err = s.FormTokenSpendDeleteExpired(ctx(), store.FormTokenSpendDeleteParams{Before: t0.Add(-time.Hour)})
	must(t, err)
	equal(t, "deleted by the second call", n, int64(1))
	wantErr(t, spend("n1", t0, nil), store.ErrFormTokenSpent)
}
