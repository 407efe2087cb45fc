package store

// The scheduler's storage (due detection, alerts and escalation, the push outbox, device
// tokens and digests) claims its work in the database, so any number of server replicas can
// run the scheduler at once.
//
// Exactly-once noticing rests on one rule: a notice's id is derived from what it is about
// (schedule, occurrence and escalation step; or supervisor and digest slot) and is the primary
// key of the notices table, inserted in the same transaction as the state change that caused
// it. A replica that dies mid-batch rolls the whole batch back; a replica that races another
// inserts nothing twice.

import (
	"fmt"
	"time"
)

// Device is one app installation that receives pushes for a professional.
type Device struct {
	Token          string
	ProfessionalID string
	Platform       string // "android" or "ios"
	UpdatedAt      time.Time
}

// DeviceHeldError is DeviceRegister's refusal of a token another professional holds. It
// unwraps to ErrConflict. HolderID is for the server's log: a client must not be told who
// holds a token.
type DeviceHeldError struct {
	// ProfessionalID is who asked to register the token; HolderID is who holds it.
	ProfessionalID, HolderID string
}

// Error names both professionals by id, never the token.
func (e *DeviceHeldError) Error() string {
	return fmt.Sprintf("register device of %s: the token is registered to professional %s", e.ProfessionalID, e.HolderID)
}

// Unwrap makes errors.Is(err, ErrConflict) hold.
func (e *DeviceHeldError) Unwrap() error { return ErrConflict }

// EscalationPolicy says how fast an unacknowledged alert climbs. A team's policy overrides its
// organization's; without either, DefaultEscalationPolicy applies.
type EscalationPolicy struct {
	// ScopeID is a team id or an organization id.
	ScopeID string
	// SupervisorAfter is how long after the lead was reminded the team's supervisors are.
	SupervisorAfter time.Duration
	// OnCallAfter is how long after the supervisors the on-call professional is.
	OnCallAfter time.Duration
	// OnCallProfessionalID is the organization's on-call professional; empty ends the chain
	// at the supervisors.
	OnCallProfessionalID string
	UpdatedAt            time.Time
}

// Alert kinds.
const (
	// AlertOverdue: a scheduled check was missed.
	AlertOverdue = "overdue"
	// AlertUrgent: someone asked for contact or signalled danger; it escalates faster and is
	// not stopped by an ordinary check-in.
	AlertUrgent = "urgent"
)

// Escalation steps.
const (
	StepLead       = 0
	StepSupervisor = 1
	StepOnCall     = 2
)

// Alert is one occurrence that needs a person: a missed check or an urgent request.
type Alert struct {
	// ID is opaque and derived from the occurrence, so raising it twice raises it once. It is
	// the reference carried in pushes.
	ID             string
	Kind           string
	ScheduleID     string // empty for an alert not tied to a schedule
	HouseholdID    string
	TeamID         string
	OrganizationID string // the lead's organization, whose policy and on-call apply
	LeadID         string
	DueAt          time.Time // the missed occurrence's due instant; the raise time otherwise
	Step           int32     // the last step notified
	NextStepAt     *time.Time
	AcknowledgedAt *time.Time
	AcknowledgedBy string // a professional id, or "check-in:<id>"
	CreatedAt      time.Time
}

// Open reports whether a's escalation is still running.
func (a *Alert) Open() bool { return a.AcknowledgedAt == nil }

// Notice is the exactly-once record that a step was taken.
type Notice struct {
	ID        string
	AlertID   string // empty for a digest
	Step      int32
	CreatedAt time.Time
}

// DueSchedule is a schedule claimed by detection: its current occurrence is overdue.
type DueSchedule struct {
	Schedule Schedule
	// Satisfied says a check-in was recorded after the current occurrence opened (the
	// previous occurrence's overdue instant), by any channel: no alert is needed.
	Satisfied bool
}

// ScheduleAdvance is the next occurrence of a claimed schedule.
type ScheduleAdvance struct {
	// NextDueAt and OverdueAt are nil when the schedule has no further occurrence.
	NextDueAt *time.Time
	OverdueAt *time.Time
	// AlertID names the alert for the claimed occurrence, if it was missed.
	AlertID string
	// NextStepAt is when the alert climbs to the supervisors, if it was missed.
	NextStepAt *time.Time
}

