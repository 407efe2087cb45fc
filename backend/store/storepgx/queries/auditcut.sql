-- Retention of the access log (issue 12): the oldest entries of one chain, the cut that
-- deletes them, and the cuts verify starts the chains at.

-- The entries of one chain from a position on, in chain order.
-- name: AuditListChain :many
SELECT * FROM audit_events
WHERE chain_id = @chain_id AND seq >= @from_seq::int8
ORDER BY seq, id
LIMIT @lim;

-- name: AuditDeleteBefore :execrows
DELETE FROM audit_events WHERE chain_id = @chain_id AND seq < @before_seq::int8;

-- name: AuditCutInsert :exec
INSERT INTO audit_cuts (chain_id, first_kept_position, last_deleted_hash, cut_at, deleted_count, key_id, signature)
VALUES (@chain_id, @first_kept_position, @last_deleted_hash, @cut_at, @deleted_count, @key_id, @signature);

-- name: AuditCutLatest :many
SELECT * FROM audit_cuts WHERE chain_id = @chain_id ORDER BY first_kept_position DESC LIMIT 1;

-- The latest cut of every chain that has one, by chain id.
-- name: AuditCutListLatest :many
SELECT c.* FROM audit_cuts c
WHERE c.first_kept_position = (SELECT max(l.first_kept_position) FROM audit_cuts l WHERE l.chain_id = c.chain_id)
ORDER BY c.chain_id;
