-- Access records: who read or changed which household's data (or the directory), with which
-- outcome, and when; each chained by hash to the one before it in its chain.

-- name: AuditInsert :exec
INSERT INTO audit_events (id, at, professional_id, device_id, action, household_id, request_id, subject_id,
    actor_kind, organization_id, role, issuer, object_kind, object_id, outcome, reason, chain_id, seq, prev_hash, hash)
VALUES (@id, @at, @professional_id, @device_id, @action, @household_id, @request_id, @subject_id,
    @actor_kind, @organization_id, @role, @issuer, @object_kind, @object_id, @outcome, @reason, @chain_id, @seq, @prev_hash, @hash);

-- name: AuditListByHousehold :many
SELECT * FROM audit_events WHERE household_id = @household_id ORDER BY at, id;

-- name: AuditHeadEnsureMany :exec
INSERT INTO audit_chain_heads (chain_id, seq, hash)
SELECT value, 0, '' FROM json_each(CAST(@chain_ids AS TEXT)) WHERE true
ON CONFLICT (chain_id) DO NOTHING;

-- name: AuditHeadGetMany :many
SELECT chain_id, seq, hash FROM audit_chain_heads WHERE chain_id IN (SELECT value FROM json_each(CAST(@chain_ids AS TEXT))) ORDER BY chain_id;

-- SQLite runs one write transaction at a time, so the head read in the same transaction is
-- still the head.
-- name: AuditHeadUpsert :exec
INSERT INTO audit_chain_heads (chain_id, seq, hash) VALUES (@chain_id, @seq, @hash)
ON CONFLICT (chain_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;

-- name: AuditHeadList :many
SELECT chain_id, seq, hash FROM audit_chain_heads ORDER BY chain_id;

-- name: AuditListPage :many
SELECT * FROM audit_events
WHERE (chain_id, seq, id) > (CAST(@after_chain_id AS TEXT), CAST(@after_seq AS INTEGER), CAST(@after_id AS TEXT))
ORDER BY chain_id, seq, id
LIMIT @lim;

-- name: AuditCheckpointInsert :exec
INSERT INTO audit_checkpoints (id, at, key_id, body, signature) VALUES (@id, @at, @key_id, @body, @signature);

-- name: AuditCheckpointList :many
SELECT * FROM audit_checkpoints ORDER BY at, id;

-- The access log for a privacy officer: optionally one organization's staff, one household,
-- one professional; entries after (after_at, after_id) and before until_at, by at, then id.
-- name: AuditList :many
SELECT * FROM audit_events
WHERE (CAST(@organization_id AS TEXT) = '' OR organization_id = @organization_id)
  AND (CAST(@household_id AS TEXT) = '' OR household_id = @household_id)
  AND (CAST(@professional_id AS TEXT) = '' OR professional_id = @professional_id)
  AND (at, id) > (CAST(@after_at AS INTEGER), CAST(@after_id AS TEXT))
  AND at < CAST(@until_at AS INTEGER)
ORDER BY at, id
LIMIT @lim;

-- Whether an organization works on a household: one of its professionals is in the care team.
-- name: HouseholdOrganizationInvolved :one
SELECT EXISTS (
    SELECT 1 FROM care_team_members c JOIN professionals p ON p.id = c.professional_id
    WHERE c.household_id = @household_id AND p.organization_id = @organization_id
) AS involved;
