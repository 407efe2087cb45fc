-- The push outbox, the device tokens it addresses, and the pending "please sync" pokes.
--
-- One outbox row per notice and device token. next_attempt_at doubles as a time lease: the
-- work (a network call to FCM) happens outside any transaction, so claiming a row moves it to
-- the end of the lease, and a replica that dies holding it only delays it.

-- OutboxInsertMany addresses each recipient either to a professional or, with
-- supervisors_of_team set, to every supervisor who is a member of that team.
-- name: OutboxInsertMany :exec
INSERT INTO push_outbox (notice_id, token, professional_id, kind, ref, urgent, overdue, escalated, concerns,
    status, attempts, next_attempt_at, created_at)
SELECT r.notice_id, d.token, d.professional_id, r.kind, r.ref, r.urgent, r.overdue, r.escalated, r.concerns,
    'pending', 0, @now::timestamptz, @now::timestamptz
FROM (
    SELECT n.notice_id, n.kind, n.ref, n.urgent, n.overdue, n.escalated, n.concerns,
        CASE WHEN n.team_id = '' THEN n.professional_id ELSE tm.professional_id END AS professional_id
    FROM (SELECT unnest(@notice_id::text[]) AS notice_id, unnest(@professional_id::text[]) AS professional_id,
            unnest(@supervisors_of_team::text[]) AS team_id, unnest(@kind::text[]) AS kind,
            unnest(@ref::text[]) AS ref, unnest(@urgent::bool[]) AS urgent, unnest(@overdue::int4[]) AS overdue,
            unnest(@escalated::int4[]) AS escalated, unnest(@concerns::int4[]) AS concerns) AS n
    LEFT JOIN team_members tm ON tm.team_id = n.team_id
    LEFT JOIN professionals p ON p.id = tm.professional_id
    WHERE n.team_id = '' OR p.role = 'supervisor'
) AS r
JOIN devices d ON d.professional_id = r.professional_id
ON CONFLICT (notice_id, token) DO NOTHING;

-- OutboxInsertViewers addresses each poke to every device of every professional who may see
-- its household (household_viewers). The join alone would make PostgreSQL build the whole
-- view (a UNION is not joined into per row); the filter on the view's household_id reaches
-- both branches of the UNION and their primary keys, so the cost follows the pokes, not all
-- households (measured with EXPLAIN ANALYZE on 100,000 households: 450 ms without it, 1 ms
-- with it).
-- name: OutboxInsertViewers :exec
INSERT INTO push_outbox (notice_id, token, professional_id, kind, ref, urgent, status, attempts, next_attempt_at,
    created_at)
SELECT n.notice_id, d.token, d.professional_id, 'sync', '', false, 'pending', 0, @now::timestamptz, @now::timestamptz
FROM (SELECT unnest(@notice_id::text[]) AS notice_id, unnest(@household_id::text[]) AS household_id) AS n
JOIN household_viewers v ON v.household_id = n.household_id
JOIN devices d ON d.professional_id = v.professional_id
WHERE v.household_id = ANY(@household_id::text[])
ON CONFLICT (notice_id, token) DO NOTHING;

-- name: OutboxClaim :many
UPDATE push_outbox SET next_attempt_at = @lease_until, attempts = attempts + 1
WHERE (notice_id, token) IN (
    SELECT o.notice_id, o.token FROM push_outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= @now
    ORDER BY o.next_attempt_at LIMIT @max_rows FOR UPDATE SKIP LOCKED)
RETURNING *;

-- OutboxFinishMany records outcomes only of pushes still pending at the claimed attempt, so a
-- replica whose lease ran out cannot overwrite a newer attempt's outcome.
-- name: OutboxFinishMany :exec
UPDATE push_outbox SET status = r.status,
    next_attempt_at = CASE WHEN r.status = 'pending' THEN r.next_attempt_at ELSE @now::timestamptz END,
    last_error = r.reason,
    finished_at = CASE WHEN r.status = 'pending' THEN NULL ELSE @now::timestamptz END
FROM (SELECT unnest(@notice_id::text[]) AS notice_id, unnest(@token::text[]) AS token,
        unnest(@attempt::int4[]) AS attempt, unnest(@status::text[]) AS status,
        unnest(@next_attempt_at::timestamptz[]) AS next_attempt_at, unnest(@reason::text[]) AS reason) AS r
WHERE push_outbox.notice_id = r.notice_id AND push_outbox.token = r.token
    AND push_outbox.attempts = r.attempt AND push_outbox.status = 'pending';

-- OutboxLeadCancel finishes the lead pushes (of step-0 notices, found through notices_alert
-- and the outbox's primary key) of re-routed alerts that have not gone out, except the new
-- lead's.
-- name: OutboxLeadCancel :exec
UPDATE push_outbox SET status = 'cancelled', last_error = @reason, next_attempt_at = @now::timestamptz,
    finished_at = @now::timestamptz
WHERE push_outbox.status = 'pending' AND push_outbox.professional_id <> @keep::text
    AND push_outbox.notice_id IN (SELECT n.id FROM notices n WHERE n.alert_id = ANY(@alert_ids::text[]) AND n.step = 0);

-- name: OutboxList :many
SELECT * FROM push_outbox WHERE notice_id = @notice_id ORDER BY token;

-- DeviceUpsert registers a token to a professional, or refreshes the platform and updated_at
-- of a token that professional holds already. A token another professional holds is left as
-- it is (each CASE keeps the stored value), and RETURNING names its holder, so that the core
-- refuses the takeover. It is one statement so that two registrations of one token at once
-- cannot both win: the second waits on the first's row (or, under SERIALIZABLE, is retried)
-- and sees its holder.
-- name: DeviceUpsert :one
INSERT INTO devices (token, professional_id, platform, updated_at) VALUES (@token, @professional_id, @platform, @updated_at)
ON CONFLICT (token) DO UPDATE SET
    platform = CASE WHEN devices.professional_id = excluded.professional_id THEN excluded.platform ELSE devices.platform END,
    updated_at = CASE WHEN devices.professional_id = excluded.professional_id THEN excluded.updated_at ELSE devices.updated_at END
RETURNING professional_id;

-- name: DeviceDelete :exec
DELETE FROM devices WHERE token = @token AND professional_id = @professional_id;

-- name: DeviceDeleteByTokens :exec
DELETE FROM devices WHERE token = ANY(@tokens::text[]);

-- name: DeviceListByProfessional :many
SELECT * FROM devices WHERE professional_id = @professional_id ORDER BY token;

-- SyncPokeTake drains pending pokes; replicas draining at once take disjoint rows.
-- name: SyncPokeTake :many
WITH taken AS (
    DELETE FROM sync_pokes WHERE household_id IN (
        SELECT s.household_id FROM sync_pokes s ORDER BY s.household_id LIMIT @max_rows FOR UPDATE SKIP LOCKED)
    RETURNING household_id, version
)
SELECT household_id, version FROM taken ORDER BY household_id;
