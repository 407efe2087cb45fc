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
-- A header comes along when one of its current fields is in the range, even when the header's
-- own version is later: the core drops fields whose header is missing, and a later page starts
-- after the range, so without it that field would never be sent.
SELECT e.id, e.section, e.deleted, e.version FROM plan_entries AS e
WHERE e.household_id = @household_id AND (
    (e.version > @after AND e.version <= @up_to)
    OR e.id IN (SELECT f.record_id FROM field_writes AS f WHERE f.household_id = @household_id
        AND f.version > @after AND f.version <= @up_to AND f.is_current))
ORDER BY id;

-- name: FieldWriteListByRecords :many
SELECT * FROM field_writes WHERE record_id = ANY(@record_ids::text[]);

-- name: FieldWriteListChanged :many
SELECT record_id, field, value, stamp, device_id FROM field_writes
WHERE household_id = @household_id AND version > @after AND version <= @up_to AND is_current
ORDER BY record_id, field;

-- name: FieldWriteInsertMany :exec
INSERT INTO field_writes (household_id, record_id, field, mutation_id, value, stamp, seen, device_id, author_id, is_current, version)
SELECT unnest(@household_id::text[]), unnest(@record_id::text[]), unnest(@field::text[]), unnest(@mutation_id::text[]),
    unnest(@value::text[]), unnest(@stamp::bigint[]), unnest(@seen::bigint[]), unnest(@device_id::text[]),
    unnest(@author_id::text[]), unnest(@is_current::bool[]), unnest(@version::bigint[]);

-- FieldWriteSupersedeMany finds each write by its primary key.
-- name: FieldWriteSupersedeMany :exec
UPDATE field_writes AS f SET is_current = false
FROM (SELECT unnest(@record_id::text[]) AS record_id, unnest(@field::text[]) AS field,
        unnest(@mutation_id::text[]) AS mutation_id) AS u
WHERE f.record_id = u.record_id AND f.field = u.field AND f.mutation_id = u.mutation_id;

-- FieldWriteReviveMany finds each write by its primary key.
-- name: FieldWriteReviveMany :exec
UPDATE field_writes AS f SET version = u.version
FROM (SELECT unnest(@record_id::text[]) AS record_id, unnest(@field::text[]) AS field,
        unnest(@mutation_id::text[]) AS mutation_id, unnest(@version::bigint[]) AS version) AS u
WHERE f.record_id = u.record_id AND f.field = u.field AND f.mutation_id = u.mutation_id;

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
SELECT * FROM conflicts WHERE household_id = @household_id AND version > @after AND version <= @up_to ORDER BY id;

-- name: ConflictUpsertMany :exec
INSERT INTO conflicts (id, household_id, record_id, field, mutation_id, value, stamp, device_id, author_id,
    overwritten_by, resolved, version)
SELECT unnest(@id::text[]), unnest(@household_id::text[]), unnest(@record_id::text[]), unnest(@field::text[]),
    unnest(@mutation_id::text[]), unnest(@value::text[]), unnest(@stamp::bigint[]), unnest(@device_id::text[]),
    unnest(@author_id::text[]), unnest(@overwritten_by::text[]), unnest(@resolved::bool[]), unnest(@version::bigint[])
ON CONFLICT (id) DO UPDATE SET overwritten_by = excluded.overwritten_by, resolved = excluded.resolved,
    version = excluded.version;

-- ChangeSizeList estimates, per household version in (after, up_to], the bytes a pull would
-- send for it (the same allowances as store.Size), so a pull can choose how far one page
-- reaches inside a household without loading it. It reads only the (household_id, version)
-- indexes' ranges and returns one row per write transaction.
-- name: ChangeSizeList :many
SELECT c.version, CAST(SUM(c.bytes) AS BIGINT) AS bytes FROM (
    SELECT version, 48 + octet_length(id) + octet_length(section) AS bytes FROM plan_entries AS pe
    WHERE pe.household_id = @household_id AND pe.version > @after AND pe.version <= @up_to
    UNION ALL
    SELECT version, 24 + octet_length(field) + octet_length(value) + octet_length(device_id) FROM field_writes AS fw
    WHERE fw.household_id = @household_id AND fw.version > @after AND fw.version <= @up_to AND fw.is_current
    UNION ALL
    SELECT version, 64 + octet_length(id) + octet_length(record_id) + octet_length(field) + octet_length(value) + octet_length(device_id) + octet_length(author_id) + octet_length(overwritten_by) FROM conflicts AS co
    WHERE co.household_id = @household_id AND co.version > @after AND co.version <= @up_to
    UNION ALL
    SELECT version, 64 + octet_length(id) + octet_length(schedule_id) + octet_length(note) + octet_length(recorded_by) FROM check_ins AS ci
    WHERE ci.household_id = @household_id AND ci.version > @after AND ci.version <= @up_to
    UNION ALL
    SELECT version, 96 + octet_length(id) + octet_length(rule) + octet_length(time_zone) + octet_length(channel) + octet_length(lead_professional_id) FROM schedules AS sc
    WHERE sc.household_id = @household_id AND sc.version > @after AND sc.version <= @up_to
) AS c
GROUP BY c.version ORDER BY c.version;
