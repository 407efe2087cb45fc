-- Supervisors' digests: what is open in their teams, once per slot.

-- name: DigestGet :one
SELECT * FROM digests WHERE professional_id = @professional_id AND slot_at = @slot_at;

-- DigestCount counts over the teams the professional is a member of.
-- name: DigestCount :one
SELECT
    (SELECT count(*) FROM alerts a
        JOIN team_members tm ON tm.team_id = a.team_id AND tm.professional_id = @professional_id::text
     WHERE a.acknowledged_at IS NULL AND a.step = 0 AND a.kind = 'overdue') AS overdue,
    (SELECT count(*) FROM alerts a
        JOIN team_members tm ON tm.team_id = a.team_id AND tm.professional_id = @professional_id::text
     WHERE a.acknowledged_at IS NULL AND (a.step > 0 OR a.kind <> 'overdue')) AS escalated,
    (SELECT count(*) FROM check_ins c
        JOIN households h ON h.id = c.household_id
        JOIN team_members tm ON tm.team_id = h.team_id AND tm.professional_id = @professional_id::text
     WHERE c.outcome IN ('concerns', 'unsafe') AND c.recorded_at > @since::timestamptz
        AND c.recorded_at <= @slot_at::timestamptz) AS concerns;

-- name: DigestInsert :exec
INSERT INTO digests (professional_id, slot_at, overdue, escalated, concerns, notice_id, created_at)
VALUES (@professional_id, @slot_at, @overdue, @escalated, @concerns, @notice_id, @created_at);
