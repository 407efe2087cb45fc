package household

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/access"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// ActionProfessionalWrite is the access record of a change to a professional's entry in the
// directory (a role granted or taken away among them); its SubjectID names the professional.
const ActionProfessionalWrite = "professional.write"

// errNotAdmin is the refusal of a directory change by anyone but an admin of the
// organization concerned.
var errNotAdmin = refuse(ErrPermission, "only an admin of this organization may do this")

// adminOf applies a directory rule (OrganizationAdmin) to the actor for one organization.
func adminOf(ctx context.Context, a Actor, procedure, organizationID string) error {
	var rels []access.Relation
	if a.Professional.Role == store.RoleAdmin && a.Professional.OrganizationID == organizationID {
		rels = append(rels, access.OrganizationAdmin)
	}
	if access.For(procedure).Allows(rels) {
		return nil
	}
	zerolog.Ctx(ctx).Warn().Str("professional_id", a.Professional.ID).Str("organization_id", organizationID).
		Str("procedure", procedure).Msg("access refused by the policy")
	return errNotAdmin
}

// ListProfessionals lists an organization's professionals, for its admins.
func (s *Service) ListProfessionals(ctx context.Context, a Actor, organizationID string) ([]*store.Professional, error) {
	if err := adminOf(ctx, a, veiligv1connect.DirectoryServiceListProfessionalsProcedure, organizationID); err != nil {
		return nil, err
	}
	return s.db.ProfessionalListByOrganization(ctx, organizationID)
}

// UpsertProfessional creates or replaces a professional's entry (CreatedAt is kept) and
// returns it as stored. Who may grant what, decided once:
//   - an admin of the professional's organization, for professionals of that organization
//     only (an existing professional of another organization is refused, never moved);
//   - not on their own entry: an admin's role is changed by another admin, so nobody grants
//     themselves anything and the last admin cannot lock the organization out by mistake.
//
// Every change is recorded in the access log in the same transaction (SubjectID names the
// professional), so each grant of supervisor or admin has a who and a when.
func (s *Service) UpsertProfessional(ctx context.Context, a Actor, p store.Professional) (*store.Professional, error) {
	if err := adminOf(ctx, a, veiligv1connect.DirectoryServiceUpsertProfessionalProcedure, p.OrganizationID); err != nil {
		return nil, err
	}
	if p.ID == a.Professional.ID {
		return nil, refuse(ErrPermission, "an admin's own entry is changed by another admin")
	}
	now := s.Now()
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		existing, err := tx.ProfessionalGet(ctx, p.ID)
		switch {
		case err == nil && existing.OrganizationID != p.OrganizationID:
			return errNotAdmin
		case err == nil:
			p.CreatedAt = existing.CreatedAt
		case errors.Is(err, store.ErrNotFound):
			p.CreatedAt = now
		default:
			return fmt.Errorf("load professional %s: %w", p.ID, err)
		}
		if err := tx.ProfessionalUpsert(ctx, p); err != nil {
			return fmt.Errorf("upsert professional %s: %w", p.ID, err)
		}
		ev := s.event(a, "", ActionProfessionalWrite, now)
		ev.SubjectID = p.ID
		return tx.AuditAppend(ctx, []store.AuditEvent{ev})
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}
