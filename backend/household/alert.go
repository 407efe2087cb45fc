package household

import (
	"context"
	"errors"
	"fmt"

	"github.com/veilig/veilig/backend/store"
)

// ErrAlertNotFound: the alert does not exist or is of a household the actor may not see.
var ErrAlertNotFound = errors.New("alert not found")

// GetAlert returns an alert of a household the actor may see (the app opens a push's
// opaque reference with it).
func (s *Service) GetAlert(ctx context.Context, a Actor, alertID string) (*store.Alert, error) {
	now := s.Now()
	var out *store.Alert
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		out, err = alertOf(ctx, tx, alertID)
		if err != nil {
			return err
		}
		return alertAccess(s.access(ctx, tx, a, opGetAlert, out.HouseholdID, now))
	})
	return out, err
}

// ListAlerts lists a household's alerts, newest first, at most limit.
func (s *Service) ListAlerts(ctx context.Context, a Actor, householdID string, limit int) ([]*store.Alert, error) {
	if err := s.authorize(ctx, a, opListAlerts, householdID); err != nil {
		return nil, err
	}
	return s.db.AlertListByHousehold(ctx, householdID, limit)
}

// AcknowledgeAlert stops an alert's escalation in the actor's name (the first
// acknowledgement is kept) and returns the alert as stored.
func (s *Service) AcknowledgeAlert(ctx context.Context, a Actor, alertID string) (*store.Alert, error) {
	now := s.Now()
	var out *store.Alert
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		al, err := alertOf(ctx, tx, alertID)
		if err != nil {
			return err
		}
		if err := alertAccess(s.access(ctx, tx, a, opAcknowledgeAlert, al.HouseholdID, now)); err != nil {
			return err
		}
		out, err = tx.AlertAcknowledge(ctx, store.AlertAcknowledgeParams{ID: alertID, ProfessionalID: a.Professional.ID, Now: now})
		return err
	})
	return out, err
}

// alertOf loads an alert in tx; a missing one is ErrAlertNotFound.
func alertOf(ctx context.Context, tx *store.Tx, id string) (*store.Alert, error) {
	al, err := tx.AlertGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrAlertNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load alert %s: %w", id, err)
	}
	return al, nil
}

// alertAccess answers an alert of an invisible household as one that does not exist; the
// denial's record keeps its household.
func alertAccess(err error) error {
	if !errors.Is(err, ErrHouseholdNotFound) {
		return err
	}
	var d *denial
	if errors.As(err, &d) {
		ev := d.event
		ev.Reason = reasonOf(ErrAlertNotFound)
		return &denial{err: ErrAlertNotFound, event: ev}
	}
	return ErrAlertNotFound
}
