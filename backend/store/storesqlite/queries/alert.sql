-- AlertInsert takes team_id from the household and organization_id from the lead (the given one
-- without a lead); it inserts nothing for an unknown household or an existing id.
-- name: AlertInsert :execrows
INSERT INTO alerts (id, kind, schedule_id, household_id, team_id, organization_id, lead_id, due_at, step,
    next_step_at, created_at)
SELECT @id, @kind, @schedule_id, h.id, h.team_id,
    coalesce((SELECT p.organization_id FROM professionals p WHERE p.id = @lead_id), CAST(@organization_id AS TEXT)),
    @lead_id, @due_at, 0, @next_step_at, @now
FROM households h WHERE h.id = @household_id
ON CONFLICT (id) DO NOTHING;

-- AlertLeadReroute re-routes a household's open alerts after a care-team change: those led by
-- the former lead, by nobody, or by someone no longer in the care team. Re-routed to nobody,
-- an alert at the lead step becomes due for escalation now.
-- name: AlertLeadReroute :many
UPDATE alerts SET lead_id = @lead,
    organization_id = coalesce((SELECT p.organization_id FROM professionals p WHERE p.id = @lead), alerts.organization_id),
    next_step_at = CASE WHEN @lead = '' AND alerts.step = 0 THEN CAST(@now AS INTEGER) ELSE alerts.next_step_at END
WHERE alerts.household_id = @household_id AND alerts.acknowledged_at IS NULL AND alerts.lead_id <> @lead
    AND (alerts.lead_id = @former OR NOT EXISTS (
        SELECT 1 FROM care_team_members m WHERE m.household_id = alerts.household_id AND m.professional_id = alerts.lead_id))
RETURNING *;

-- name: AlertGet :one
SELECT * FROM alerts WHERE id = @id;

-- name: AlertListByHousehold :many
SELECT * FROM alerts WHERE household_id = @household_id ORDER BY created_at DESC, id DESC LIMIT @max;

-- AlertClaimDue reads the partial index alerts_next_step from its low end, like
-- ScheduleClaimDue.
-- name: AlertClaimDue :many
SELECT * FROM alerts
WHERE next_step_at IS NOT NULL AND next_step_at <= CAST(@now AS INTEGER)
ORDER BY next_step_at, id LIMIT @max;

-- name: AlertStep :exec
UPDATE alerts SET step = @step, next_step_at = @next_step_at WHERE id = @id;

-- name: AlertAcknowledge :one
UPDATE alerts SET next_step_at = NULL,
    acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN @acknowledged_by ELSE acknowledged_by END,
    acknowledged_at = coalesce(acknowledged_at, CAST(@now AS INTEGER))
WHERE id = @id
RETURNING *;

-- name: AlertAcknowledgeOverdueMany :exec
UPDATE alerts SET acknowledged_at = CAST(@now AS INTEGER), acknowledged_by = @acknowledged_by, next_step_at = NULL
WHERE household_id IN (SELECT value FROM json_each(CAST(@household_ids AS TEXT)))
  AND acknowledged_at IS NULL AND kind = 'overdue';

-- AlertEndByHousehold ends a closed household's open alerts: acknowledged by whoever closed
-- it, they escalate no further.
-- name: AlertEndByHousehold :exec
UPDATE alerts SET acknowledged_at = CAST(@now AS INTEGER), acknowledged_by = @by, next_step_at = NULL
WHERE household_id = @household_id AND acknowledged_at IS NULL;
