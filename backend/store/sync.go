package store

import (
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

// SyncPushParams is one push.
type SyncPushParams struct {
	Mutations []change.Mutation
	Now       time.Time
	// Locked says the transaction holds the lock of every household of Mutations already
	// (Tx.HouseholdLock), so the push does not take them again.
	Locked bool
}

// SyncPullParams asks for the changes of a professional's households after the cursors.
type SyncPullParams struct {
	ProfessionalID string
	// Cursors maps household id to the version the device holds.
	Cursors map[string]int64
	// MaxBytes bounds the page (estimated by Size); a household larger than the bound is paged
	// by version, and only a single write transaction larger than the bound makes a larger
	// page, alone.
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
	Conflicts []*change.Conflict
	CheckIns  []*change.CheckIn
	// Schedules are the household's schedules changed after the cursor (written online through
	// UpsertSchedule, read by phones so they know what is due while offline).
	Schedules []*Schedule
}

// SyncRecord is a changed plan entry with its fields changed after the cursor.
type SyncRecord struct {
	ID      string
	Section change.Section
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
