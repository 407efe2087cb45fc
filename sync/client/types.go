package client

import (
	"context"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

// The words both ends of sync share (a mutation's kind, a field write, a section, an outcome
// and its reason) are those of package change. The types below are the phone's own where
// what it holds really differs from what the server holds.

// CheckIn is the content of a check-in mutation. It is not a change.CheckIn: the id, the
// household, who recorded it and when are the server's to fill in (the mutation id, the
// token's professional, the clamped stamp), and the phone learns only the id back.
type CheckIn struct {
	ScheduleID string
	Channel    string // "home_visit", "phone_call", "family_link"
	Outcome    string // "safe", "concerns", "unsafe", "no_contact"
	Note       string
}

// Mutation is one queued offline edit, as the phone sends it. It is not a change.Mutation,
// which is the same edit after the edge has handled it: the device and the author come from
// the caller's token (a phone never names them), the stamps are clamped to the server's
// clock, and a check-in's content becomes a change.CheckIn.
type Mutation struct {
	ID          string
	HouseholdID string
	Kind        change.Kind
	RecordID    string
	// Section is required when an edit creates the record.
	Section    change.Section
	Writes     []change.FieldWrite
	Stamp      hlc.Timestamp // delete, check-in
	Seen       hlc.Timestamp // delete: the highest field stamp of the record the phone held
	ConflictID string        // resolve
	CheckIn    CheckIn
}

// Field is a field's value as the server holds it.
type Field struct {
	Value    string
	Stamp    hlc.Timestamp
	DeviceID string
}

// Record is a changed plan entry in a pull: its header and the fields that changed after the
// cursor, each with the stamp and device of its winning write. The server has no such type: it
// stores a header (server.Record) and every write of a field, of which a pull sends the
// current one.
type Record struct {
	ID      string
	Section change.Section
	Deleted bool
	Fields  map[string]Field // the fields changed after the cursor
}

// Conflict is a value that lost to a concurrent edit, as a pull delivers it for the app to
// show and resolve. It is not a change.Conflict: the household is the one of the pull's
// HouseholdChanges, and the bookkeeping the server needs to merge and to page pulls (the
// losing mutation, stamps, version) is not the phone's concern.
type Conflict struct {
	ID            string
	RecordID      string
	Field         string
	Value         string
	AuthorID      string
	OverwrittenBy string
	Resolved      bool
}

// HouseholdChanges is one household's part of a pull, with the household version that is the
// phone's next cursor. It exists only on the wire: the server builds it from its rows.
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
	// Lease is the offline lease the answer grants (zero: the server sent none, and the
	// replica keeps the one it had).
	Lease Lease
}

// Transport carries pushes and pulls to the server. The Connect adapter is in package
// clientconnect (github.com/veilig/veilig/sync/client/clientconnect); an app may bring its
// own. Push returns one
// result per mutation, in order, and the server's stamp, which the phone's clock observes.
type Transport interface {
	Push(ctx context.Context, batch []Mutation) ([]change.Result, hlc.Timestamp, error)
	Pull(ctx context.Context, cursors map[string]int64, maxBytes int) (*PullPage, error)
}

// Storage keeps a replica's state across restarts. Save must be atomic: after a crash, Load
// returns either the state before or the state after the last Save.
type Storage interface {
	Load(ctx context.Context) (*State, error) // nil, nil when nothing was saved yet
	Save(ctx context.Context, st *State) error
}
