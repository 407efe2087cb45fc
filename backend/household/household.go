// Package household is the domain layer of a household's data: the care team's use cases
// (sync push and pull, the safety plan, the care team, schedules and check-ins, alerts, family
// check-in links), each run in one storage transaction together with its authorization check
// and its audit row, so a use case is authorized, done and logged, or none of the three.
//
// The edge (mobile-api/careapi) decodes a request, calls one method here and maps the error
// to a protocol code; the storage core (backend/store) runs the transaction. Who may do what
// is decided here and nowhere else:
//
//   - Seeing a household: its care team and the supervisors who are members of its team
//     (store's household_viewers). A household the actor may not see answers
//     ErrHouseholdNotFound (an alert of it, ErrAlertNotFound),
//     exactly like one that does not exist, so existence never leaks.
//   - Changing who is in the care team: its lead, or a supervisor who sees the household.
//   - A schedule's lead: a member of the household's care team.
//   - A schedule id given with a household must belong to that household.
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

	"github.com/veilig/veilig/backend/store"
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

// Actor is who acts: an authenticated professional, from a device, in a request.
type Actor struct {
	Professional *store.Professional
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
)

// event is the access record of one action on one household.
func (s *Service) event(a Actor, householdID, action string, at time.Time) store.AuditEvent {
	return store.AuditEvent{ID: uuid.NewString(), At: at, ProfessionalID: a.Professional.ID, DeviceID: a.DeviceID,
		Action: action, HouseholdID: householdID, RequestID: a.RequestID}
}

// access authorizes the actor for a household inside tx and records the access there.
func (s *Service) access(ctx context.Context, tx *store.Tx, a Actor, householdID, action string, at time.Time) error {
	ok, err := tx.HouseholdCanAccess(ctx, a.Professional.ID, householdID)
	if err != nil {
		return fmt.Errorf("authorize household %s: %w", householdID, err)
	}
	if !ok {
		return ErrHouseholdNotFound
	}
	return tx.AuditAppend(ctx, []store.AuditEvent{s.event(a, householdID, action, at)})
}

// Authorize checks that the actor may see a household and records the access, in its own
// transaction, before the caller reads the household's data.
func (s *Service) Authorize(ctx context.Context, a Actor, householdID, action string) error {
	now := s.Now()
	return s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return s.access(ctx, tx, a, householdID, action, now)
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
