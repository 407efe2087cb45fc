-- name: RecordDeleteListByRecords :many
SELECT * FROM record_deletes WHERE record_id IN (SELECT value FROM json_each(CAST(@record_ids AS TEXT)));

-- name: RecordDeleteInsertMany :exec
INSERT INTO record_deletes (mutation_id, household_id, record_id, stamp, seen, device_id, author_id, version)
SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'), json_extract(j.value, '$[5]'), json_extract(j.value, '$[6]'), json_extract(j.value, '$[7]')
FROM json_each(CAST(@rows AS TEXT)) AS j;
