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

// Access records of the directory.
const (
	// ActionProfessionalList is a read of an organization's professionals.
	ActionProfessionalList = "professional.list"
)

// errNotAdmin is the refusal of a directory change by anyone but an admin of the
// organization concerned.
var errNotAdmin = refuse(ErrPermission, "only an admin of this organization may do this")

// adminOf applies a directory rule (OrganizationAdmin) to the actor for one organization; a
// refusal is a *denial carrying its access record (action on the organization).
func adminOf(ctx context.Context, a Actor, procedure, action, organizationID string) error {
	var rels []access.Relation
	if a.Professional.Role == store.RoleAdmin && a.Professional.OrganizationID == organizationID {
		rels = append(rels, access.OrganizationAdmin)
	}
	if a.Professional.Role == store.RoleRegionalAdmin {
		rels = append(rels, access.RegionalAdmin)
	}
	if access.For(procedure).Allows(rels) {
		return nil
	}
	zerolog.Ctx(ctx).Warn().Str("professional_id", a.Professional.ID).Str("organization_id", organizationID).
		Str("procedure", procedure).Msg("access refused by the policy")
	return deny(a, errNotAdmin, "", action, "organization", organizationID)
}

// ListProfessionals lists an organization's professionals, for its admins. The read is
// recorded (allowed or denied) before the list is returned.
func (s *Service) ListProfessionals(ctx context.Context, a Actor, organizationID string) ([]*store.Professional, error) {
	now := s.Now()
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := adminOf(ctx, a, veiligv1connect.DirectoryServiceListProfessionalsProcedure, ActionProfessionalList, organizationID); err != nil {
			return err
		}
		ev := eventOf(a, "", ActionProfessionalList, now)
		ev.ObjectKind, ev.ObjectID = "organization", organizationID
		allowed(ctx, ev)
		return tx.AuditAppend(ctx, []store.AuditEvent{ev})
	})
	if err != nil {
		return nil, err
	}
	return s.db.ProfessionalListByOrganization(ctx, organizationID)
}

// UpsertProfessional creates or replaces a professional's entry (CreatedAt is kept) and
// returns it as stored; identity, when not nil, binds an identity provider's subject to them
// in the same transaction. Who may grant what, decided once:
//   - an admin of the professional's organization, for professionals of that organization
//     only (an existing professional of another organization is refused, never moved);
//   - the regional administrator, for any organization (its first admins);
//   - nobody makes or changes a regional administrator (only `veilig admin init` does);
//   - not on their own entry: an admin's role is changed by another admin, so nobody grants
//     themselves anything and the last admin cannot lock the organization out by mistake.
//
// Every change is recorded in the access log in the same transaction (SubjectID names the
// professional), so each grant of supervisor or admin has a who and a when; every refusal
// is recorded as denied.
func (s *Service) UpsertProfessional(ctx context.Context, a Actor, p store.Professional, identity *store.ProfessionalIdentity) (*store.Professional, error) {
	now := s.Now()
	denied := func(err error) error {
		d := deny(a, err, "", ActionProfessionalWrite, "professional", p.ID)
		d.(*denial).event.SubjectID = p.ID
		return d
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := adminOf(ctx, a, veiligv1connect.DirectoryServiceUpsertProfessionalProcedure, ActionProfessionalWrite, p.OrganizationID); err != nil {
			return denied(errNotAdmin)
		}
		if p.ID == a.Professional.ID {
			return denied(refuse(ErrPermission, "an admin's own entry is changed by another admin"))
		}
		existing, err := tx.ProfessionalGet(ctx, p.ID)
		switch {
		case p.Role == store.RoleRegionalAdmin || (err == nil && existing.Role == store.RoleRegionalAdmin):
			return denied(refuse(ErrPermission, "a regional administrator is made only by `veilig admin init` on the server"))
		case err == nil && existing.OrganizationID != p.OrganizationID:
			return denied(errNotAdmin)
		case err == nil:
			p.CreatedAt = existing.CreatedAt
		case errors.Is(err, store.ErrNotFound):
			p.CreatedAt = now
		default:
			return fmt.Errorf("load professional %s: %w", p.ID, err)
		}
		ev := eventOf(a, "", ActionProfessionalWrite, now)
		ev.ObjectKind, ev.ObjectID, ev.SubjectID = "professional", p.ID, p.ID
		allowed(ctx, ev)
		if _, err := tx.OrganizationGet(ctx, p.OrganizationID); err != nil {
			return fmt.Errorf("organization %s: %w", p.OrganizationID, err)
		}
		if err := tx.ProfessionalUpsert(ctx, p); err != nil {
			return fmt.Errorf("upsert professional %s: %w", p.ID, err)
		}
		if identity != nil {
			// A subject bound to a professional of another organization stays theirs: no
			// admin takes over (or breaks) another organization's sign-in.
			bound, err := tx.ProfessionalGetByIdentity(ctx, identity.Issuer, identity.Subject)
			switch {
			case err == nil && bound.OrganizationID != p.OrganizationID:
				return denied(refuse(ErrPermission, "this subject of this issuer signs in a professional of another organization"))
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("load identity binding: %w", err)
			}
			identity.ProfessionalID = p.ID
			if err := tx.ProfessionalIdentityUpsert(ctx, *identity); err != nil {
				return fmt.Errorf("bind identity of professional %s: %w", p.ID, err)
			}
		}
		return tx.AuditAppend(ctx, []store.AuditEvent{ev})
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}
