-- Family check-in links. Only a hash of each token is kept.

-- name: LinkInsert :exec
INSERT INTO check_in_links (id, token_hash, household_id, schedule_id, created_by, created_at, expires_at, revoked_at,
    pin_hash, duress_pin_hash, failed_pins, locked_at, last_used_at)
VALUES (@id, @token_hash, @household_id, @schedule_id, @created_by, @created_at, @expires_at, NULL,
    @pin_hash, @duress_pin_hash, 0, NULL, NULL);

-- name: LinkGetByTokenHash :one
SELECT * FROM check_in_links WHERE token_hash = @token_hash;

-- name: LinkListByHousehold :many
SELECT * FROM check_in_links WHERE household_id = @household_id ORDER BY created_at DESC, id DESC;

-- name: LinkRevoke :one
UPDATE check_in_links SET revoked_at = COALESCE(revoked_at, @now::timestamptz)
WHERE id = @id AND household_id = @household_id
RETURNING *;

-- name: LinkPINFailed :one
UPDATE check_in_links SET failed_pins = failed_pins + 1,
    locked_at = CASE WHEN locked_at IS NULL AND failed_pins + 1 >= @max_failed::int4 THEN @now::timestamptz
                     ELSE locked_at END
WHERE id = @id
RETURNING *;

-- name: LinkUsed :exec
UPDATE check_in_links SET last_used_at = @now::timestamptz WHERE id = @id;
