package household

import (
	"context"
	"fmt"

	"github.com/veilig/veilig/backend/store"
)

// CreateLink stores a new family check-in link of a household (the caller makes its token,
// hashes and PIN hashes; only those are stored). A schedule id must name a schedule of the
// household.
func (s *Service) CreateLink(ctx context.Context, a Actor, l store.Link) error {
	now := s.Now()
	return s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := s.access(ctx, tx, a, opCreateLink, l.HouseholdID, now); err != nil {
			return err
		}
		if l.ScheduleID != "" {
			if _, err := scheduleOf(ctx, tx, l.HouseholdID, l.ScheduleID); err != nil {
				return fmt.Errorf("schedule: %w", err)
			}
		}
		return tx.LinkCreate(ctx, l)
	})
}

// ListLinks lists a household's links, newest first.
func (s *Service) ListLinks(ctx context.Context, a Actor, householdID string) ([]*store.Link, error) {
	if err := s.authorize(ctx, a, opListLinks, householdID); err != nil {
		return nil, err
	}
	return s.db.LinkListByHousehold(ctx, householdID)
}

// RevokeLink revokes a link of a household (the first revocation is kept) and returns it; a
// link of another household is store.ErrNotFound.
func (s *Service) RevokeLink(ctx context.Context, a Actor, householdID, linkID string) (*store.Link, error) {
	now := s.Now()
	var out *store.Link
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := s.access(ctx, tx, a, opRevokeLink, householdID, now); err != nil {
			return err
		}
		out, err = tx.LinkRevoke(ctx, store.LinkRevokeParams{ID: linkID, HouseholdID: householdID, Now: now})
		return err
	})
	return out, err
}
