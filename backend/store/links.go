package store

import (
	"context"
	"time"
)

// Links is the storage of family check-in links. A link's token is never stored: only its
// SHA-256 (TokenHash), so a copy of the database cannot be used to answer for a family.
type Links interface {
	// LinkCreate stores a new link.
	LinkCreate(ctx context.Context, l Link) error
	// LinkGetByTokenHash returns the link with that token hash, whatever its state (the
	// caller decides whether it is usable); a missing one is ErrNotFound.
	LinkGetByTokenHash(ctx context.Context, tokenHash string) (*Link, error)
	// LinkListByHousehold lists a household's links, newest first.
	LinkListByHousehold(ctx context.Context, householdID string) ([]*Link, error)
	// LinkRevoke revokes a link of a household; revoking twice keeps the first time. A link of
	// another household is ErrNotFound.
	LinkRevoke(ctx context.Context, p LinkRevokeParams) (*Link, error)
	// LinkPINFailed counts a wrong PIN and locks the link at the limit; it returns the link
	// as updated (LockedAt set when this failure locked it).
	LinkPINFailed(ctx context.Context, p LinkPINFailedParams) (*Link, error)
	// LinkUsed records a successful answer: it resets the wrong-PIN count.
	LinkUsed(ctx context.Context, id string, now time.Time) error
}

// Link is a family check-in link.
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
