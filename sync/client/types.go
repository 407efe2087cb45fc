package client

import (
	"context"

	"github.com/veilig/veilig/sync/hlc"
)

// Kind is what a mutation does.
type Kind int

// The mutation kinds.
const (
	KindEdit Kind = iota + 1
	KindDelete
	KindResolve
	KindCheckIn
)

// FieldWrite sets one field.
type FieldWrite struct {
	Field string
	Value string
	Stamp hlc.Timestamp
	Seen  hlc.Timestamp
}

// CheckIn is the content of a check-in mutation.
type CheckIn struct {
	ScheduleID string
	Channel    string // "home_visit", "phone_call", "family_link"
	Outcome    string // "safe", "concerns", "unsafe", "no_contact"
	Note       string
}

// Mutation is one queued offline edit.
type Mutation struct {
	ID          string
	HouseholdID string
	Kind        Kind
	RecordID    string
	Section     string
	Writes      []FieldWrite
	Stamp       hlc.Timestamp // delete, check-in
	Seen        hlc.Timestamp // delete
	ConflictID  string        // resolve
	CheckIn     CheckIn
}

// Outcome is the server's answer to a mutation.
type Outcome int

// The outcomes, as in veilig.v1.MutationOutcome.
const (
	OutcomeApplied Outcome = iota + 1
	OutcomeMerged
	OutcomeConflictRecorded
	OutcomeRejected
)

// Result is the outcome of one pushed mutation.
type Result struct {
	MutationID string
	Outcome    Outcome
	Reason     int // veilig.v1.RejectReason
	Detail     string
}

// Field is a field's value as the server holds it.
type Field struct {
	Value    string
	Stamp    hlc.Timestamp
	DeviceID string
}

// Record is a changed plan entry in a pull.
type Record struct {
	ID      string
	Section string
	Deleted bool
	Fields  map[string]Field // the fields changed after the cursor
}

// Conflict is a value that lost to a concurrent edit.
type Conflict struct {
	ID            string
	RecordID      string
	Field         string
	Value         string
	AuthorID      string
	OverwrittenBy string
	Resolved      bool
}

// HouseholdChanges is one household's part of a pull.
type HouseholdChanges struct {
	HouseholdID string
	Code        string
	Version     int64 // the new cursor
	Records     []Record
	Conflicts   []Conflict
	CheckInIDs  []string
	Schedules   []Schedule
}

// Schedule is a household's check-in schedule as the server planned it. Schedules are
// written online (CheckInService/UpsertSchedule) and arrive with pulls, so the app can show
// what is due while offline.
type Schedule struct {
	ID                 string
	Rule               string // e.g. "FREQ=WEEKLY;BYDAY=MO,TH"
	TimeZone           string
	LocalTime          string // HH:MM
	WindowEnd          string // HH:MM, or empty
	GraceMinutes       int
	Channel            string // home_visit, phone_call, family_link
	LeadProfessionalID string
	Paused             bool
	StartDate          string
	EndDate            string
	NextDueUnix        int64 // 0 when paused or ended
}

// PullPage is one page of a pull.
type PullPage struct {
	Households  []HouseholdChanges
	Evicted     []string
	HasMore     bool
	ServerStamp hlc.Timestamp
}

// Transport carries pushes and pulls to the server. The backend's Connect adapter is in
// github.com/veilig/veilig/mobile-api/syncclient; an app may bring its own.
type Transport interface {
	Push(ctx context.Context, batch []Mutation) ([]Result, hlc.Timestamp, error)
	Pull(ctx context.Context, cursors map[string]int64, maxBytes int) (*PullPage, error)
}

// Storage keeps a replica's state across restarts. Save must be atomic: after a crash, Load
// returns either the state before or the state after the last Save.
type Storage interface {
	Load(ctx context.Context) (*State, error) // nil, nil when nothing was saved yet
	Save(ctx context.Context, st *State) error
}
