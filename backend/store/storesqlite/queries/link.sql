-- name: LinkInsert :exec
INSERT INTO check_in_links (id, token_hash, household_id, schedule_id, created_by, created_at, expires_at,
    pin_hash, duress_pin_hash)
VALUES (@id, @token_hash, @household_id, @schedule_id, @created_by, @created_at, @expires_at,
    @pin_hash, @duress_pin_hash);

-- name: LinkGetByTokenHash :one
SELECT * FROM check_in_links WHERE token_hash = @token_hash;

-- name: LinkListByHousehold :many
SELECT * FROM check_in_links WHERE household_id = @household_id ORDER BY created_at DESC, id DESC;

-- name: LinkRevoke :one
UPDATE check_in_links SET revoked_at = coalesce(revoked_at, CAST(@now AS INTEGER))
WHERE id = @id AND household_id = @household_id
RETURNING *;

-- name: LinkPINFailed :one
UPDATE check_in_links SET failed_pins = failed_pins + 1,
    locked_at = CASE WHEN locked_at IS NULL AND failed_pins + 1 >= @max_failed THEN CAST(@now AS INTEGER) ELSE locked_at END
WHERE id = @id
RETURNING *;

-- name: LinkUsed :exec
UPDATE check_in_links SET last_used_at = CAST(@now AS INTEGER) WHERE id = @id;
