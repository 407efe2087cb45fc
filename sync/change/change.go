// Package change defines what travels through sync, the words both ends of the protocol
// share: a mutation (an offline edit, delete, resolve or check-in) with its field writes, the
// outcome the server gives it, the conflict record a lost concurrent value becomes, and the
// check-in fact. The server half (package sync/server), the phone replica (sync/client),
// the storage and the edge all use these types, so a kind, an outcome or a section is defined
// once.
//
// Package change is pure data: no I/O, no clocks, no behaviour beyond validity checks.
package change

import (
	"time"

	"github.com/veilig/veilig/sync/hlc"
)

// Kind is what a mutation does.
type Kind int

// The mutation kinds; the numbers are those of veilig.v1 and of stored rows.
const (
	KindEdit Kind = iota + 1
	KindDelete
	KindResolve
	KindCheckIn
)

// Section names a section of a household's safety plan; every plan entry is in one.
type Section string

// The sections of a safety plan.
const (
	SectionDanger        Section = "danger"
	SectionSafetyGoal    Section = "safety_goal"
	SectionAgreement     Section = "agreement"
	SectionNetworkPerson Section = "network_person"
	SectionWarningSignal Section = "warning_signal"
	SectionCrisisContact Section = "crisis_contact"
	SectionReview        Section = "review"
)

// Valid reports whether s is one of the sections above.
func (s Section) Valid() bool {
	switch s {
	case SectionDanger, SectionSafetyGoal, SectionAgreement, SectionNetworkPerson,
		SectionWarningSignal, SectionCrisisContact, SectionReview:
		return true
	}
	return false
}

// FieldWrite is one field of an edit.
type FieldWrite struct {
	Field string
	Value string // "" clears the field
	Stamp hlc.Timestamp
	// Seen is the stamp of the field's value the author had when editing; 0 if none.
	Seen hlc.Timestamp
}

// Mutation is one offline edit as the server applies it: authorized and validated by the
// edge, its stamps clamped, its device and author attached.
type Mutation struct {
	ID             string
	HouseholdID    string
	DeviceID       string
	ProfessionalID string
	Kind           Kind
	// RecordID and Section name the plan entry of an edit or delete; Section is required when
	// an edit creates the entry.
	RecordID string
	Section  Section
	Writes   []FieldWrite
	// Stamp and Seen belong to a delete (Seen: the highest field stamp the author had seen) and
	// to a check-in (Stamp: when it happened).
	Stamp hlc.Timestamp
	Seen  hlc.Timestamp
	// ConflictID names the conflict a resolve marks handled.
	ConflictID string
	// CheckIn carries a check-in's content; its id is the mutation id.
	CheckIn CheckIn
}

// Outcome is what became of a mutation.
type Outcome int

// The outcomes; see veilig.v1.MutationOutcome.
const (
	OutcomeApplied Outcome = iota + 1
	OutcomeMerged
	OutcomeConflictRecorded
	OutcomeRejected
)

// Reason says why a mutation was rejected.
type Reason int

// The reasons; see veilig.v1.RejectReason.
const (
	ReasonNone Reason = iota
	ReasonForbidden
	ReasonInvalid
	ReasonNotFound
	// ReasonIDInUse: the mutation id is already the idempotency key of another mutation (of
	// another professional, or of another household). Nothing was applied, and a re-send under
	// the same id is rejected again: ids are never shared, so the first mutation's result is
	// never answered to anyone but its sender.
	ReasonIDInUse
)

// Result is the outcome of one mutation. Detail never quotes submitted values.
type Result struct {
	MutationID string
	Outcome    Outcome
	Reason     Reason
	Detail     string
}

// Conflict is a value that lost to a concurrent edit, kept until a person resolves it.
type Conflict struct {
	ID            string // the losing mutation id + "/" + field
	HouseholdID   string
	RecordID      string
	Field         string
	MutationID    string
	Value         string
	Stamp         hlc.Timestamp
	DeviceID      string
	AuthorID      string
	OverwrittenBy string
	Resolved      bool
	Version       int64
}

// CheckIn is one confirmation of a household's safety. Check-ins are facts: append-only,
// never in conflict.
type CheckIn struct {
	ID          string
	HouseholdID string
	ScheduleID  string // empty when not tied to a schedule
	Channel     string
	Outcome     string
	Note        string
	RecordedBy  string // professional id, or empty for a family link
	RecordedAt  time.Time
	Version     int64
}

// The outcomes of a check-in (CheckIn.Outcome).
const (
	CheckInSafe      = "safe"
	CheckInConcerns  = "concerns"
	CheckInUnsafe    = "unsafe"
	CheckInNoContact = "no_contact"
)

// Confirms reports whether a check-in confirms the household was reached. A "no contact"
// check-in records an attempt: it satisfies no occurrence and stops no escalation.
func (c CheckIn) Confirms() bool { return c.Outcome != CheckInNoContact }
