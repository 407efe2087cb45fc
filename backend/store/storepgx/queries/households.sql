-- Households, their version (the per-household sync cursor), who may see them, and their care
-- teams.

-- name: HouseholdInsert :exec
INSERT INTO households (id, code, team_id, display_name, version, created_at, updated_at)
VALUES (@id, @code, @team_id, @display_name, 1, @created_at, @created_at);

-- name: HouseholdGet :one
SELECT * FROM households WHERE id = @id;

-- HouseholdLock takes the row locks of a write transaction's households in the order of their
-- ids, so transactions that touch several households queue instead of deadlocking.
-- name: HouseholdLock :exec
SELECT id FROM households WHERE id = ANY(@ids::text[]) ORDER BY id FOR UPDATE;

-- HouseholdBump raises the locked households' versions and records each in sync_pokes in the
-- same statement (a data-modifying CTE writes each table once).
-- name: HouseholdBump :many
WITH bumped AS (
    UPDATE households SET version = version + 1, updated_at = @now
    WHERE id = ANY(@ids::text[])
    RETURNING id, version
), poked AS (
    INSERT INTO sync_pokes (household_id, version) SELECT id, version FROM bumped
    ON CONFLICT (household_id) DO UPDATE SET version = excluded.version
)
SELECT id, version FROM bumped ORDER BY id;

-- HouseholdAdvance raises locked households' versions to the given ones, never lowering one,
-- and records each in sync_pokes, in one statement as HouseholdBump does.
-- name: HouseholdAdvance :exec
WITH advanced AS (
    UPDATE households AS h SET version = u.version
    FROM (SELECT unnest(@ids::text[]) AS id, unnest(@versions::bigint[]) AS version) AS u
    WHERE h.id = u.id AND h.version < u.version
    RETURNING h.id, h.version
)
INSERT INTO sync_pokes (household_id, version) SELECT id, version FROM advanced
ON CONFLICT (household_id) DO UPDATE SET version = excluded.version;

-- HouseholdListVisible joins households inside each half of household_viewers' union: joined
-- to the union, the planner estimates the supervisor half at a whole team for everyone and
-- hashes every household (a sequential scan: 20 ms at 20,000 households for a professional
-- who sees 20); each half alone starts from the professional's index and looks the
-- households up by key (about 1 ms, whatever the number of households).
-- name: HouseholdListVisible :many
SELECT h.id, h.code, h.team_id, h.display_name, h.version, h.created_at, h.updated_at, h.closed_at, h.erased_at
FROM household_care_team c JOIN households h ON h.id = c.household_id
WHERE c.professional_id = @professional_id AND h.id > @after_id
UNION
SELECT h.id, h.code, h.team_id, h.display_name, h.version, h.created_at, h.updated_at, h.closed_at, h.erased_at
FROM household_supervisors s JOIN households h ON h.id = s.household_id
WHERE s.professional_id = @professional_id AND h.id > @after_id
ORDER BY id LIMIT @max_rows;

-- name: HouseholdVersionListMany :many
SELECT id, version FROM households WHERE id = ANY(@ids::text[]) ORDER BY id;

-- name: HouseholdViewerListMany :many
SELECT household_id, professional_id FROM household_viewers
WHERE household_id = ANY(@household_ids::text[]) ORDER BY household_id, professional_id;

-- name: HouseholdViewerListByProfessionals :many
SELECT household_id, professional_id FROM household_viewers
WHERE professional_id = ANY(@professional_ids::text[]) ORDER BY professional_id, household_id;

-- name: HouseholdRelationListMany :many
SELECT c.household_id, (CASE WHEN c.lead THEN 'lead' ELSE 'care_team' END)::text AS relation FROM household_care_team c
WHERE c.household_id = ANY(@household_ids::text[]) AND c.professional_id = @professional_id
UNION ALL
SELECT s.household_id, 'team_supervisor'::text FROM household_supervisors s
WHERE s.household_id = ANY(@household_ids::text[]) AND s.professional_id = @professional_id
ORDER BY household_id, relation;

-- name: CareTeamMemberClearLead :exec
UPDATE care_team_members SET lead = false WHERE household_id = @household_id AND lead;

-- name: CareTeamMemberUpsert :exec
INSERT INTO care_team_members (household_id, professional_id, lead) VALUES (@household_id, @professional_id, @lead)
ON CONFLICT (household_id, professional_id) DO UPDATE SET lead = excluded.lead;

-- name: CareTeamMemberDelete :execrows
DELETE FROM care_team_members WHERE household_id = @household_id AND professional_id = @professional_id;

-- name: CareTeamMemberList :many
SELECT * FROM care_team_members WHERE household_id = @household_id ORDER BY professional_id;

-- CareTeamMemberListMany reads the care teams of a batch of households (the leads of the alerts
-- detection raises) in one statement, through the primary key.
-- name: CareTeamMemberListMany :many
SELECT * FROM care_team_members WHERE household_id = ANY(@household_ids::text[]) ORDER BY household_id, professional_id;

-- name: HouseholdGetByCode :one
SELECT * FROM households WHERE code = @code;

-- name: HouseholdTeamSet :exec
UPDATE households SET team_id = @team_id WHERE id = @id;

-- name: HouseholdClosedSet :exec
UPDATE households SET closed_at = @closed_at WHERE id = @id;
