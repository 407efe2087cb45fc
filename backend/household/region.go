package household

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/access"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// Access records of setting up the region (RegionService). Those about one household name
// it, so they are in the household's own chain and in what a family asks for.
const (
	ActionOrganizationWrite      = "organization.write"
	ActionIssuerBind             = "organization.bind_issuer"
	ActionOrganizationDeactivate = "organization.deactivate"
	ActionTeamWrite              = "team.write"
	ActionTeamMemberWrite        = "team.member.write"
	ActionHouseholdCreate        = "household.create"
	ActionHouseholdTransfer      = "household.transfer"
	ActionHouseholdClose         = "household.close"
	ActionHouseholdReopen        = "household.reopen"
)

// The region's use cases, each with its RPC's rule.
var (
	opCreateOrganization     = operation{veiligv1connect.RegionServiceCreateOrganizationProcedure, ActionOrganizationWrite}
	opRenameOrganization     = operation{veiligv1connect.RegionServiceRenameOrganizationProcedure, ActionOrganizationWrite}
	opBindIssuer             = operation{veiligv1connect.RegionServiceBindIssuerProcedure, ActionIssuerBind}
	opDeactivateOrganization = operation{veiligv1connect.RegionServiceDeactivateOrganizationProcedure, ActionOrganizationDeactivate}
	opCreateTeam             = operation{veiligv1connect.RegionServiceCreateTeamProcedure, ActionTeamWrite}
	opRenameTeam             = operation{veiligv1connect.RegionServiceRenameTeamProcedure, ActionTeamWrite}
	opAddTeamMember          = operation{veiligv1connect.RegionServiceAddTeamMemberProcedure, ActionTeamMemberWrite}
	opRemoveTeamMember       = operation{veiligv1connect.RegionServiceRemoveTeamMemberProcedure, ActionTeamMemberWrite}
	opCreateHousehold        = operation{veiligv1connect.RegionServiceCreateHouseholdProcedure, ActionHouseholdCreate}
	opTransferHousehold      = operation{veiligv1connect.RegionServiceTransferHouseholdProcedure, ActionHouseholdTransfer}
	opCloseHousehold         = operation{veiligv1connect.RegionServiceCloseHouseholdProcedure, ActionHouseholdClose}
	opReopenHousehold        = operation{veiligv1connect.RegionServiceReopenHouseholdProcedure, ActionHouseholdReopen}
)

var errNotRegionalAdmin = refuse(ErrPermission, "only the regional administrator may do this")

// decideRegional applies a region rule (RegionalAdmin) to the actor for procedure; a refusal
// is a *denial carrying its access record (action on the object, in the household's chain
// when householdID is set).
func decideRegional(ctx context.Context, a Actor, procedure, action, householdID, objectKind, objectID string) error {
	var rels []access.Relation
	if a.Professional.Role == store.RoleRegionalAdmin {
		rels = append(rels, access.RegionalAdmin)
	}
	if access.For(procedure).Allows(rels) {
		return nil
	}
	zerolog.Ctx(ctx).Warn().Str("professional_id", a.Professional.ID).Str("procedure", procedure).
		Msg("access refused by the policy")
	return deny(a, errNotRegionalAdmin, householdID, action, objectKind, objectID)
}

// regional is decideRegional for op and, when allowed, appends op's access record on the
// object (a household's record names it, so it joins that household's chain).
func regional(ctx context.Context, tx *store.Tx, a Actor, op operation, householdID, objectKind, objectID string, now time.Time) error {
	if err := decideRegional(ctx, a, op.procedure, op.action, householdID, objectKind, objectID); err != nil {
		return err
	}
	ev := eventOf(a, householdID, op.action, now)
	ev.ObjectKind, ev.ObjectID = objectKind, objectID
	allowed(ctx, ev)
	return tx.AuditAppend(ctx, []store.AuditEvent{ev})
}

// CreateOrganization creates an organization, or returns the one that exists with its id
// (created false) unchanged: repeating the call is safe.
func (s *Service) CreateOrganization(ctx context.Context, a Actor, id, name string) (org *store.Organization, created bool, err error) {
	now := s.Now()
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := regional(ctx, tx, a, opCreateOrganization, "", "organization", id, now); err != nil {
			return err
		}
		org, err = tx.OrganizationGet(ctx, id)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			created = false
			return err
		}
		org, created = &store.Organization{ID: id, Name: name, CreatedAt: now}, true
		return tx.OrganizationUpsert(ctx, *org)
	})
	return org, created, err
}

