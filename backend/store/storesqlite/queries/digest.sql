-- name: DigestGet :one
SELECT * FROM digests WHERE professional_id = @professional_id AND slot_at = @slot_at;

-- DigestCount counts over the teams the supervisor is a member of.
-- name: DigestCount :one
SELECT
    (SELECT count(*) FROM alerts a JOIN team_members m ON m.team_id = a.team_id
     WHERE m.professional_id = @professional_id AND a.acknowledged_at IS NULL AND a.step = 0 AND a.kind = 'overdue'
    ) AS overdue,
    (SELECT count(*) FROM alerts a JOIN team_members m ON m.team_id = a.team_id
     WHERE m.professional_id = @professional_id AND a.acknowledged_at IS NULL AND (a.step > 0 OR a.kind <> 'overdue')
    ) AS escalated,
    (SELECT count(*) FROM check_ins c JOIN households h ON h.id = c.household_id
     JOIN team_members m ON m.team_id = h.team_id
     WHERE m.professional_id = @professional_id AND c.outcome IN ('concerns', 'unsafe')
       AND c.recorded_at > @since AND c.recorded_at <= @slot_at
    ) AS concerns;

-- name: DigestInsert :exec
INSERT INTO digests (professional_id, slot_at, overdue, escalated, concerns, notice_id, created_at)
VALUES (@professional_id, @slot_at, @overdue, @escalated, @concerns, @notice_id, @created_at);
