package household

import (
	"context"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// GetHousehold returns a household and its care team.
func (s *Service) GetHousehold(ctx context.Context, a Actor, householdID string) (*store.Household, []*store.CareTeamMember, error) {
	if err := s.authorize(ctx, a, opGetHousehold, householdID); err != nil {
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

// SetCareTeamMember adds a professional to a household's care team or changes their lead
// flag (a household has one lead), and returns the care team after the change. An
// organization admin is never added: admins manage the directory and hold no relation to
// any household (package access), which ends the chain "an admin grants a colleague
// supervisor, who adds the admin to a care team".
func (s *Service) SetCareTeamMember(ctx context.Context, a Actor, m store.CareTeamMember) ([]*store.CareTeamMember, error) {
	return s.changeCareTeam(ctx, a, opSetCareTeam, m.HouseholdID, m.ProfessionalID, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		p, err := tx.ProfessionalGet(ctx, m.ProfessionalID)
		if err != nil {
			return fmt.Errorf("load professional %s: %w", m.ProfessionalID, err)
		}
		if p.Role.HoldsNoHouseholdData() {
			return refuse(ErrInvalid, "professional_id: an administrator or privacy officer cannot be in a care team")
		}
		return tx.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: m, Now: now})
	})
}

// RemoveCareTeamMember removes a professional from a household's care team and returns the
// care team after the change; a professional not in it is store.ErrNotFound.
func (s *Service) RemoveCareTeamMember(ctx context.Context, a Actor, householdID, professionalID string) ([]*store.CareTeamMember, error) {
	return s.changeCareTeam(ctx, a, opRemoveCareTeam, householdID, professionalID, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		return tx.CareTeamMemberRemove(ctx, store.CareTeamMemberRemoveParams{HouseholdID: householdID, ProfessionalID: professionalID, Now: now})
	})
}

// changeCareTeam runs a care-team change with its checks and audit in one transaction. The
// audit record names the professional granted or removed (SubjectID): every grant is
// recorded.
func (s *Service) changeCareTeam(ctx context.Context, a Actor, op operation, householdID, subjectID string,
	change func(ctx context.Context, tx *store.Tx, now time.Time) error) ([]*store.CareTeamMember, error) {
	now := s.Now()
	var team []*store.CareTeamMember
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		rels, err := relations(ctx, tx, a, householdID)
		if err != nil {
			return err
		}
		if err := decide(ctx, a, op, householdID, rels); err != nil {
			return err
		}
		ev := s.event(a, householdID, op.action, now)
		ev.SubjectID = subjectID
		allowed(ctx, ev)
		if err := tx.AuditAppend(ctx, []store.AuditEvent{ev}); err != nil {
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
