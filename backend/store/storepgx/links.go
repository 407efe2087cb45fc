package storepgx

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/veilig/veilig/backend/store"
)

const linkColumns = `id, token_hash, household_id, schedule_id, created_by, created_at, expires_at, revoked_at,
	pin_hash, duress_pin_hash, failed_pins, locked_at, last_used_at`

func scanLink(r pgx.Row) (*store.Link, error) {
	var l store.Link
	err := r.Scan(&l.ID, &l.TokenHash, &l.HouseholdID, &l.ScheduleID, &l.CreatedBy, &l.CreatedAt, &l.ExpiresAt, &l.RevokedAt,
		&l.PINHash, &l.DuressPINHash, &l.FailedPINs, &l.LockedAt, &l.LastUsedAt)
	l.CreatedAt, l.ExpiresAt = utc(l.CreatedAt), utc(l.ExpiresAt)
	l.RevokedAt, l.LockedAt, l.LastUsedAt = utcPtr(l.RevokedAt), utcPtr(l.LockedAt), utcPtr(l.LastUsedAt)
	return &l, err
}

// LinkCreate implements store.Store.
func (s *Store) LinkCreate(ctx context.Context, l store.Link) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO check_in_links (`+linkColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, 0, NULL, NULL)`,
			l.ID, l.TokenHash, l.HouseholdID, l.ScheduleID, l.CreatedBy, l.CreatedAt.UTC(), l.ExpiresAt.UTC(), l.PINHash, l.DuressPINHash)
		if err != nil {
			return fmt.Errorf("create link for %s: %w", l.HouseholdID, err)
		}
		return nil
	})
}

// LinkGetByTokenHash implements store.Store.
func (s *Store) LinkGetByTokenHash(ctx context.Context, tokenHash string) (*store.Link, error) {
	l, err := scanLink(s.pool.QueryRow(ctx, `SELECT `+linkColumns+` FROM check_in_links WHERE token_hash = $1`, tokenHash))
	if err != nil {
		return nil, notFound(err, "link")
	}
	return l, nil
}

// LinkListByHousehold implements store.Store.
func (s *Store) LinkListByHousehold(ctx context.Context, householdID string) ([]*store.Link, error) {
	return query(ctx, s, "list links of "+householdID, scanLink,
		`SELECT `+linkColumns+` FROM check_in_links WHERE household_id = $1 ORDER BY created_at DESC, id DESC`, householdID)
}

// LinkRevoke implements store.Store.
func (s *Store) LinkRevoke(ctx context.Context, p store.LinkRevokeParams) (*store.Link, error) {
	var out *store.Link
	err := s.tx(ctx, func(tx pgx.Tx) error {
		l, err := scanLink(tx.QueryRow(ctx, `UPDATE check_in_links SET revoked_at = COALESCE(revoked_at, $3)
			WHERE id = $1 AND household_id = $2 RETURNING `+linkColumns, p.ID, p.HouseholdID, p.Now.UTC()))
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
	err := s.tx(ctx, func(tx pgx.Tx) error {
		l, err := scanLink(tx.QueryRow(ctx, `UPDATE check_in_links SET failed_pins = failed_pins + 1,
			  locked_at = CASE WHEN locked_at IS NULL AND failed_pins + 1 >= $2 THEN $3::TIMESTAMPTZ ELSE locked_at END
			WHERE id = $1 RETURNING `+linkColumns, p.ID, p.Limit, p.Now.UTC()))
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
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE check_in_links SET failed_pins = 0, last_used_at = $2 WHERE id = $1`, id, now.UTC()); err != nil {
			return fmt.Errorf("record use of link %s: %w", id, err)
		}
		return nil
	})
}