// RenameOrganization renames an existing organization.
func (s *Service) RenameOrganization(ctx context.Context, a Actor, id, name string) (*store.Organization, error) {
	now := s.Now()
	var org *store.Organization
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := regional(ctx, tx, a, opRenameOrganization, "", "organization", id, now); err != nil {
			return err
		}
		if org, err = tx.OrganizationGet(ctx, id); err != nil {
			return err
		}
		org.Name = name
		return tx.OrganizationUpsert(ctx, *org)
	})
	return org, err
}

// BindIssuer binds an identity provider to an active organization (see
// RegionService.BindIssuer) and reports whether anything changed. An issuer bound to another
// organization is store.ErrConflict: an identity provider vouches for one organization only.
func (s *Service) BindIssuer(ctx context.Context, a Actor, b store.OrganizationIssuer) (changed bool, err error) {
	now := s.Now()
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := regional(ctx, tx, a, opBindIssuer, "", "organization", b.OrganizationID, now); err != nil {
			return err
		}
		if err := checkJWKSURL(b.JWKSURL); err != nil {
			return err
		}
		org, err := tx.OrganizationGet(ctx, b.OrganizationID)
		if err != nil {
			return fmt.Errorf("organization %s: %w", b.OrganizationID, err)
		}
		if org.DeactivatedAt != nil {
			return refuse(ErrInvalid, "organization_id: the organization is deactivated")
		}
		old, err := tx.OrganizationIssuerGet(ctx, b.Issuer)
		switch {
		case err == nil && old.OrganizationID != b.OrganizationID:
			return fmt.Errorf("issuer bound to organization %s: %w", old.OrganizationID, store.ErrConflict)
		case err == nil && old.JWKSURL == b.JWKSURL && old.Audience == b.Audience:
			return nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		changed, b.BoundAt = true, now
		return tx.OrganizationIssuerUpsert(ctx, b)
	})
	return changed, err
}

// DeactivateOrganization ends an organization's part in the region: it disables every
// professional of it not disabled yet (as DisableProfessional does, with the same records)
// and marks it deactivated, so its issuers sign nobody in. It returns the professionals it
// disabled; deactivating again changes nothing.
func (s *Service) DeactivateOrganization(ctx context.Context, a Actor, id string) (disabled []string, at time.Time, err error) {
	now := s.Now()
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		disabled = nil
		if err := regional(ctx, tx, a, opDeactivateOrganization, "", "organization", id, now); err != nil {
			return err
		}
		org, err := tx.OrganizationGet(ctx, id)
		if err != nil {
			return err
		}
		if org.DeactivatedAt != nil {
			at = *org.DeactivatedAt
			return nil
		}
		people, err := tx.ProfessionalListByOrganization(ctx, id)
		if err != nil {
			return err
		}
		var events []store.AuditEvent
		for _, p := range people {
			if p.DisabledAt != nil || p.ID == a.Professional.ID {
				continue
			}
			_, households, err := tx.ProfessionalDisable(ctx, p.ID, now)
			if err != nil {
				return err
			}
			disabled = append(disabled, p.ID)
			events = append(events, disableRecords(a, p.ID, households, now)...)
		}
		at = now
		if err := tx.OrganizationDeactivate(ctx, id, now); err != nil {
			return err
		}
		return tx.AuditAppend(ctx, events)
	})
	return disabled, at, err
}

// checkJWKSURL refuses a JWKS URL that a network attacker could answer: keys are fetched
// over https, or over http only from the server's own machine (a provider beside it).
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return refuse(ErrInvalid, "jwks_url: not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http":
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return refuse(ErrInvalid, "jwks_url: must be https (http only on a loopback host)")
}

// CreateTeam creates a team, or returns the one that exists with its id (created false).
func (s *Service) CreateTeam(ctx context.Context, a Actor, id, name string) (team *store.Team, created bool, err error) {
	now := s.Now()
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := regional(ctx, tx, a, opCreateTeam, "", "team", id, now); err != nil {
			return err
		}
		team, err = tx.TeamGet(ctx, id)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			created = false
			return err
		}
		team, created = &store.Team{ID: id, Name: name, CreatedAt: now}, true
		return tx.TeamUpsert(ctx, *team)
	})
	return team, created, err
}

