package household

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
)

// ActionRegionInit is the access record of `veilig admin init`: the regional administrator
// made, named by the record's actor and subject.
const ActionRegionInit = "region.init"

// ErrRegionStarted is InitRegion's answer when a regional administrator exists already.
var ErrRegionStarted = errors.New("a regional administrator exists already")

// RegionInit is the first regional administrator and their organization.
type RegionInit struct {
	// OrganizationID and OrganizationName name the administrator's organization, created when
	// missing.
	OrganizationID, OrganizationName string
	// Issuer, when set, is bound to the organization (with JWKSURL and Audience) and signs
	// the administrator in as Subject. Empty in embedded mode, where the dev issuer names
	// the administrator by id.
	Issuer, JWKSURL, Audience, Subject string
	// Name and Email are the administrator's.
	Name, Email string
}

// InitRegion makes the region's first regional administrator, in one transaction with its
// access record, and returns them. It is the only way one is made (the API refuses the role),
// and it works once: when any regional administrator exists it changes nothing and returns
// ErrRegionStarted with the existing one.
func (s *Service) InitRegion(ctx context.Context, in RegionInit) (*store.Professional, error) {
	now := s.Now()
	var admin *store.Professional
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		existing, err := tx.ProfessionalListByRole(ctx, store.RoleRegionalAdmin)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			admin = existing[0]
			return ErrRegionStarted
		}
		if _, err := tx.OrganizationGet(ctx, in.OrganizationID); errors.Is(err, store.ErrNotFound) {
			if err := tx.OrganizationUpsert(ctx, store.Organization{ID: in.OrganizationID, Name: in.OrganizationName, CreatedAt: now}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if in.Issuer != "" {
			if err := checkJWKSURL(in.JWKSURL); err != nil {
				return err
			}
			old, err := tx.OrganizationIssuerGet(ctx, in.Issuer)
			switch {
			case err == nil && old.OrganizationID != in.OrganizationID:
				return fmt.Errorf("issuer bound to organization %s: %w", old.OrganizationID, store.ErrConflict)
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return err
			}
			if err := tx.OrganizationIssuerUpsert(ctx, store.OrganizationIssuer{Issuer: in.Issuer, OrganizationID: in.OrganizationID,
				JWKSURL: in.JWKSURL, Audience: in.Audience, BoundAt: now}); err != nil {
				return err
			}
		}
		admin = &store.Professional{ID: uuid.NewString(), OrganizationID: in.OrganizationID, DisplayName: in.Name, Email: in.Email,
			Role: store.RoleRegionalAdmin, CreatedAt: now}
		if err := tx.ProfessionalUpsert(ctx, *admin); err != nil {
			return err
		}
		if in.Issuer != "" {
			if err := tx.ProfessionalIdentityUpsert(ctx, store.ProfessionalIdentity{Issuer: in.Issuer, Subject: in.Subject, ProfessionalID: admin.ID}); err != nil {
				return err
			}
		}
		ev := eventOf(Actor{Professional: admin, Issuer: in.Issuer, RequestID: "veilig admin init"}, "", ActionRegionInit, now)
		ev.ObjectKind, ev.ObjectID, ev.SubjectID = "professional", admin.ID, admin.ID
		return tx.AuditAppend(ctx, []store.AuditEvent{ev})
	})
	return admin, err
}
