-- name: ConflictListByRecordsOrIDs :many
SELECT * FROM conflicts
WHERE record_id IN (SELECT value FROM json_each(CAST(@record_ids AS TEXT)))
   OR id IN (SELECT value FROM json_each(CAST(@ids AS TEXT)))
ORDER BY id;

-- name: ConflictListChanged :many
SELECT * FROM conflicts WHERE household_id = @household_id AND version > @after AND version <= @up_to ORDER BY id;

-- name: ConflictUpsertMany :exec
INSERT INTO conflicts (id, household_id, record_id, field, mutation_id, value, stamp, device_id, author_id, overwritten_by, resolved, version)
SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'), json_extract(j.value, '$[5]'), json_extract(j.value, '$[6]'), json_extract(j.value, '$[7]'), json_extract(j.value, '$[8]'), json_extract(j.value, '$[9]'), json_extract(j.value, '$[10]'), json_extract(j.value, '$[11]')
FROM json_each(CAST(@rows AS TEXT)) AS j WHERE true
ON CONFLICT (id) DO UPDATE SET overwritten_by = excluded.overwritten_by, resolved = excluded.resolved,
    version = excluded.version;
