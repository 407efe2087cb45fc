-- Access records: who read or changed which household's data (or the directory), with which
-- outcome, and when; each chained by hash to the one before it in its chain.

-- name: AuditInsertMany :exec
INSERT INTO audit_events (id, at, professional_id, device_id, action, household_id, request_id, subject_id,
    actor_kind, organization_id, role, issuer, object_kind, object_id, outcome, reason, chain_id, seq, prev_hash, hash)
SELECT unnest(@id::text[]), unnest(@at::timestamptz[]), unnest(@professional_id::text[]), unnest(@device_id::text[]),
    unnest(@action::text[]), unnest(@household_id::text[]), unnest(@request_id::text[]), unnest(@subject_id::text[]),
    unnest(@actor_kind::text[]), unnest(@organization_id::text[]), unnest(@role::text[]), unnest(@issuer::text[]),
    unnest(@object_kind::text[]), unnest(@object_id::text[]), unnest(@outcome::text[]), unnest(@reason::text[]),
    unnest(@chain_id::text[]), unnest(@seq::int8[]), unnest(@prev_hash::text[]), unnest(@hash::text[]);

-- name: AuditListByHousehold :many
SELECT * FROM audit_events WHERE household_id = @household_id ORDER BY at, id;

-- An append locks the heads it moves before it reads them (AuditHeadEnsureMany creates a new
-- chain's head first, so there is a row to lock): concurrent appends to one chain queue on
-- that row at any isolation, READ COMMITTED included (a push), and each reads the head the
-- one before it wrote.
-- name: AuditHeadEnsureMany :exec
INSERT INTO audit_chain_heads (chain_id, seq, hash)
SELECT unnest(@chain_id::text[]), 0, ''
ON CONFLICT (chain_id) DO NOTHING;

-- name: AuditHeadLockMany :many
SELECT chain_id, seq, hash FROM audit_chain_heads WHERE chain_id = ANY(@chain_id::text[]) ORDER BY chain_id FOR UPDATE;

-- name: AuditHeadUpsertMany :exec
INSERT INTO audit_chain_heads (chain_id, seq, hash)
SELECT unnest(@chain_id::text[]), unnest(@seq::int8[]), unnest(@hash::text[])
ON CONFLICT (chain_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;

-- name: AuditHeadList :many
SELECT chain_id, seq, hash FROM audit_chain_heads ORDER BY chain_id;

-- name: AuditListPage :many
SELECT * FROM audit_events
WHERE (chain_id, seq, id) > (@after_chain_id::text, @after_seq::int8, @after_id::text)
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
WHERE (@organization_id::text = '' OR organization_id = @organization_id::text)
  AND (@household_id::text = '' OR household_id = @household_id::text)
  AND (@professional_id::text = '' OR professional_id = @professional_id::text)
  AND (at, id) > (@after_at::timestamptz, @after_id::text)
  AND at < @until_at::timestamptz
ORDER BY at, id
LIMIT @lim;

-- Whether an organization works on a household: one of its professionals is in the care team.
-- name: HouseholdOrganizationInvolved :one
SELECT EXISTS (
    SELECT 1 FROM care_team_members c JOIN professionals p ON p.id = c.professional_id
    WHERE c.household_id = @household_id AND p.organization_id = @organization_id
) AS involved;
