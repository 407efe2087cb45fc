-- name: EscalationPolicyUpsert :exec
INSERT INTO escalation_policies (scope_id, supervisor_after_secs, on_call_after_secs, on_call_professional_id, updated_at)
VALUES (@scope_id, @supervisor_after_secs, @on_call_after_secs, @on_call_professional_id, @updated_at)
ON CONFLICT (scope_id) DO UPDATE SET supervisor_after_secs = excluded.supervisor_after_secs,
    on_call_after_secs = excluded.on_call_after_secs, on_call_professional_id = excluded.on_call_professional_id,
    updated_at = excluded.updated_at;

-- name: EscalationPolicyList :many
SELECT * FROM escalation_policies ORDER BY scope_id;
