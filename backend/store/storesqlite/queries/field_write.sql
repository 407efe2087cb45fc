-- name: FieldWriteListByRecords :many
SELECT * FROM field_writes WHERE record_id IN (SELECT value FROM json_each(CAST(@record_ids AS TEXT)));

-- FieldWriteListChanged reads the partial index field_writes_household_version (is_current = 1).
-- name: FieldWriteListChanged :many
SELECT record_id, field, value, stamp, device_id FROM field_writes
WHERE household_id = @household_id AND version > @after AND version <= @up_to AND is_current = 1
ORDER BY record_id, field;

-- name: FieldWriteInsertMany :exec
INSERT INTO field_writes (household_id, record_id, field, mutation_id, value, stamp, seen, device_id, author_id, is_current, version)
SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'), json_extract(j.value, '$[5]'), json_extract(j.value, '$[6]'), json_extract(j.value, '$[7]'), json_extract(j.value, '$[8]'), json_extract(j.value, '$[9]'), json_extract(j.value, '$[10]')
FROM json_each(CAST(@rows AS TEXT)) AS j;

-- name: FieldWriteSupersedeMany :exec
UPDATE field_writes SET is_current = 0
WHERE (record_id, field, mutation_id) IN (SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]') FROM json_each(CAST(@rows AS TEXT)) AS j);

-- FieldWriteRevive moves one write, found by its primary key, to a version (a revival is
-- rare: one statement per write).
-- name: FieldWriteRevive :exec
UPDATE field_writes SET version = @version
WHERE record_id = @record_id AND field = @field AND mutation_id = @mutation_id;

-- ChangeSizeList estimates, per household version in (after, up_to], the bytes a pull would
-- send for it (the same allowances as store.Size), so a pull can choose how far one page
-- reaches inside a household without loading it. It reads only the (household_id, version)
-- indexes' ranges and returns one row per write transaction.
-- name: ChangeSizeList :many
SELECT c.version, CAST(SUM(c.bytes) AS BIGINT) AS bytes FROM (
    SELECT version, 48 + length(CAST(id AS BLOB)) + length(CAST(section AS BLOB)) AS bytes FROM plan_entries AS pe
    WHERE pe.household_id = @household_id AND pe.version > @after AND pe.version <= @up_to
    UNION ALL
    SELECT version, 24 + length(CAST(field AS BLOB)) + length(CAST(value AS BLOB)) + length(CAST(device_id AS BLOB)) FROM field_writes AS fw
    WHERE fw.household_id = @household_id AND fw.version > @after AND fw.version <= @up_to AND fw.is_current = 1
    UNION ALL
    SELECT version, 64 + length(CAST(id AS BLOB)) + length(CAST(record_id AS BLOB)) + length(CAST(field AS BLOB)) + length(CAST(value AS BLOB)) + length(CAST(device_id AS BLOB)) + length(CAST(author_id AS BLOB)) + length(CAST(overwritten_by AS BLOB)) FROM conflicts AS co
    WHERE co.household_id = @household_id AND co.version > @after AND co.version <= @up_to
    UNION ALL
    SELECT version, 64 + length(CAST(id AS BLOB)) + length(CAST(schedule_id AS BLOB)) + length(CAST(note AS BLOB)) + length(CAST(recorded_by AS BLOB)) FROM check_ins AS ci
    WHERE ci.household_id = @household_id AND ci.version > @after AND ci.version <= @up_to
    UNION ALL
    SELECT version, 96 + length(CAST(id AS BLOB)) + length(CAST(rule AS BLOB)) + length(CAST(time_zone AS BLOB)) + length(CAST(channel AS BLOB)) + length(CAST(lead_professional_id AS BLOB)) FROM schedules AS sc
    WHERE sc.household_id = @household_id AND sc.version > @after AND sc.version <= @up_to
) AS c
GROUP BY c.version ORDER BY c.version;
