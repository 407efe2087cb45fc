-- What waits in the database, read at every metrics scrape (package backend/metrics): each
-- statement reads one partial index over the waiting rows only, so its cost follows the
-- backlog, never the size of the tables.

-- OutboxBacklog counts the pending pushes (push_outbox_ready holds exactly those) and the
-- creation time of the oldest; @now when there is none, so its age is 0.
-- name: OutboxBacklog :one
SELECT count(*)::int8 AS waiting, COALESCE(min(created_at), @now::timestamptz)::timestamptz AS oldest
FROM push_outbox WHERE status = 'pending';

-- OverdueBacklog counts the overdue checks detection has not noticed yet (schedules_overdue)
-- and the alerts whose next escalation step is due and not taken yet (alerts_next_step).
-- name: OverdueBacklog :one
SELECT (SELECT count(*) FROM schedules s WHERE s.overdue_at IS NOT NULL AND s.overdue_at <= @now::timestamptz)::int8 AS checks,
    (SELECT count(*) FROM alerts a WHERE a.next_step_at IS NOT NULL AND a.next_step_at <= @now::timestamptz)::int8 AS steps;