// ReminderDetectParams runs one detection batch.
type ReminderDetectParams struct {
	Now   time.Time
	Limit int
	// Advance computes the next occurrence of a claimed schedule. It runs inside the
	// transaction and may run more than once (retries): it must be a pure function.
	Advance func(DueSchedule) ScheduleAdvance
}

// AlertStep is what escalation does with a claimed alert.
type AlertStep struct {
	// Step is the step to notify now. The alert's current step means "not yet": nothing is
	// notified and only NextStepAt moves (the policy decides the real time of a step on the
	// alert's first visit, where its team and organization are known).
	Step int32
	// Supervisors notifies the supervisors of the alert's team.
	Supervisors bool
	// ProfessionalIDs are notified too (the on-call).
	ProfessionalIDs []string
	// NextStepAt is when to climb again; nil ends the chain.
	NextStepAt *time.Time
}

// AlertEscalateParams runs one escalation batch.
type AlertEscalateParams struct {
	Now   time.Time
	Limit int
	// Step decides a claimed alert's next step; pure, like ReminderDetectParams.Advance.
	Step func(Alert) AlertStep
}

// AlertRaiseParams raises an alert outside detection.
type AlertRaiseParams struct {
	// Alert: ID, Kind, HouseholdID, ScheduleID, LeadID (empty: the schedule's lead, else the
	// household's), NextStepAt are used.
	Alert Alert
	Now   time.Time
}

// AlertAcknowledgeParams acknowledges an alert.
type AlertAcknowledgeParams struct {
	ID             string
	ProfessionalID string
	Now            time.Time
}

// Outbox statuses.
const (
	OutboxPending      = "pending"
	OutboxDelivered    = "delivered"
	OutboxUnregistered = "unregistered"
	OutboxFailed       = "failed"
	// OutboxCancelled: not sent, because its professional stopped being the alert's lead
	// (a care-team change re-routed the alert) before it went out; a push leased at that
	// moment may still arrive. The new lead's push is another notice's.
	OutboxCancelled = "cancelled"
)

// OutboxItem is one push to one device token.
type OutboxItem struct {
	NoticeID       string
	Token          string
	ProfessionalID string
	Kind           string // a push.Kind
	Ref            string
	Urgent         bool
	Counts         [3]int32 // a digest's overdue, escalated, concerns
	Status         string
	Attempts       int32
	NextAttemptAt  time.Time
	LastError      string
	CreatedAt      time.Time
	FinishedAt     *time.Time
}

// OutboxClaimParams leases pending pushes.
type OutboxClaimParams struct {
	Now   time.Time
	Limit int
	Lease time.Duration
}

// OutboxResult is the outcome of one claimed push.
type OutboxResult struct {
	NoticeID string
	Token    string
	// Attempt is the item's Attempts as claimed: it fences off an outcome that arrives after
	// the lease was taken over by another replica.
	Attempt int32
	Status  string // OutboxDelivered, OutboxUnregistered, OutboxFailed, or OutboxPending to retry
	// NextAttemptAt is the retry time of a pending result.
	NextAttemptAt time.Time
	Reason        string
}

// OutboxCompleteParams records outcomes.
type OutboxCompleteParams struct {
	Now     time.Time
	Results []OutboxResult
}

// Digest is a supervisor's overview for one slot.
type Digest struct {
	ProfessionalID string
	SlotAt         time.Time
	Overdue        int32 // open alerts at the lead step
	Escalated      int32 // open alerts past the lead step
	Concerns       int32 // check-ins with concerns or unsafe since the previous slot
	NoticeID       string
	CreatedAt      time.Time
}

// SyncPokeDrainParams drains pending sync pokes.
type SyncPokeDrainParams struct {
	Now   time.Time
	Limit int
}

// DigestCreateParams computes one digest.
type DigestCreateParams struct {
	ProfessionalID string
	SlotAt         time.Time
	// Since is the previous slot: concerns are counted in (Since, SlotAt].
	Since time.Time
	Now   time.Time
}
