-- Schedules: when a household's safety must be confirmed, and the scheduler's claims of those
-- that became overdue.
--
-- The scheduler's claims use SELECT … FOR UPDATE SKIP LOCKED (CockroachDB ≥ 22.2, PostgreSQL
-- ≥ 9.5): replicas that claim at the same moment take disjoint rows instead of queueing behind
-- each other. The locks live only as long as the claiming transaction, which also writes the
-- outcome, so a replica killed mid-batch loses nothing: its transaction rolls back and the rows
-- are claimable again at once.

-- name: ScheduleGet :one
SELECT * FROM schedules WHERE id = @id;

-- name: ScheduleListMany :many
SELECT * FROM schedules WHERE id = ANY(@ids::text[]) ORDER BY id;

-- ScheduleUpsert never moves a schedule to another household: a conflicting id of another
-- household updates nothing and returns no row.
-- name: ScheduleUpsert :one
INSERT INTO schedules (id, household_id, rule, time_zone, local_time, grace_minutes, channel, lead_professional_id,
    paused, start_date, end_date, next_due_at, version, created_at, updated_at, overdue_at, opens_at,
    last_check_in_at, window_end)
VALUES (@id, @household_id, @rule, @time_zone, @local_time, @grace_minutes, @channel, @lead_professional_id,
    @paused, @start_date, @end_date, @next_due_at, @version, @now, @now, @overdue_at, @opens_at,
    (SELECT max(recorded_at) FROM check_ins WHERE check_ins.household_id = @household_id), @window_end)
ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, time_zone = excluded.time_zone, local_time = excluded.local_time,
    grace_minutes = excluded.grace_minutes, channel = excluded.channel,
    lead_professional_id = excluded.lead_professional_id, paused = excluded.paused,
    start_date = excluded.start_date, end_date = excluded.end_date, next_due_at = excluded.next_due_at,
    version = excluded.version, updated_at = excluded.updated_at, overdue_at = excluded.overdue_at,
    opens_at = excluded.opens_at, window_end = excluded.window_end
WHERE schedules.household_id = excluded.household_id
RETURNING *;

-- name: ScheduleListByHousehold :many
SELECT * FROM schedules WHERE household_id = @household_id ORDER BY id;

-- name: ScheduleListChanged :many
SELECT * FROM schedules WHERE household_id = @household_id AND version > @after AND version <= @up_to ORDER BY version, id;

-- Detection reads schedules_overdue from its low end: the cost grows with what is due.
-- name: ScheduleClaimDue :many
SELECT * FROM schedules WHERE overdue_at IS NOT NULL AND overdue_at <= @now::timestamptz
ORDER BY overdue_at LIMIT @max_rows FOR UPDATE SKIP LOCKED;

-- name: ScheduleAdvanceMany :exec
UPDATE schedules SET next_due_at = u.next_due_at, overdue_at = u.overdue_at, opens_at = u.opens_at
FROM (SELECT unnest(@id::text[]) AS id, unnest(@next_due_at::TIMESTAMP WITH TIME ZONE[]) AS next_due_at,
        unnest(@overdue_at::TIMESTAMP WITH TIME ZONE[]) AS overdue_at,
        unnest(@opens_at::TIMESTAMP WITH TIME ZONE[]) AS opens_at) AS u
WHERE schedules.id = u.id;

-- ScheduleLeadReroute re-routes a household's schedules after a care-team change: those led
-- by the former lead or by someone no longer in the care team (an empty lead means "the
-- household's lead" and stays). The version stamp makes the next pull send them.
-- name: ScheduleLeadReroute :exec
UPDATE schedules SET lead_professional_id = @lead::text, version = @version, updated_at = @now
WHERE schedules.household_id = @household_id AND schedules.lead_professional_id <> ''
    AND schedules.lead_professional_id <> @lead::text
    AND (schedules.lead_professional_id = @former::text OR NOT EXISTS (
        SELECT 1 FROM care_team_members m
        WHERE m.household_id = schedules.household_id AND m.professional_id = schedules.lead_professional_id));

-- name: ScheduleCheckInMany :exec
UPDATE schedules SET last_check_in_at = c.at
FROM (SELECT u.household_id, max(u.at) AS at
      FROM (SELECT unnest(@household_id::text[]) AS household_id, unnest(@at::timestamptz[]) AS at) AS u
      GROUP BY u.household_id) AS c
WHERE schedules.household_id = c.household_id
    AND (schedules.last_check_in_at IS NULL OR schedules.last_check_in_at < c.at);

-- ScheduleStopByHousehold stops a closed household's schedules: nothing is due, so detection
-- never claims them; the version stamp makes the next pull send them.
-- name: ScheduleStopByHousehold :exec
UPDATE schedules SET next_due_at = NULL, overdue_at = NULL, opens_at = NULL, version = @version, updated_at = @now
WHERE household_id = @household_id;
