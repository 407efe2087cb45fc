package server

import "github.com/veilig/veilig/sync/change"

// The sizes below estimate what a pull sends of each row: its strings plus a fixed allowance
// for ids, numbers and framing. They are the one definition of a row's size in Go: the
// storage core pages pulls by them (store.Size), Plan spreads a large push over versions by
// them, and the engines' ChangeSizeList queries repeat the same allowances in SQL.

// HeaderBytes is a record header's size in a pull.
func HeaderBytes(id string, section change.Section) int { return 48 + len(id) + len(section) }

// FieldBytes is a current field's size in a pull.
func FieldBytes(field, value, deviceID string) int {
	return 24 + len(field) + len(value) + len(deviceID)
}

// ConflictBytes is a conflict record's size in a pull.
func ConflictBytes(c change.Conflict) int {
	return 64 + len(c.ID) + len(c.RecordID) + len(c.Field) + len(c.Value) + len(c.DeviceID) + len(c.AuthorID) + len(c.OverwrittenBy)
}

// CheckInBytes is a check-in's size in a pull.
func CheckInBytes(c change.CheckIn) int {
	return 64 + len(c.ID) + len(c.ScheduleID) + len(c.Note) + len(c.RecordedBy)
}

// VersionBytes is how much one household version may send in a pull, by the sizes above. A
// pull pages a household by version (store.SyncPull), so a push whose rows would send more is
// spread over consecutive versions (Changes.Versions) and a pull can page it at any size
// from MinPageBytes up. A single row larger than VersionBytes (a field value or a note is
// at most 4,000 characters, 16,000 bytes) takes a version alone.
const VersionBytes = 16 << 10

// MinPageBytes is the smallest page a pull may ask for: one version at its largest (a single
// row of the largest kind with its record header) and the household's header fit in it, so
// every page honours the asked size.
const MinPageBytes = 32 << 10
