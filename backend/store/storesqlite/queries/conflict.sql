-- name: ConflictListByRecordsOrIDs :many
SELECT * FROM conflicts
WHERE record_id IN (SELECT value FROM json_each(CAST(@record_ids AS TEXT)))
   OR id IN (SELECT value FROM json_each(CAST(@ids AS TEXT)))
ORDER BY id;

-- name: ConflictListChanged :many
SELECT * FROM conflicts WHERE household_id = @household_id AND version > @after AND version <= @up_to ORDER BY id;

-- name: ConflictUpsert :exec
INSERT INTO conflicts (id, household_id, record_id, field, mutation_id, value, stamp, device_id, author_id, overwritten_by, resolved, version)
VALUES (@id, @household_id, @record_id, @field, @mutation_id, @value, @stamp, @device_id, @author_id, @overwritten_by, @resolved, @version)
ON CONFLICT (id) DO UPDATE SET overwritten_by = excluded.overwritten_by, resolved = excluded.resolved,
    version = excluded.version;
