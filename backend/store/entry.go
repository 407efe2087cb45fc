package store

import (
	"errors"
	"fmt"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/server"
)

// EntryResultError turns the rejected result of a PlanService write into a store error: an
// unknown, forbidden or foreign entry id is ErrNotFound (existence does not leak), anything
// else is invalid input.
func EntryResultError(r change.Result) error {
	if r.Outcome != change.OutcomeRejected {
		return nil
	}
	if r.Reason == change.ReasonNotFound || r.Reason == change.ReasonForbidden || server.OtherHousehold(r) {
		return fmt.Errorf("plan entry: %s: %w", r.Detail, ErrNotFound)
	}
	return errors.New("invalid plan entry: " + r.Detail)
}
