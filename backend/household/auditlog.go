package household

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/access"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// Reading the access log (issue 12, point 3): a privacy officer reads their own
// organization's staff's entries, and the whole log of a household their organization works
// on. Each read is itself recorded, before the entries are returned.

// Access records of reading the access log.
const (
	ActionAuditList      = "audit.list"
	ActionAuditHousehold = "audit.household"
	ActionAuditExport    = "audit.export"
)

var opAuditHousehold = operation{veiligv1connect.AuditServiceListHouseholdAccessProcedure, ActionAuditHousehold}

// AuditQuery selects entries: optional household and professional, the period [From, Until)
// (zero for unbounded), a page after (AfterAt, AfterID) (zero for the first), at most Limit.
type AuditQuery struct {
	HouseholdID    string
	ProfessionalID string
	From, Until    time.Time
	AfterAt        time.Time
	AfterID        string
	Limit          int
}

// params is the query as the store takes it for one organization ("" for any).
func (q AuditQuery) params(organizationID string) store.AuditListParams {
	p := store.AuditListParams{OrganizationID: organizationID, HouseholdID: q.HouseholdID, ProfessionalID: q.ProfessionalID,
		AfterAt: q.From, AfterID: "", UntilAt: q.Until, Limit: q.Limit}
	if p.AfterAt.IsZero() {
		p.AfterAt = time.Unix(0, 0).UTC()
	}
	if q.AfterAt.After(p.AfterAt) || (q.AfterAt.Equal(p.AfterAt) && q.AfterID != "") {
		p.AfterAt, p.AfterID = q.AfterAt, q.AfterID
	}
	if p.UntilAt.IsZero() {
		p.UntilAt = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return p
}

// officerOf applies an access-log rule (PrivacyOfficer) to the actor for one organization; a
// refusal is a *denial carrying its record.
func officerOf(ctx context.Context, a Actor, procedure, action, organizationID string) error {
	var rels []access.Relation
	if a.Professional.Role == store.RolePrivacyOfficer && a.Professional.OrganizationID == organizationID {
		rels = append(rels, access.PrivacyOfficer)
	}
	if access.For(procedure).Allows(rels) {
		return nil
	}
	zerolog.Ctx(ctx).Warn().Str("professional_id", a.Professional.ID).Str("organization_id", organizationID).
		Str("procedure", procedure).Msg("access refused by the policy")
	return deny(a, refuse(ErrPermission, "only a privacy officer of this organization may read its access log"), "",
		action, "organization", organizationID)
}

// ListAuditEntries lists the entries of an organization's own staff that q selects, for its
// privacy officers, and records the read (ActionAuditList) first.
func (s *Service) ListAuditEntries(ctx context.Context, a Actor, organizationID string, q AuditQuery) ([]*store.AuditEvent, error) {
	return s.organizationLog(ctx, a, veiligv1connect.AuditServiceListAuditEntriesProcedure, ActionAuditList, organizationID, q)
}

// ExportAuditEntries is ListAuditEntries for an export, recorded as ActionAuditExport.
func (s *Service) ExportAuditEntries(ctx context.Context, a Actor, organizationID string, q AuditQuery) ([]*store.AuditEvent, error) {
	return s.organizationLog(ctx, a, veiligv1connect.AuditServiceExportAuditEntriesProcedure, ActionAuditExport, organizationID, q)
}

func (s *Service) organizationLog(ctx context.Context, a Actor, procedure, action, organizationID string, q AuditQuery) ([]*store.AuditEvent, error) {
	now := s.Now()
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := officerOf(ctx, a, procedure, action, organizationID); err != nil {
			return err
		}
		ev := eventOf(a, "", action, now)
		ev.ObjectKind, ev.ObjectID = "organization", organizationID
		allowed(ctx, ev)
		return tx.AuditAppend(ctx, []store.AuditEvent{ev})
	})
	if err != nil {
		return nil, err
	}
	out, err := s.db.AuditList(ctx, q.params(organizationID))
	if err != nil {
		return nil, fmt.Errorf("list access log of organization %s: %w", organizationID, err)
	}
	return out, nil
}

// ListHouseholdAccess lists every entry about one household, by anyone (q.HouseholdID is
// ignored), for a privacy officer of an organization that works on it, and records the read
// in the household's log first. Anyone else is answered ErrHouseholdNotFound.
func (s *Service) ListHouseholdAccess(ctx context.Context, a Actor, householdID string, q AuditQuery) ([]*store.AuditEvent, error) {
	if err := s.authorize(ctx, a, opAuditHousehold, householdID); err != nil {
		return nil, err
	}
	q.HouseholdID, q.ProfessionalID = householdID, ""
	out, err := s.db.AuditList(ctx, q.params(""))
	if err != nil {
		return nil, fmt.Errorf("list access log of household %s: %w", householdID, err)
	}
	return out, nil
}
