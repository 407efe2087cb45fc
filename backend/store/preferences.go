package store

// Preferences per person (issue 14). A professional's preferences are stored as given, after
// the domain layer validated them; every empty field means "the deployment's default", so a
// change of a deployment's flag reaches everyone who never chose otherwise, and resetting a
// value is writing ''. The storage knows no defaults and parses nothing: the domain layer
// (package backend/household) and the scheduler (package backend/reminders) read the values.

import (
	"context"
	"time"
)

// Preferences are one professional's own settings; a professional without a row has the
// zero value (every field the deployment's default).
type Preferences struct {
	ProfessionalID string
	// Language is a BCP 47 tag ("nl", "en-GB"); '' is the deployment's default.
	Language string
	// DigestTimes are local "HH:MM" times joined by ',' ("07:30,16:00"); '' is the
	// deployment's default.
	DigestTimes string
	// QuietStart and QuietEnd are local "HH:MM" times bounding the hours without digests;
	// both '' is the deployment's default.
	QuietStart, QuietEnd string
	// TimeZone is an IANA zone name ("Europe/Amsterdam") in which the times above are read;
	// '' is the deployment's default.
	TimeZone  string
	UpdatedAt time.Time
}

// PreferencesUpsert is Executor.PreferencesUpsert in tx: it writes p whole, replacing an
// earlier row of the professional.
func (tx *Tx) PreferencesUpsert(ctx context.Context, p Preferences) error {
	return tx.ex.PreferencesUpsert(ctx, p)
}

// PreferencesGet is Reader.PreferencesGet in tx; a professional without preferences is
// ErrNotFound.
func (tx *Tx) PreferencesGet(ctx context.Context, professionalID string) (*Preferences, error) {
	return tx.ex.PreferencesGet(ctx, professionalID)
}

// PreferencesListMany returns the preferences of the named professionals that have any,
// ordered by professional id, in one statement whatever the number of ids (the scheduler's
// digests read every supervisor's at once); no ids, no query.
func (db *DB) PreferencesListMany(ctx context.Context, professionalIDs []string) ([]*Preferences, error) {
	if len(professionalIDs) == 0 {
		return nil, nil
	}
	return db.Reader.PreferencesListMany(ctx, professionalIDs)
}
