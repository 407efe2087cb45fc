package store

import (
	"path"
	"strconv"
	"strings"
	"time"
)

// Migration is one schema migration of an engine, as `veilig migrate` reports it.
type Migration struct {
	// Version is the migration's number, the same on every engine (00016 is 16).
	Version int64
	// Name is its file's name without the number and extension: "retention" for
	// 00016_retention.sql.
	Name string
	// Applied reports whether the database has it; AppliedAt is when, where the engine
	// recorded it (zero for a pending one).
	Applied   bool
	AppliedAt time.Time
	// Took is how long applying it took, for one Migrate applied; zero otherwise.
	Took time.Duration
}

// MigrationName is the Name of a migration file: its base name without the leading version
// and the extension.
func MigrationName(file string) string {
	name := strings.TrimSuffix(path.Base(file), path.Ext(file))
	if num, rest, ok := strings.Cut(name, "_"); ok {
		if _, err := strconv.ParseInt(num, 10, 64); err == nil {
			return rest
		}
	}
	return name
}

// String is the migration as `veilig migrate` prints it: "00016 retention".
func (m Migration) String() string {
	return padVersion(m.Version) + " " + m.Name
}

func padVersion(v int64) string {
	s := strconv.FormatInt(v, 10)
	if len(s) < 5 {
		s = strings.Repeat("0", 5-len(s)) + s
	}
	return s
}
