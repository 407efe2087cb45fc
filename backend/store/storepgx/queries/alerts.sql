-- Alerts (a missed check or an urgent call), their notices (one per step: the primary key is
-- what makes noticing exactly-once) and escalation policies.

-- AlertInsertMany takes team_id from the household and organization_id from the lead (the given
-- one without a lead); alerts of unknown households are not inserted.
-- name: AlertInsertMany :many
INSERT INTO alerts (id, kind, schedule_id, household_id, team_id, organization_id, lead_id, due_at, step,
    next_step_at, created_at)
SELECT a.id, a.kind, a.schedule_id, a.household_id, h.team_id, COALESCE(p.organization_id, a.organization_id),
    a.lead_id, a.due_at, 0, a.next_step_at, @now::timestamptz
FROM (SELECT unnest(@id::text[]) AS id, unnest(@kind::text[]) AS kind, unnest(@schedule_id::text[]) AS schedule_id,
        unnest(@household_id::text[]) AS household_id, unnest(@lead_id::text[]) AS lead_id,
        unnest(@organization_id::text[]) AS organization_id, unnest(@due_at::timestamptz[]) AS due_at,
        unnest(@next_step_at::TIMESTAMP WITH TIME ZONE[]) AS next_step_at) AS a
JOIN households h ON h.id = a.household_id
LEFT JOIN professionals p ON p.id = a.lead_id
ON CONFLICT (id) DO NOTHING
RETURNING id;

-- AlertLeadReroute re-routes a household's open alerts after a care-team change: those led by
-- the former lead, by nobody, or by someone no longer in the care team. Re-routed to nobody,
-- an alert at the lead step becomes due for escalation now. It reads the household's alerts
-- through alerts_household.
-- name: AlertLeadReroute :many
UPDATE alerts SET lead_id = @lead::text,
    organization_id = COALESCE((SELECT p.organization_id FROM professionals p WHERE p.id = @lead::text), alerts.organization_id),
    next_step_at = CASE WHEN @lead::text = '' AND alerts.step = 0 THEN @now::timestamptz ELSE alerts.next_step_at END
WHERE alerts.household_id = @household_id AND alerts.acknowledged_at IS NULL AND alerts.lead_id <> @lead::text
    AND (alerts.lead_id = @former::text OR NOT EXISTS (
        SELECT 1 FROM care_team_members m WHERE m.household_id = alerts.household_id AND m.professional_id = alerts.lead_id))
RETURNING *;

-- name: AlertGet :one
SELECT * FROM alerts WHERE id = @id;

-- name: AlertListByHousehold :many
SELECT * FROM alerts WHERE household_id = @household_id ORDER BY created_at DESC, id DESC LIMIT @max_rows;

-- Escalation reads alerts_next_step from its low end, like detection (see schedules.sql).
-- name: AlertClaimDue :many
SELECT * FROM alerts WHERE next_step_at IS NOT NULL AND next_step_at <= @now::timestamptz
ORDER BY next_step_at LIMIT @max_rows FOR UPDATE SKIP LOCKED;

-- name: AlertStepMany :exec
UPDATE alerts SET step = u.step, next_step_at = u.next_step_at
FROM (SELECT unnest(@id::text[]) AS id, unnest(@step::int4[]) AS step,
        unnest(@next_step_at::TIMESTAMP WITH TIME ZONE[]) AS next_step_at) AS u
WHERE alerts.id = u.id;

-- name: AlertAcknowledge :one
UPDATE alerts SET next_step_at = NULL,
    acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN @by::text ELSE acknowledged_by END,
    acknowledged_at = COALESCE(acknowledged_at, @now::timestamptz)
WHERE id = @id
RETURNING *;

-- name: AlertAcknowledgeOverdueMany :exec
UPDATE alerts SET acknowledged_at = @now::timestamptz, acknowledged_by = @by, next_step_at = NULL
WHERE household_id = ANY(@household_ids::text[]) AND acknowledged_at IS NULL AND kind = 'overdue';

-- name: NoticeInsertMany :many
INSERT INTO notices (id, alert_id, step, created_at)
SELECT unnest(@id::text[]), unnest(@alert_id::text[]), unnest(@step::int4[]), @now::timestamptz
ON CONFLICT (id) DO NOTHING
RETURNING id;

-- name: NoticeList :many
SELECT * FROM notices WHERE alert_id = @alert_id ORDER BY step, id;

-- name: EscalationPolicyUpsert :exec
INSERT INTO escalation_policies (scope_id, supervisor_after_secs, on_call_after_secs, on_call_professional_id, updated_at)
VALUES (@scope_id, @supervisor_after_secs, @on_call_after_secs, @on_call_professional_id, @updated_at)
ON CONFLICT (scope_id) DO UPDATE SET supervisor_after_secs = excluded.supervisor_after_secs,
    on_call_after_secs = excluded.on_call_after_secs, on_call_professional_id = excluded.on_call_professional_id,
    updated_at = excluded.updated_at;

-- name: EscalationPolicyList :many
SELECT * FROM escalation_policies ORDER BY scope_id;

-- AlertEndByHousehold ends a closed household's open alerts: acknowledged by whoever closed
-- it, they escalate no further.
-- name: AlertEndByHousehold :exec
UPDATE alerts SET acknowledged_at = @now::timestamptz, acknowledged_by = @by, next_step_at = NULL
WHERE household_id = @household_id AND acknowledged_at IS NULL;
