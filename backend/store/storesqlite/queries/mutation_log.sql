-- Lists of ids arrive as one JSON array parameter read with json_each: any number of ids in
-- one statement (SQLite allows at most 32766 host parameters), and the same statement text
-- whatever the length.

-- name: MutationLogGetMany :many
SELECT id AS mutation_id, outcome, reason, detail, household_id, professional_id FROM sync_mutations WHERE id IN (SELECT value FROM json_each(CAST(@ids AS TEXT)));

-- Rows to write arrive the same way, as one JSON array of rows, each an array of the
-- columns in the order the statement lists them (jsonRows), one statement whatever their
-- number.
-- name: MutationLogInsertMany :exec
INSERT INTO sync_mutations (id, household_id, device_id, professional_id, outcome, reason, detail, version)
SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'), json_extract(j.value, '$[5]'), json_extract(j.value, '$[6]'), json_extract(j.value, '$[7]')
FROM json_each(CAST(@rows AS TEXT)) AS j;
