package household

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// CreateLink stores a new family check-in link of a household (the caller makes its token,
// hashes and PIN hashes; only those are stored). A schedule id must name a schedule of the
// household.
func (s *Service) CreateLink(ctx context.Context, a Actor, l store.Link) error {
	now := s.Now()
	return s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
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
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := s.access(ctx, tx, a, opRevokeLink, householdID, now); err != nil {
			return err
		}
		out, err = tx.LinkRevoke(ctx, store.LinkRevokeParams{ID: linkID, HouseholdID: householdID, Now: now})
		return err
	})
	return out, err
}

// FamilyAnswer records a family's answer through a check-in link: the check-in and its
// access record commit in one transaction. The record names the family link acting
// (ActorFamilyLink, the link's id; never its token) on the link's household, in request
// requestID; a failed answer leaves a failed record and no check-in. The link must be one
// the caller found usable (package familylink decides that).
func (s *Service) FamilyAnswer(ctx context.Context, link *store.Link, c change.CheckIn, requestID string) (*change.CheckIn, error) {
	var out *change.CheckIn
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		ev := store.AuditEvent{ID: uuid.NewString(), At: s.Now(), ActorKind: store.ActorFamilyLink, ProfessionalID: link.ID,
			Action: ActionFamilyAnswer, ObjectKind: "household", ObjectID: link.HouseholdID, HouseholdID: link.HouseholdID,
			RequestID: requestID, Outcome: store.AuditAllowed}
		allowed(ctx, ev)
		if out, err = tx.CheckInAppend(ctx, c); err != nil {
			return fmt.Errorf("append check-in of link %s: %w", link.ID, err)
		}
		return tx.AuditAppend(ctx, []store.AuditEvent{ev})
	})
	return out, err
}
