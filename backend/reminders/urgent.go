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
	// ScheduleID ties the alert to a schedule, whose lead is reminded first; empty means the
	// household's care-team lead.
	ScheduleID string
	// Key names what raised it (a check-in id, "locked:<link id>"): raising the same key twice
	// raises one alert.
	Key string
	Now time.Time
}

// UrgentStore is what RaiseUrgent needs of the storage (store.DB has it).
type UrgentStore interface {
	ScheduleGet(ctx context.Context, id string) (*store.Schedule, error)
	CareTeamMemberList(ctx context.Context, householdID string) ([]*store.CareTeamMember, error)
	AlertRaise(ctx context.Context, p store.AlertRaiseParams) (bool, error)
}

// RaiseUrgent raises an urgent alert and queues its push to the lead at once; escalation then
// climbs after UrgentAfter. It returns the alert id and whether this call raised it.
func RaiseUrgent(ctx context.Context, st UrgentStore, p UrgentParams) (string, bool, error) {
	lead := ""
	if p.ScheduleID != "" {
		sc, err := st.ScheduleGet(ctx, p.ScheduleID)
		if err != nil {
			return "", false, fmt.Errorf("load schedule %s: %w", p.ScheduleID, err)
		}
		lead = sc.LeadProfessionalID
	}
	if lead == "" {
		members, err := st.CareTeamMemberList(ctx, p.HouseholdID)
		if err != nil {
			return "", false, fmt.Errorf("load care team of %s: %w", p.HouseholdID, err)
		}
		for _, m := range members {
			if m.Lead || lead == "" {
				lead = m.ProfessionalID
			}
			if m.Lead {
				break
			}
		}
	}
	sum := sha256.Sum256([]byte("urgent\x00" + p.HouseholdID + "\x00" + p.Key))
	id := "al_" + hex.EncodeToString(sum[:16])
	now := p.Now.UTC()
	created, err := st.AlertRaise(ctx, store.AlertRaiseParams{Now: now, Alert: store.Alert{ID: id, Kind: store.AlertUrgent,
		HouseholdID: p.HouseholdID, ScheduleID: p.ScheduleID, LeadID: lead, NextStepAt: &now}})
	if err != nil {
		return "", false, fmt.Errorf("raise urgent alert for %s: %w", p.HouseholdID, err)
	}
	return id, created, nil
}
