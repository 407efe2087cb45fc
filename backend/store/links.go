package store

import "time"

// Link is a family check-in link. Its token is never stored: only its SHA-256 (TokenHash), so
// a copy of the database cannot be used to answer for a family.
type Link struct {
	ID          string
	TokenHash   string // hex SHA-256 of the token
	HouseholdID string
	ScheduleID  string // empty: not tied to a schedule
	CreatedBy   string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	RevokedAt   *time.Time
	// PINHash and DuressPINHash are salted, stretched hashes ("" when not set).
	PINHash       string
	DuressPINHash string
	FailedPINs    int32
	LockedAt      *time.Time
	LastUsedAt    *time.Time
}

// Usable reports whether the link may be answered at now.
func (l *Link) Usable(now time.Time) bool {
	return l.RevokedAt == nil && l.LockedAt == nil && now.Before(l.ExpiresAt)
}

// LinkRevokeParams revokes a link.
type LinkRevokeParams struct {
	ID          string
	HouseholdID string
	Now         time.Time
}

// LinkPINFailedParams counts a wrong PIN.
type LinkPINFailedParams struct {
	ID    string
	Limit int32 // the link locks when FailedPINs reaches Limit
	Now   time.Time
}
