// Package household is the domain layer of a household's data: the care team's use cases
// (sync push and pull, the safety plan, the care team, schedules and check-ins, alerts, family
// check-in links, the household's file out: printable plan, export and import), each run in
// one storage transaction together with its authorization check
// and its audit row, so a use case is authorized, done and logged, or none of the three.
//
// The edge (mobile-api/careapi) decodes a request, calls one method here and maps the error
// to a protocol code; the storage core (backend/store) runs the transaction. Who may do what
// is decided here and nowhere else, by the rules declared in package access (rendered as
// docs/access.md): each use case names its RPC's rule, reads how the actor stands to the
// household inside its transaction (care team, lead, team supervisor) and applies the rule.
// A household the actor may not see answers ErrHouseholdNotFound (an alert of it,
// ErrAlertNotFound), exactly like one that does not exist, so existence never leaks.
// Beside the rules: a schedule's lead must be in the household's care team, a schedule id
// given with a household must belong to it, and an organization admin is never added to a
// care team.
//
// Every access to a household's data leaves an audit record (NEN 7513: who, what, when,
// which household, which device, which request) that commits with the write it describes;
// a read's record commits before the data is returned.
//
// Package household must never put personal data into an error or a log line: errors name
// ids and rules only.
package household

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/access"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// Errors of the use cases; the edge maps each to one protocol code. Every error a method
// returns wraps one of these or a store error (store.ErrNotFound, store.ErrConflict), or is
// an outage.
var (
	// ErrHouseholdNotFound: the household does not exist or the actor may not see it.
	ErrHouseholdNotFound = errors.New("household not found")
	// ErrPermission: the actor sees the household but may not do this to it.
	ErrPermission = errors.New("permission denied")
	// ErrInvalid: the request breaks a rule of the domain (the message names the rule).
	ErrInvalid = errors.New("invalid")
)

// Refusal is a use case refused by a rule of the domain. Message names the rule, never
// personal data, and is meant for the client; Kind is ErrPermission or ErrInvalid.
type Refusal struct {
	Kind    error
	Message string
}

func (r *Refusal) Error() string { return r.Kind.Error() + ": " + r.Message }

// Unwrap makes errors.Is(err, r.Kind) hold.
func (r *Refusal) Unwrap() error { return r.Kind }

func refuse(kind error, message string) error { return &Refusal{Kind: kind, Message: message} }

// Actor is who acts: an authenticated professional, signed in by an identity provider
// (Issuer), from a device, in a request. DeviceID must be empty unless the device is one the
// professional registered: the access log records it as the device acted from.
type Actor struct {
	Professional *store.Professional
	Issuer       string
	DeviceID     string
	RequestID    string
}

