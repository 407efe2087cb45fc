package reminders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// UrgentParams raises an urgent alert: a family asked to be contacted, answered with a duress
// PIN, or someone kept guessing a link's PIN.
type UrgentParams struct {
	HouseholdID string
	// ScheduleID ties the alert to a schedule, whose lead is reminded first if they are in
	// the care team; empty (or a lead who left) means the household's care-team lead.
	ScheduleID string
	// Key names what raised it (a check-in id, "locked:<link id>"): raising the same key twice
	// raises one alert.
	Key string
	Now time.Time
}

// UrgentStore is what RaiseUrgent needs of the storage (store.DB has it).
type UrgentStore interface {
	AlertRaise(ctx context.Context, p store.AlertRaiseParams) (bool, error)
}

// RaiseUrgent raises an urgent alert and queues its push to the lead at once; escalation then
// climbs after UrgentAfter. It returns the alert id and whether this call raised it.
//
// The lead is the one at the time of raising, resolved by the store inside the transaction
// that inserts the alert: the schedule's lead when they are still in the care team, else the
// household's lead. A household without a lead has nobody to remind first, so escalation
// (Step) takes the alert to the team's supervisors at once; it never goes to someone who
// has left the care team.
func RaiseUrgent(ctx context.Context, st UrgentStore, p UrgentParams) (string, bool, error) {
	sum := sha256.Sum256([]byte("urgent\x00" + p.HouseholdID + "\x00" + p.Key))
	id := "al_" + hex.EncodeToString(sum[:16])
	now := p.Now.UTC()
	created, err := st.AlertRaise(ctx, store.AlertRaiseParams{Now: now, Alert: store.Alert{ID: id, Kind: store.AlertUrgent,
		HouseholdID: p.HouseholdID, ScheduleID: p.ScheduleID, NextStepAt: &now}})
	if err != nil {
		return "", false, fmt.Errorf("raise urgent alert for %s: %w", p.HouseholdID, err)
	}
	return id, created, nil
}
