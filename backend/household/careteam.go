package household

import (
	"context"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// GetHousehold returns a household and its care team.
func (s *Service) GetHousehold(ctx context.Context, a Actor, householdID string) (*store.Household, []*store.CareTeamMember, error) {
	if err := s.Authorize(ctx, a, householdID, ActionHouseholdRead); err != nil {
		return nil, nil, err
	}
	h, err := s.db.HouseholdGet(ctx, householdID)
	if err != nil {
		return nil, nil, fmt.Errorf("load household %s: %w", householdID, err)
	}
	team, err := s.db.CareTeamMemberList(ctx, householdID)
	if err != nil {
		return nil, nil, fmt.Errorf("list care team of %s: %w", householdID, err)
	}
	return h, team, nil
}

// mayManageCareTeam decides who changes a care team: its lead, or a supervisor who sees the
// household. Others in the care team may read it but not change who is in it.
func mayManageCareTeam(ctx context.Context, tx *store.Tx, a Actor, householdID string) error {
	if a.Professional.Role == store.RoleSupervisor {
		return nil
	}
	team, err := tx.CareTeamMemberList(ctx, householdID)
	if err != nil {
		return fmt.Errorf("list care team of %s: %w", householdID, err)
	}
	for _, m := range team {
		if m.ProfessionalID == a.Professional.ID && m.Lead {
			return nil
		}
	}
	return refuse(ErrPermission, "only the lead professional or a supervisor may change the care team")
}

// SetCareTeamMember adds a professional to a household's care team or changes their lead
// flag (a household has one lead), and returns the care team after the change.
func (s *Service) SetCareTeamMember(ctx context.Context, a Actor, m store.CareTeamMember) ([]*store.CareTeamMember, error) {
	return s.changeCareTeam(ctx, a, m.HouseholdID, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		if _, err := tx.ProfessionalGet(ctx, m.ProfessionalID); err != nil {
			return fmt.Errorf("load professional %s: %w", m.ProfessionalID, err)
		}
		return tx.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: m, Now: now})
	})
}

// RemoveCareTeamMember removes a professional from a household's care team and returns the
// care team after the change; a professional not in it is store.ErrNotFound.
func (s *Service) RemoveCareTeamMember(ctx context.Context, a Actor, householdID, professionalID string) ([]*store.CareTeamMember, error) {
	return s.changeCareTeam(ctx, a, householdID, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		return tx.CareTeamMemberRemove(ctx, store.CareTeamMemberRemoveParams{HouseholdID: householdID, ProfessionalID: professionalID, Now: now})
	})
}

// changeCareTeam runs a care-team change with its checks and audit in one transaction.
func (s *Service) changeCareTeam(ctx context.Context, a Actor, householdID string,
	change func(ctx context.Context, tx *store.Tx, now time.Time) error) ([]*store.CareTeamMember, error) {
	now := s.Now()
	var team []*store.CareTeamMember
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := s.access(ctx, tx, a, householdID, ActionCareTeamWrite, now); err != nil {
			return err
		}
		if err := mayManageCareTeam(ctx, tx, a, householdID); err != nil {
			return err
		}
		if err := change(ctx, tx, now); err != nil {
			return err
		}
		team, err = tx.CareTeamMemberList(ctx, householdID)
		return err
	})
	return team, err
}