// Service runs the use cases on a storage core.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns a Service on db that reads the time from now (time.Now when nil).
func New(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

// Now is the service's clock, in UTC with microsecond precision (what storage keeps).
func (s *Service) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Audit actions.
const (
	ActionHouseholdList = "household.list"
	ActionHouseholdRead = "household.read"
	ActionCareTeamWrite = "careteam.write"
	ActionPlanRead      = "plan.read"
	ActionPlanWrite     = "plan.write"
	ActionScheduleRead  = "schedule.read"
	ActionScheduleWrite = "schedule.write"
	ActionCheckInRead   = "checkin.read"
	ActionCheckInWrite  = "checkin.write"
	ActionSyncPush      = "sync.push"
	ActionSyncPull      = "sync.pull"
	ActionAlertRead     = "alert.read"
	ActionAlertAck      = "alert.acknowledge"
	ActionLinkCreate    = "link.create"
	ActionLinkRead      = "link.read"
	ActionLinkRevoke    = "link.revoke"
	// ActionSyncSubscribe is a Subscribe stream opened (one record per stream).
	ActionSyncSubscribe = "sync.subscribe"
	// ActionDeviceRegister and ActionDeviceUnregister are a professional's device calls.
	ActionDeviceRegister   = "device.register"
	ActionDeviceUnregister = "device.unregister"
	// ActionFamilyAnswer is a family's answer through a check-in link.
	ActionFamilyAnswer = "link.answer"
)

// event is the access record of one allowed action on one household.
func (s *Service) event(a Actor, householdID, action string, at time.Time) store.AuditEvent {
	return eventOf(a, householdID, action, at)
}

// eventOf is the access record of an action by a on a household ("" for none, then the
// object is set by the caller): who, with organization, role and issuer, from which device,
// in which request.
func eventOf(a Actor, householdID, action string, at time.Time) store.AuditEvent {
	ev := store.AuditEvent{ID: uuid.NewString(), At: at, ActorKind: store.ActorProfessional, ProfessionalID: a.Professional.ID,
		OrganizationID: a.Professional.OrganizationID, Role: string(a.Professional.Role), Issuer: a.Issuer,
		DeviceID: a.DeviceID, Action: action, HouseholdID: householdID, RequestID: a.RequestID, Outcome: store.AuditAllowed}
	if householdID != "" {
		ev.ObjectKind, ev.ObjectID = "household", householdID
	}
	return ev
}

// operation is one use case on a household: the RPC whose rule (package access) decides who
// may run it, and the action its audit record names.
type operation struct {
	procedure string
	action    string
}

// The use cases on a household. Each names its RPC, so its rule is the one docs/access.md
// shows and the matrix test checks.
var (
	opGetHousehold     = operation{veiligv1connect.HouseholdServiceGetHouseholdProcedure, ActionHouseholdRead}
	opSetCareTeam      = operation{veiligv1connect.HouseholdServiceSetCareTeamMemberProcedure, ActionCareTeamWrite}
	opRemoveCareTeam   = operation{veiligv1connect.HouseholdServiceRemoveCareTeamMemberProcedure, ActionCareTeamWrite}
	opGetPlan          = operation{veiligv1connect.PlanServiceGetPlanProcedure, ActionPlanRead}
	opUpsertPlanEntry  = operation{veiligv1connect.PlanServiceUpsertPlanEntryProcedure, ActionPlanWrite}
	opDeletePlanEntry  = operation{veiligv1connect.PlanServiceDeletePlanEntryProcedure, ActionPlanWrite}
	opListSchedules    = operation{veiligv1connect.CheckInServiceListSchedulesProcedure, ActionScheduleRead}
	opListCheckIns     = operation{veiligv1connect.CheckInServiceListCheckInsProcedure, ActionCheckInRead}
	opUpsertSchedule   = operation{veiligv1connect.CheckInServiceUpsertScheduleProcedure, ActionScheduleWrite}
	opRecordCheckIn    = operation{veiligv1connect.CheckInServiceRecordCheckInProcedure, ActionCheckInWrite}
	opPush             = operation{veiligv1connect.SyncServicePushProcedure, ActionSyncPush}
	opGetAlert         = operation{veiligv1connect.AlertServiceGetAlertProcedure, ActionAlertRead}
	opListAlerts       = operation{veiligv1connect.AlertServiceListAlertsProcedure, ActionAlertRead}
	opAcknowledgeAlert = operation{veiligv1connect.AlertServiceAcknowledgeAlertProcedure, ActionAlertAck}
	opCreateLink       = operation{veiligv1connect.FamilyLinkServiceCreateCheckInLinkProcedure, ActionLinkCreate}
	opListLinks        = operation{veiligv1connect.FamilyLinkServiceListCheckInLinksProcedure, ActionLinkRead}
	opRevokeLink       = operation{veiligv1connect.FamilyLinkServiceRevokeCheckInLinkProcedure, ActionLinkRevoke}
)

// relations reads inside tx how the actor stands to a household (package access). An admin
// stands in no relation to any household, whatever the rows say; a privacy officer only in
// HouseholdPrivacyOfficer, when their organization works on it.
func relations(ctx context.Context, tx *store.Tx, a Actor, householdID string) ([]access.Relation, error) {
	switch a.Professional.Role {
	case store.RoleAdmin, store.RoleRegionalAdmin:
		return nil, nil
	case store.RolePrivacyOfficer:
		// The household's access log and its file out (for the family's access request)
		// only, when their organization works on it: the rules allow no more.
		involved, err := tx.HouseholdOrganizationInvolved(ctx, householdID, a.Professional.OrganizationID)
		if err != nil {
			return nil, fmt.Errorf("organization of %s in household %s: %w", a.Professional.ID, householdID, err)
		}
		if involved {
			return []access.Relation{access.HouseholdPrivacyOfficer}, nil
		}
		return nil, nil
	}
	rows, err := tx.HouseholdRelationList(ctx, a.Professional.ID, householdID)
	if err != nil {
		return nil, fmt.Errorf("relations to household %s: %w", householdID, err)
	}
	var rels []access.Relation
	for _, r := range rows {
		rels = appendRelation(rels, r)
	}
	return rels, nil
}

// relationsMany is relations for several households in one statement, by household id.
func relationsMany(ctx context.Context, tx *store.Tx, a Actor, householdIDs []string) (map[string][]access.Relation, error) {
	out := map[string][]access.Relation{}
	if a.Professional.Role == store.RoleAdmin || a.Professional.Role == store.RoleRegionalAdmin {
		return out, nil
	}
	rows, err := tx.HouseholdRelationListMany(ctx, a.Professional.ID, householdIDs)
	if err != nil {
		return nil, fmt.Errorf("relations to %d households: %w", len(householdIDs), err)
	}
	for _, r := range rows {
		out[r.HouseholdID] = appendRelation(out[r.HouseholdID], r.Relation)
	}
	return out, nil
}

// appendRelation adds a stored relation: the lead is a member of the care team too.
func appendRelation(rels []access.Relation, stored string) []access.Relation {
	if access.Relation(stored) == access.Lead {
		return append(rels, access.Lead, access.CareTeam)
	}
	return append(rels, access.Relation(stored))
}

// decide applies op's rule to rels: a household the actor does not see is
// ErrHouseholdNotFound (existence never leaks), one they see but may not do op to is a
// Refusal. A refusal is logged (ids and the procedure only) and returned as a *denial that
// carries its access record (audit.go), which inTx appends after the rollback.
func decide(ctx context.Context, a Actor, op operation, householdID string, rels []access.Relation) error {
	rule := access.For(op.procedure)
	if rule.Allows(rels) {
		return nil
	}
	zerolog.Ctx(ctx).Warn().Str("professional_id", a.Professional.ID).Str("household_id", householdID).
		Str("procedure", op.procedure).Bool("sees_household", access.Sees(rels)).Msg("access refused by the policy")
	if !access.Sees(rels) {
		return deny(a, ErrHouseholdNotFound, householdID, op.action, "household", householdID)
	}
	return deny(a, refuse(ErrPermission, "the access policy does not allow this to you on this household (docs/access.md)"),
		householdID, op.action, "household", householdID)
}

// access authorizes op for the actor on a household inside tx and records the access there.
func (s *Service) access(ctx context.Context, tx *store.Tx, a Actor, op operation, householdID string, at time.Time) error {
	rels, err := relations(ctx, tx, a, householdID)
	if err != nil {
		return err
	}
	if err := decide(ctx, a, op, householdID, rels); err != nil {
		return err
	}
	ev := s.event(a, householdID, op.action, at)
	allowed(ctx, ev)
	return tx.AuditAppend(ctx, []store.AuditEvent{ev})
}

// authorize checks op for the actor on a household and records the access, in its own
// transaction, before the caller reads the household's data.
func (s *Service) authorize(ctx context.Context, a Actor, op operation, householdID string) error {
	now := s.Now()
	return s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return s.access(ctx, tx, a, op, householdID, now)
	})
}

// scheduleOf loads a schedule of a household; a schedule of another household is
// store.ErrNotFound, as one that does not exist.
func scheduleOf(ctx context.Context, tx *store.Tx, householdID, scheduleID string) (*store.Schedule, error) {
	sc, err := tx.ScheduleGet(ctx, scheduleID)
	if err != nil {
		return nil, err
	}
	if sc.HouseholdID != householdID {
		return nil, fmt.Errorf("schedule %s of household %s: %w", scheduleID, householdID, store.ErrNotFound)
	}
	return sc, nil
}
