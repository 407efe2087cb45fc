-- What offline-first sync stores: the mutation log (idempotency), plan entry headers, field
-- writes, record deletes and conflicts. Writes are set-based: one statement whatever the
-- number of rows, each column passed as one typed array and zipped by unnest in the select
-- list (every array of a statement has the same length).

-- name: MutationLogGetMany :many
SELECT id AS mutation_id, outcome, reason, detail, household_id, professional_id FROM sync_mutations WHERE id = ANY(@ids::text[]);

-- name: MutationLogInsertMany :exec
INSERT INTO sync_mutations (id, household_id, device_id, professional_id, outcome, reason, detail, version)
SELECT unnest(@id::text[]), unnest(@household_id::text[]), unnest(@device_id::text[]),
    unnest(@professional_id::text[]), unnest(@outcome::int4[]), unnest(@reason::int4[]),
    unnest(@detail::text[]), unnest(@version::bigint[]);

-- name: PlanEntryHeaderGetMany :many
SELECT id, household_id, section, deleted, version, updated_by FROM plan_entries WHERE id = ANY(@ids::text[]);

-- name: PlanEntryHeaderUpsertMany :exec
INSERT INTO plan_entries (id, household_id, section, deleted, version, created_at, updated_at, updated_by)
SELECT unnest(@id::text[]), unnest(@household_id::text[]), unnest(@section::text[]), unnest(@deleted::bool[]),
    unnest(@version::bigint[]), @now::timestamptz, @now::timestamptz, unnest(@updated_by::text[])
ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, version = excluded.version,
    updated_at = excluded.updated_at, updated_by = excluded.updated_by;

-- PlanEntryList returns one row per current non-empty field of each entry (and one row without
-- a field for an entry that has none).
-- name: PlanEntryList :many
SELECT e.id, e.household_id, e.section, e.deleted, e.version, e.created_at, e.updated_at, e.updated_by,
    f.field, f.value
FROM plan_entries e
LEFT JOIN field_writes f ON f.record_id = e.id AND f.is_current AND f.value <> ''
WHERE e.household_id = @household_id AND (@include_deleted::bool OR NOT e.deleted)
    AND (@entry_id::text = '' OR e.id = @entry_id::text)
ORDER BY e.id, f.field;

-- name: PlanEntryListChanged :many
SELECT id, section, deleted, version FROM plan_entries
WHERE household_id = @household_id AND version > @after ORDER BY id;

-- name: FieldWriteListByRecords :many
SELECT * FROM field_writes WHERE record_id = ANY(@record_ids::text[]);

-- name: FieldWriteListChanged :many
SELECT record_id, field, value, stamp, device_id FROM field_writes
WHERE household_id = @household_id AND version > @after AND is_current
ORDER BY record_id, field;

-- name: FieldWriteInsertMany :exec
INSERT INTO field_writes (household_id, record_id, field, mutation_id, value, stamp, seen, device_id, author_id, is_current, version)
SELECT unnest(@household_id::text[]), unnest(@record_id::text[]), unnest(@field::text[]), unnest(@mutation_id::text[]),
    unnest(@value::text[]), unnest(@stamp::bigint[]), unnest(@seen::bigint[]), unnest(@device_id::text[]),
    unnest(@author_id::text[]), unnest(@is_current::bool[]), unnest(@version::bigint[]);

-- FieldWriteSetCurrentMany touches, per (record, field), only the current write and the winner.
-- name: FieldWriteSetCurrentMany :exec
UPDATE field_writes AS f SET
    version = CASE WHEN f.mutation_id = u.winner AND NOT f.is_current THEN u.version ELSE f.version END,
    is_current = (f.mutation_id = u.winner)
FROM (SELECT unnest(@record_id::text[]) AS record_id, unnest(@field::text[]) AS field,
        unnest(@mutation_id::text[]) AS winner, unnest(@version::bigint[]) AS version) AS u
WHERE f.record_id = u.record_id AND f.field = u.field AND (f.is_current OR f.mutation_id = u.winner);

-- name: FieldWriteReviveMany :exec
UPDATE field_writes AS f SET version = e.version FROM plan_entries AS e
WHERE e.id = ANY(@record_ids::text[]) AND f.record_id = e.id AND f.is_current;

-- name: RecordDeleteListByRecords :many
SELECT * FROM record_deletes WHERE record_id = ANY(@record_ids::text[]);

-- name: RecordDeleteInsertMany :exec
INSERT INTO record_deletes (mutation_id, household_id, record_id, stamp, seen, device_id, author_id, version)
SELECT unnest(@mutation_id::text[]), unnest(@household_id::text[]), unnest(@record_id::text[]),
    unnest(@stamp::bigint[]), unnest(@seen::bigint[]), unnest(@device_id::text[]), unnest(@author_id::text[]),
    unnest(@version::bigint[]);

-- name: ConflictListByRecordsOrIDs :many
SELECT * FROM conflicts WHERE record_id = ANY(@record_ids::text[]) OR id = ANY(@ids::text[]) ORDER BY id;

-- name: ConflictListChanged :many
SELECT * FROM conflicts WHERE household_id = @household_id AND version > @after ORDER BY id;

-- name: ConflictUpsertMany :exec
INSERT INTO conflicts (id, household_id, record_id, field, mutation_id, value, stamp, device_id, author_id,
    overwritten_by, resolved, version)
SELECT unnest(@id::text[]), unnest(@household_id::text[]), unnest(@record_id::text[]), unnest(@field::text[]),
    unnest(@mutation_id::text[]), unnest(@value::text[]), unnest(@stamp::bigint[]), unnest(@device_id::text[]),
    unnest(@author_id::text[]), unnest(@overwritten_by::text[]), unnest(@resolved::bool[]), unnest(@version::bigint[])
ON CONFLICT (id) DO UPDATE SET overwritten_by = excluded.overwritten_by, resolved = excluded.resolved,
    version = excluded.version;
