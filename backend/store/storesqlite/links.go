package storesqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
)

const linkColumns = `id, token_hash, household_id, schedule_id, created_by, created_at, expires_at, revoked_at,
	pin_hash, duress_pin_hash, failed_pins, locked_at, last_used_at`

func scanLink(r interface{ Scan(...any) error }) (*store.Link, error) {
	var l store.Link
	var created, expires int64
	var revoked, locked, used sql.NullInt64
	err := r.Scan(&l.ID, &l.TokenHash, &l.HouseholdID, &l.ScheduleID, &l.CreatedBy, &created, &expires, &revoked,
		&l.PINHash, &l.DuressPINHash, &l.FailedPINs, &locked, &used)
	l.CreatedAt, l.ExpiresAt = fromMicros(created), fromMicros(expires)
	l.RevokedAt, l.LockedAt, l.LastUsedAt = timePtr(revoked), timePtr(locked), timePtr(used)
	return &l, err
}

// LinkCreate implements store.Store.
func (s *Store) LinkCreate(ctx context.Context, l store.Link) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO check_in_links (`+linkColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 0, NULL, NULL)`,
			l.ID, l.TokenHash, l.HouseholdID, l.ScheduleID, l.CreatedBy, micros(l.CreatedAt), micros(l.ExpiresAt), l.PINHash, l.DuressPINHash)
		if err != nil {
			return fmt.Errorf("create link for %s: %w", l.HouseholdID, err)
		}
		return nil
	})
}

// LinkGetByTokenHash implements store.Store.
func (s *Store) LinkGetByTokenHash(ctx context.Context, tokenHash string) (*store.Link, error) {
	l, err := scanLink(s.read.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM check_in_links WHERE token_hash = ?`, tokenHash))
	if err != nil {
		return nil, notFound(err, "link")
	}
	return l, nil
}

// LinkListByHousehold implements store.Store.
func (s *Store) LinkListByHousehold(ctx context.Context, householdID string) ([]*store.Link, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+linkColumns+` FROM check_in_links WHERE household_id = ? ORDER BY created_at DESC, id DESC`, householdID)
	if err != nil {
		return nil, fmt.Errorf("list links of %s: %w", householdID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Link, error) { return scanLink(r) })
}

// LinkRevoke implements store.Store.
func (s *Store) LinkRevoke(ctx context.Context, p store.LinkRevokeParams) (*store.Link, error) {
	var out *store.Link
	err := s.tx(ctx, func(tx *sql.Tx) error {
		l, err := scanLink(tx.QueryRowContext(ctx, `UPDATE check_in_links SET revoked_at = COALESCE(revoked_at, ?)
			WHERE id = ? AND household_id = ? RETURNING `+linkColumns, micros(p.Now), p.ID, p.HouseholdID))
		if err != nil {
			return notFound(err, "revoke link "+p.ID)
		}
		out = l
		return nil
	})
	return out, err
}

// LinkPINFailed implements store.Store.
func (s *Store) LinkPINFailed(ctx context.Context, p store.LinkPINFailedParams) (*store.Link, error) {
	var out *store.Link
	err := s.tx(ctx, func(tx *sql.Tx) error {
		l, err := scanLink(tx.QueryRowContext(ctx, `UPDATE check_in_links SET failed_pins = failed_pins + 1,
			  locked_at = CASE WHEN locked_at IS NULL AND failed_pins + 1 >= ? THEN ? ELSE locked_at END
			WHERE id = ? RETURNING `+linkColumns, p.Limit, micros(p.Now), p.ID))
		if err != nil {
			return notFound(err, "count wrong PIN of link "+p.ID)
		}
		out = l
		return nil
	})
	return out, err
}

// LinkUsed implements store.Store.
func (s *Store) LinkUsed(ctx context.Context, id string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE check_in_links SET failed_pins = 0, last_used_at = ? WHERE id = ?`, micros(now), id); err != nil {
			return fmt.Errorf("record use of link %s: %w", id, err)
		}
		return nil
	})
}