// RenameTeam renames an existing team.
func (s *Service) RenameTeam(ctx context.Context, a Actor, id, name string) (*store.Team, error) {
	now := s.Now()
	var team *store.Team
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := regional(ctx, tx, a, opRenameTeam, "", "team", id, now); err != nil {
			return err
		}
		if team, err = tx.TeamGet(ctx, id); err != nil {
			return err
		}
		team.Name = name
		return tx.TeamUpsert(ctx, *team)
	})
	return team, err
}

// SetTeamMember adds (add true) or removes a professional of any organization to or from a
// team and returns the team's member ids after the change. A team member with the supervisor
// role supervises the team's households; an administrator or privacy officer is refused as a
// member (they hold no relation to household data).
func (s *Service) SetTeamMember(ctx context.Context, a Actor, teamID, professionalID string, add bool) ([]string, error) {
	now := s.Now()
	op := opRemoveTeamMember
	if add {
		op = opAddTeamMember
	}
	var ids []string
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := regional(ctx, tx, a, op, "", "team", teamID, now); err != nil {
			return err
		}
		if _, err := tx.TeamGet(ctx, teamID); err != nil {
			return fmt.Errorf("team %s: %w", teamID, err)
		}
		p, err := tx.ProfessionalGet(ctx, professionalID)
		if err != nil {
			return fmt.Errorf("professional %s: %w", professionalID, err)
		}
		m := store.TeamMember{TeamID: teamID, ProfessionalID: professionalID}
		if add {
			if p.Role.HoldsNoHouseholdData() || p.DisabledAt != nil {
				return refuse(ErrInvalid, "professional_id: an administrator, privacy officer or disabled professional cannot be in a team")
			}
			err = tx.TeamMemberAdd(ctx, m)
		} else {
			err = tx.TeamMemberRemove(ctx, m)
		}
		if err != nil {
			return err
		}
		members, err := tx.TeamMemberList(ctx, teamID)
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, m := range members {
			ids = append(ids, m.ID)
		}
		return nil
	})
	return ids, err
}

// NewHousehold is a household to create with its care team.
type NewHousehold struct {
	ID, Code, TeamID, DisplayName string
	// LeadID leads the care team; MemberIDs are its other members (the lead among them is
	// ignored).
	LeadID    string
	MemberIDs []string
}

// CreateHousehold creates a household of a team with its lead and care team, in one
// transaction, or returns the one that exists with its id (created false) unchanged. A code
// another household holds is store.ErrConflict. Members must be active professionals who may
// hold household data; the team must exist.
func (s *Service) CreateHousehold(ctx context.Context, a Actor, nh NewHousehold) (h *store.Household, team []*store.CareTeamMember, created bool, err error) {
	now := s.Now()
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := regional(ctx, tx, a, opCreateHousehold, nh.ID, "household", nh.ID, now); err != nil {
			return err
		}
		var err error
		h, team, created, err = createHousehold(ctx, tx, nh, now)
		return err
	})
	return h, team, created, err
}

// createHousehold is CreateHousehold's work inside tx (the import shares it).
func createHousehold(ctx context.Context, tx *store.Tx, nh NewHousehold, now time.Time) (*store.Household, []*store.CareTeamMember, bool, error) {
	if h, err := tx.HouseholdGet(ctx, nh.ID); err == nil {
		team, err := tx.CareTeamMemberList(ctx, nh.ID)
		return h, team, false, err
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, nil, false, err
	}
	if _, err := tx.TeamGet(ctx, nh.TeamID); errors.Is(err, store.ErrNotFound) {
		return nil, nil, false, refuse(ErrInvalid, "team_id: no such team")
	} else if err != nil {
		return nil, nil, false, err
	}
	members := []store.CareTeamMember{{HouseholdID: nh.ID, ProfessionalID: nh.LeadID, Lead: true}}
	for _, id := range nh.MemberIDs {
		if id != nh.LeadID && !slices.ContainsFunc(members, func(m store.CareTeamMember) bool { return m.ProfessionalID == id }) {
			members = append(members, store.CareTeamMember{HouseholdID: nh.ID, ProfessionalID: id})
		}
	}
	for _, m := range members {
		p, err := tx.ProfessionalGet(ctx, m.ProfessionalID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, false, refuse(ErrInvalid, "care team: no such professional "+m.ProfessionalID)
		} else if err != nil {
			return nil, nil, false, err
		}
		if p.Role.HoldsNoHouseholdData() || p.DisabledAt != nil {
			return nil, nil, false, refuse(ErrInvalid, "care team: professional "+m.ProfessionalID+" is an administrator, privacy officer or disabled")
		}
	}
	h := &store.Household{ID: nh.ID, Code: nh.Code, TeamID: nh.TeamID, DisplayName: nh.DisplayName, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := tx.HouseholdCreate(ctx, *h); err != nil {
		return nil, nil, false, fmt.Errorf("create household %s: %w", nh.ID, err)
	}
	for _, m := range members {
		if err := tx.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: m, Now: now}); err != nil {
			return nil, nil, false, fmt.Errorf("care team of household %s: %w", nh.ID, err)
		}
	}
	h, err := tx.HouseholdGet(ctx, nh.ID)
	if err != nil {
		return nil, nil, false, err
	}
	team, err := tx.CareTeamMemberList(ctx, nh.ID)
	return h, team, true, err
}

