-- name: HouseholdInsert :exec
INSERT INTO households (id, code, team_id, display_name, version, created_at, updated_at)
VALUES (@id, @code, @team_id, @display_name, 1, @created_at, @created_at);

-- name: HouseholdGet :one
SELECT * FROM households WHERE id = @id;

-- HouseholdBump raises one household's version. SQLite has no row locks: the write
-- transaction's IMMEDIATE lock already serialises writers.
-- name: HouseholdBump :one
UPDATE households SET version = version + 1, updated_at = @now WHERE id = @id
RETURNING version;

-- HouseholdAdvance raises one household's version to the given one, never lowering it.
-- name: HouseholdAdvance :one
UPDATE households SET version = @version WHERE id = @id AND version < @version
RETURNING version;

-- HouseholdListVisible joins households inside each half of household_viewers' union, so
-- each half starts from the professional's index (as on PostgreSQL: queries/households.sql
-- there says why).
-- name: HouseholdListVisible :many
SELECT h.id, h.code, h.team_id, h.display_name, h.version, h.created_at, h.updated_at, h.closed_at, h.erased_at
FROM household_care_team c JOIN households h ON h.id = c.household_id
WHERE c.professional_id = @professional_id AND h.id > @after_id
UNION
SELECT h.id, h.code, h.team_id, h.display_name, h.version, h.created_at, h.updated_at, h.closed_at, h.erased_at
FROM household_supervisors s JOIN households h ON h.id = s.household_id
WHERE s.professional_id = @professional_id AND h.id > @after_id
ORDER BY id LIMIT @max;

-- name: HouseholdVersionListMany :many
SELECT id, version FROM households WHERE id IN (SELECT value FROM json_each(CAST(@ids AS TEXT))) ORDER BY id;

-- name: HouseholdViewerListMany :many
SELECT household_id, professional_id FROM household_viewers
WHERE household_id IN (SELECT value FROM json_each(CAST(@household_ids AS TEXT))) ORDER BY household_id, professional_id;

-- name: HouseholdViewerListByProfessionals :many
SELECT household_id, professional_id FROM household_viewers
WHERE professional_id IN (SELECT value FROM json_each(CAST(@professional_ids AS TEXT))) ORDER BY professional_id, household_id;

-- name: HouseholdRelationListMany :many
SELECT c.household_id, CAST(CASE WHEN lead THEN 'lead' ELSE 'care_team' END AS TEXT) AS relation FROM household_care_team c
WHERE c.household_id IN (SELECT value FROM json_each(CAST(@household_ids AS TEXT))) AND c.professional_id = @professional_id
UNION ALL
SELECT s.household_id, CAST('team_supervisor' AS TEXT) FROM household_supervisors s
WHERE s.household_id IN (SELECT value FROM json_each(CAST(@household_ids AS TEXT))) AND s.professional_id = @professional_id
ORDER BY 1, 2;

-- name: HouseholdGetByCode :one
SELECT * FROM households WHERE code = @code;

-- name: HouseholdTeamSet :exec
UPDATE households SET team_id = @team_id WHERE id = @id;

-- name: HouseholdClosedSet :exec
UPDATE households SET closed_at = @closed_at WHERE id = @id;
