-- name: RecordDeleteListByRecords :many
SELECT * FROM record_deletes WHERE record_id IN (SELECT value FROM json_each(CAST(@record_ids AS TEXT)));

-- name: RecordDeleteInsert :exec
INSERT INTO record_deletes (mutation_id, household_id, record_id, stamp, seen, device_id, author_id, version)
VALUES (@mutation_id, @household_id, @record_id, @stamp, @seen, @device_id, @author_id, @version);
