-- name: PlanEntryHeaderGetMany :many
SELECT id, household_id, section, deleted, version, updated_by FROM plan_entries WHERE id IN (SELECT value FROM json_each(CAST(@ids AS TEXT)));

-- The WHERE true tells SQLite's parser that ON CONFLICT is the upsert clause, not a join's.
-- name: PlanEntryHeaderUpsertMany :exec
INSERT INTO plan_entries (id, household_id, section, deleted, version, created_at, updated_at, updated_by)
SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'), @now, @now, json_extract(j.value, '$[5]')
FROM json_each(CAST(@rows AS TEXT)) AS j WHERE true
ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, version = excluded.version,
    updated_at = excluded.updated_at, updated_by = excluded.updated_by;

-- PlanEntryList returns one row per (entry, current non-empty field), an entry without such
-- fields once with a NULL field.
-- name: PlanEntryList :many
SELECT sqlc.embed(e), f.field, f.value
FROM plan_entries e
LEFT JOIN field_writes f ON f.record_id = e.id AND f.is_current = 1 AND f.value <> ''
WHERE e.household_id = @household_id
  AND (CAST(@include_deleted AS BOOLEAN) OR e.deleted = 0)
  AND (CAST(@entry_id AS TEXT) = '' OR e.id = @entry_id)
ORDER BY e.id, f.field;

-- name: PlanEntryListChanged :many
-- A header comes along when one of its current fields is in the range, even when the header's
-- own version is later: the core drops fields whose header is missing, and a later page starts
-- after the range, so without it that field would never be sent.
SELECT e.id, e.section, e.deleted, e.version FROM plan_entries AS e
WHERE e.household_id = @household_id AND (
    (e.version > @after AND e.version <= @up_to)
    OR e.id IN (SELECT f.record_id FROM field_writes AS f WHERE f.household_id = @household_id
        AND f.version > @after AND f.version <= @up_to AND f.is_current = 1))
ORDER BY id;
