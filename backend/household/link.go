package household

import (
	"context"
	"fmt"
	"time"

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

// FamilyAnswerParams is one answer posted to a family check-in link: a check-in, or a wrong
// PIN to count.
type FamilyAnswerParams struct {
	// Link is the link answered, one the caller found usable (package familylink decides).
	Link *store.Link
	// FormNonceHash names the form token the answer came with (a hash of its nonce, never
	// the link token); it is spent in the answer's transaction.
	FormNonceHash string
	// CheckIn is the answer's check-in; nil means a wrong PIN.
	CheckIn *change.CheckIn
	// MaxPINFailures is how many wrong PINs lock the link.
	MaxPINFailures int32
	// RequestID is the server's id of the request, for the access record.
	RequestID string
	// Now is the answer's time (the link's last use, or the wrong PIN's).
	Now time.Time
}

// FamilyAnswer records an answer posted to a family check-in link, in one transaction and in
// one shape whatever the answer, so that neither what commits nor how long it takes tells
// the paths apart (issue 13, points 4 and 6):
//
//  1. the form token is spent (store.ErrFormTokenSpent when it was, on any replica: nothing
//     else is written);
//  2. the household's row is locked, the first lock of every write to a household, so that
//     the link's row below is locked in the order every other writer uses (RevokeLink,
//     retention) and every path queues behind the household's writers alike;
//  3. the link's row is updated: its last use for a check-in, its wrong-PIN count (and lock
//     at MaxPINFailures) for a wrong PIN;
//  4. the check-in is appended with its effects on the schedule (a check-in only: it bumps
//     the household's version under the lock already held);
//  5. one access record names the family link acting (ActorFamilyLink, the link's id; never
//     its token) on the household in request RequestID: allowed for a check-in, denied
//     with reason ReasonWrongPIN for a wrong PIN.
//
// It returns the link: for a wrong PIN as updated (LockedAt set once the count locked it),
// for a check-in as given. A failed answer commits nothing, so its form token stays
// unspent, and leaves a failed access record.
func (s *Service) FamilyAnswer(ctx context.Context, p FamilyAnswerParams) (*store.Link, error) {
	link := p.Link
	var out *store.Link
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := tx.FormTokenSpend(ctx, store.FormTokenSpendParams{NonceHash: p.FormNonceHash, Now: p.Now}); err != nil {
			return err
		}
		if err := tx.HouseholdLock(ctx, []string{link.HouseholdID}); err != nil {
			return fmt.Errorf("lock household of link %s: %w", link.ID, err)
		}
		ev := store.AuditEvent{ID: uuid.NewString(), At: s.Now(), ActorKind: store.ActorFamilyLink, ProfessionalID: link.ID,
			Action: ActionFamilyAnswer, ObjectKind: "household", ObjectID: link.HouseholdID, HouseholdID: link.HouseholdID,
			RequestID: p.RequestID, Outcome: store.AuditAllowed}
		if p.CheckIn == nil {
			ev.Outcome, ev.Reason = store.AuditDenied, ReasonWrongPIN
			if out, err = tx.LinkPINFailed(ctx, store.LinkPINFailedParams{ID: link.ID, Limit: p.MaxPINFailures, Now: p.Now}); err != nil {
				return fmt.Errorf("count wrong PIN of link %s: %w", link.ID, err)
			}
		} else {
			allowed(ctx, ev)
			if err = tx.LinkUsed(ctx, link.ID, p.Now); err != nil {
				return fmt.Errorf("record use of link %s: %w", link.ID, err)
			}
			if _, err = tx.CheckInAppend(ctx, *p.CheckIn); err != nil {
				return fmt.Errorf("append check-in of link %s: %w", link.ID, err)
			}
			out = link
		}
		return tx.AuditAppend(ctx, []store.AuditEvent{ev})
	})
	return out, err
}

// ReasonWrongPIN is the reason of the denied access record of a wrong PIN on a family link.
const ReasonWrongPIN = "wrong PIN"
