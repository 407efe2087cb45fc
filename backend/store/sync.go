package store

import (
	"time"

	"github.com/veilig/veilig/sync/hlc"
)

// MutationKind is what a sync mutation does.
type MutationKind int

// The mutation kinds.
const (
	MutationEdit MutationKind = iota + 1
	MutationDelete
	MutationResolve
	MutationCheckIn
)

// FieldWrite is one field of an edit.
type FieldWrite struct {
	Field string
	Value string // "" clears the field
	Stamp hlc.Timestamp
	// Seen is the stamp of the field's value the author had when editing; 0 if none.
	Seen hlc.Timestamp
}

// SyncMutation is one offline edit, authorized and validated by the edge, its stamps clamped.
type SyncMutation struct {
	ID             string
	HouseholdID    string
	DeviceID       string
	ProfessionalID string
	Kind           MutationKind
	// RecordID and Section name the plan entry of an edit or delete; Section is required when
	// an edit creates the entry.
	RecordID string
	Section  PlanSection
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

// MutationOutcome is what became of a mutation.
type MutationOutcome int

// The outcomes; see veilig.v1.MutationOutcome.
const (
	OutcomeApplied MutationOutcome = iota + 1
	OutcomeMerged
	OutcomeConflictRecorded
	OutcomeRejected
)

// RejectReason says why a mutation was rejected.
type RejectReason int

// The reasons; see veilig.v1.RejectReason.
const (
	ReasonNone RejectReason = iota
	ReasonForbidden
	ReasonInvalid
	ReasonNotFound
)

// MutationResult is the outcome of one mutation. Detail never quotes submitted values.
type MutationResult struct {
	MutationID string
	Outcome    MutationOutcome
	Reason     RejectReason
	Detail     string
}

// SyncPushParams is one push.
type SyncPushParams struct {
	Mutations []SyncMutation
	Now       time.Time
}

// SyncPullParams asks for the changes of a professional's households after the cursors.
type SyncPullParams struct {
	ProfessionalID string
	// Cursors maps household id to the version the device holds.
	Cursors map[string]int64
	// MaxBytes bounds the page; a household is never split, so one household larger than the
	// bound makes a page of its own.
	MaxBytes int
}

// SyncPage is one page of a pull.
type SyncPage struct {
	Households []*HouseholdChanges
	// Evicted lists cursor households the professional may no longer see.
	Evicted []string
	HasMore bool
}

// HouseholdChanges is what changed in one household after a cursor.
type HouseholdChanges struct {
	Household *Household // Version is the new cursor
	Records   []*SyncRecord
	Conflicts []*Conflict
	CheckIns  []*CheckIn
	// Schedules are the household's schedules changed after the cursor (written online through
	// UpsertSchedule, read by phones so they know what is due while offline).
	Schedules []*Schedule
}

// SyncRecord is a changed plan entry with its fields changed after the cursor.
type SyncRecord struct {
	ID      string
	Section PlanSection
	Deleted bool
	Fields  []FieldState
	Version int64
}

// FieldState is a field's current value.
type FieldState struct {
	Field    string
	Value    string
	Stamp    hlc.Timestamp
	DeviceID string
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
