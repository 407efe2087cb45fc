-- Lists of ids arrive as one JSON array parameter read with json_each: any number of ids in
-- one statement (SQLite allows at most 32766 host parameters), and the same statement text
-- whatever the length.

-- name: MutationLogGetMany :many
SELECT id AS mutation_id, outcome, reason, detail, household_id, professional_id FROM sync_mutations WHERE id IN (SELECT value FROM json_each(CAST(@ids AS TEXT)));

-- name: MutationLogInsert :exec
INSERT INTO sync_mutations (id, household_id, device_id, professional_id, outcome, reason, detail, version)
VALUES (@id, @household_id, @device_id, @professional_id, @outcome, @reason, @detail, @version);
