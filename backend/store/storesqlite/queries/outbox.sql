-- OutboxInsertRecipient queues one push per device of a professional, or of every supervisor
-- who is a member of a team (the other id is '').
-- name: OutboxInsertRecipient :exec
INSERT INTO push_outbox (notice_id, token, professional_id, kind, ref, urgent, overdue, escalated, concerns,
    status, attempts, next_attempt_at, created_at)
SELECT @notice_id, d.token, d.professional_id, @kind, @ref, @urgent, @overdue, @escalated, @concerns,
    'pending', 0, @now, @now
FROM devices d
WHERE d.professional_id = @professional_id
   OR d.professional_id IN (
        SELECT m.professional_id FROM team_members m JOIN professionals p ON p.id = m.professional_id
        WHERE m.team_id = @supervisors_of_team AND p.role = 'supervisor')
ON CONFLICT (notice_id, token) DO NOTHING;

-- OutboxInsertViewers queues one "please sync" push per device of everyone who may see the
-- household; household_viewers holds each viewer once, and a token has one professional.
-- name: OutboxInsertViewers :exec
INSERT INTO push_outbox (notice_id, token, professional_id, kind, ref, urgent, status, attempts, next_attempt_at, created_at)
SELECT @notice_id, d.token, d.professional_id, 'sync', '', 0, 'pending', 0, @now, @now
FROM household_viewers v JOIN devices d ON d.professional_id = v.professional_id
WHERE v.household_id = @household_id
ON CONFLICT (notice_id, token) DO NOTHING;

-- OutboxClaim leases pending pushes through the partial index push_outbox_ready: next_attempt_at
-- moves to the end of the lease and attempts goes up by one.
-- name: OutboxClaim :many
UPDATE push_outbox SET next_attempt_at = @lease_until, attempts = attempts + 1
WHERE (notice_id, token) IN (
    SELECT o.notice_id, o.token FROM push_outbox o
    WHERE o.status = 'pending' AND o.next_attempt_at <= @now
    ORDER BY o.next_attempt_at LIMIT @max
)
RETURNING *;

-- OutboxFinish records one outcome, unless another replica's lease took the push over (its
-- attempts moved on).
-- name: OutboxFinish :exec
UPDATE push_outbox SET status = @status,
    next_attempt_at = CASE WHEN @status = 'pending' THEN CAST(@next_attempt_at AS INTEGER) ELSE @now END,
    last_error = @reason,
    finished_at = CASE WHEN @status = 'pending' THEN NULL ELSE @now END
WHERE notice_id = @notice_id AND token = @token AND attempts = @attempt AND status = 'pending';

-- OutboxLeadCancel finishes the lead pushes (of step-0 notices) of re-routed alerts that have
-- not gone out, except the new lead's.
-- name: OutboxLeadCancel :exec
UPDATE push_outbox SET status = 'cancelled', last_error = @reason, next_attempt_at = @now, finished_at = @now
WHERE status = 'pending' AND professional_id <> @keep
    AND notice_id IN (SELECT n.id FROM notices n
        WHERE n.alert_id IN (SELECT value FROM json_each(CAST(@alert_ids AS TEXT))) AND n.step = 0);

-- name: OutboxList :many
SELECT * FROM push_outbox WHERE notice_id = @notice_id ORDER BY token;