// TransferHousehold moves a household to another team: the old team's supervisors lose
// sight of it and the new team's gain it with the commit. The care team stays.
func (s *Service) TransferHousehold(ctx context.Context, a Actor, householdID, teamID string) (*store.Household, error) {
	now := s.Now()
	var h *store.Household
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := regional(ctx, tx, a, opTransferHousehold, householdID, "household", householdID, now); err != nil {
			return err
		}
		if _, err := tx.TeamGet(ctx, teamID); errors.Is(err, store.ErrNotFound) {
			return refuse(ErrInvalid, "team_id: no such team")
		} else if err != nil {
			return err
		}
		if err := tx.HouseholdMove(ctx, householdID, teamID, now); err != nil {
			return err
		}
		h, err = tx.HouseholdGet(ctx, householdID)
		return err
	})
	return h, err
}

// CloseHousehold closes a household's file (store.Tx.HouseholdClose): nobody sees it from the
// commit on, its schedules stop and its open alerts end. Closing a closed household changes
// nothing and returns when it was closed.
func (s *Service) CloseHousehold(ctx context.Context, a Actor, householdID string) (time.Time, error) {
	now := s.Now()
	var at time.Time
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := regional(ctx, tx, a, opCloseHousehold, householdID, "household", householdID, now); err != nil {
			return err
		}
		h, err := tx.HouseholdGet(ctx, householdID)
		if err != nil {
			return err
		}
		if h.ClosedAt != nil {
			at = *h.ClosedAt
			return nil
		}
		at = now
		return tx.HouseholdClose(ctx, householdID, a.Professional.ID, now)
	})
	return at, err
}

// pausedCopy returns a copy of sc marked paused, or nil for nil: what a reopened household's
// schedule is planned against, so that it opens now as a resumed one does.
func pausedCopy(sc *store.Schedule) *store.Schedule {
	if sc == nil {
		return nil
	}
	c := *sc
	c.Paused = true
	return &c
}

// ReopenHousehold reopens a closed household's file: it is seen again and each of its
// schedules is planned again by plan from now, so no check missed while it was closed is
// reported. Reopening an open household changes nothing. Reopening a household erased after
// its retention period (store.Household.ErasedAt) is refused with ErrInvalid.
func (s *Service) ReopenHousehold(ctx context.Context, a Actor, householdID string, plan Planner) (*store.Household, error) {
	now := s.Now()
	var h *store.Household
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := regional(ctx, tx, a, opReopenHousehold, householdID, "household", householdID, now); err != nil {
			return err
		}
		if h, err = tx.HouseholdGet(ctx, householdID); err != nil {
			return err
		}
		if h.ErasedAt != nil {
			return refuse(ErrInvalid, "household_id: the household's data was erased after its retention period; it cannot be reopened")
		}
		if h.ClosedAt == nil {
			return nil
		}
		if err := tx.HouseholdReopen(ctx, householdID, now); err != nil {
			return err
		}
		schedules, err := tx.ScheduleListByHousehold(ctx, householdID)
		if err != nil {
			return err
		}
		for _, sc := range schedules {
			// Planned as a resumed schedule (its stored version paused): from now, not from
			// where it stopped; and, its settings unchanged, as the schedule it was.
			if _, err := tx.ScheduleUpsert(ctx, store.ScheduleUpsertParams{Schedule: *sc, Now: now,
				Plan: func(sc, stored *store.Schedule) error { return plan(sc, pausedCopy(stored), now) }}); err != nil {
				return fmt.Errorf("restart schedule %s: %w", sc.ID, err)
			}
		}
		h, err = tx.HouseholdGet(ctx, householdID)
		return err
	})
	return h, err
}
