-- name: ScheduleGet :one
SELECT * FROM schedules WHERE id = @id;

-- name: ScheduleListMany :many
SELECT * FROM schedules WHERE id IN (SELECT value FROM json_each(CAST(@ids AS TEXT))) ORDER BY id;

-- ScheduleUpsert writes every column but id, household_id, created_at and last_check_in_at of
-- an existing row; a new row learns the household's latest check-in.
-- name: ScheduleUpsert :one
INSERT INTO schedules (id, household_id, rule, time_zone, local_time, window_end, grace_minutes, channel,
    lead_professional_id, paused, start_date, end_date, next_due_at, overdue_at, opens_at, last_check_in_at,
    version, created_at, updated_at)
VALUES (@id, @household_id, @rule, @time_zone, @local_time, @window_end, @grace_minutes, @channel,
    @lead_professional_id, @paused, @start_date, @end_date, @next_due_at, @overdue_at, @opens_at,
    (SELECT max(c.recorded_at) FROM check_ins c WHERE c.household_id = @household_id),
    @version, @now, @now)
ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, time_zone = excluded.time_zone, local_time = excluded.local_time,
    window_end = excluded.window_end, grace_minutes = excluded.grace_minutes, channel = excluded.channel,
    lead_professional_id = excluded.lead_professional_id, paused = excluded.paused, start_date = excluded.start_date,
    end_date = excluded.end_date, next_due_at = excluded.next_due_at, overdue_at = excluded.overdue_at,
    opens_at = excluded.opens_at, version = excluded.version, updated_at = excluded.updated_at
RETURNING *;

-- name: ScheduleListByHousehold :many
SELECT * FROM schedules WHERE household_id = @household_id ORDER BY id;

-- name: ScheduleListChanged :many
SELECT * FROM schedules WHERE household_id = @household_id AND version > @after AND version <= @up_to ORDER BY version, id;

-- ScheduleClaimDue reads the partial index schedules_overdue from its low end, so its cost
-- grows with what is due. No FOR UPDATE: the write transaction holds SQLite's only write lock.
-- name: ScheduleClaimDue :many
SELECT * FROM schedules
WHERE overdue_at IS NOT NULL AND overdue_at <= CAST(@now AS INTEGER)
ORDER BY overdue_at, id LIMIT @max;

-- name: ScheduleAdvance :exec
UPDATE schedules SET next_due_at = @next_due_at, overdue_at = @overdue_at, opens_at = @opens_at WHERE id = @id;

-- name: ScheduleCheckIn :exec
UPDATE schedules SET last_check_in_at = CAST(@at AS INTEGER)
WHERE household_id = @household_id AND (last_check_in_at IS NULL OR last_check_in_at < @at);

-- ScheduleLeadReroute re-routes a household's schedules after a care-team change: those led
-- by the former lead or by someone no longer in the care team (an empty lead means "the
-- household's lead" and stays). The version stamp makes the next pull send them.
-- name: ScheduleLeadReroute :exec
UPDATE schedules SET lead_professional_id = @lead, version = @version, updated_at = @now
WHERE schedules.household_id = @household_id AND schedules.lead_professional_id <> ''
    AND schedules.lead_professional_id <> @lead
    AND (schedules.lead_professional_id = @former OR NOT EXISTS (
        SELECT 1 FROM care_team_members m
        WHERE m.household_id = schedules.household_id AND m.professional_id = schedules.lead_professional_id));

-- ScheduleStopByHousehold stops a closed household's schedules: nothing is due, so detection
-- never claims them; the version stamp makes the next pull send them.
-- name: ScheduleStopByHousehold :exec
UPDATE schedules SET next_due_at = NULL, overdue_at = NULL, opens_at = NULL, version = @version, updated_at = @now
WHERE household_id = @household_id;
