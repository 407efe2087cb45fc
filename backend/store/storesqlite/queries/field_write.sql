-- name: FieldWriteListByRecords :many
SELECT * FROM field_writes WHERE record_id IN (SELECT value FROM json_each(CAST(@record_ids AS TEXT)));

-- FieldWriteListChanged reads the partial index field_writes_household_version (is_current = 1).
-- name: FieldWriteListChanged :many
SELECT record_id, field, value, stamp, device_id FROM field_writes
WHERE household_id = @household_id AND version > @after AND is_current = 1
ORDER BY record_id, field;

-- name: FieldWriteInsert :exec
INSERT INTO field_writes (household_id, record_id, field, mutation_id, value, stamp, seen, device_id, author_id, is_current, version)
VALUES (@household_id, @record_id, @field, @mutation_id, @value, @stamp, @seen, @device_id, @author_id, @is_current, @version);

-- FieldWriteSetCurrent makes one mutation's write of a field the only current one; a write
-- that becomes current takes the version, one that stays current keeps its own.
-- name: FieldWriteSetCurrent :exec
UPDATE field_writes
SET version = CASE WHEN mutation_id = @mutation_id AND is_current = 0 THEN @version ELSE version END,
    is_current = (mutation_id = @mutation_id)
WHERE record_id = @record_id AND field = @field;

-- name: FieldWriteReviveMany :exec
UPDATE field_writes SET version = (SELECT e.version FROM plan_entries e WHERE e.id = field_writes.record_id)
WHERE record_id IN (SELECT value FROM json_each(CAST(@record_ids AS TEXT))) AND is_current = 1;
