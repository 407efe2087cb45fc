-- +goose Up
-- Offline-first sync: a plan entry's fields become one row per write, so that edits merge per
-- field (sync/merge). The current value of a field is its row with is_current = 1.
CREATE TABLE field_writes (
    household_id TEXT NOT NULL REFERENCES households (id),
    record_id    TEXT NOT NULL,
    field        TEXT NOT NULL,
    mutation_id  TEXT NOT NULL,
    value        TEXT NOT NULL,
    stamp        INTEGER NOT NULL,
    seen         INTEGER NOT NULL,
    device_id    TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    is_current   INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    PRIMARY KEY (record_id, field, mutation_id)
);
CREATE INDEX field_writes_household_version ON field_writes (household_id, version) WHERE is_current = 1;

CREATE TABLE record_deletes (
    mutation_id  TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id),
    record_id    TEXT NOT NULL,
    stamp        INTEGER NOT NULL,
    seen         INTEGER NOT NULL,
    device_id    TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    version      INTEGER NOT NULL
);
CREATE INDEX record_deletes_record ON record_deletes (record_id);

CREATE TABLE conflicts (
    id             TEXT PRIMARY KEY,
    household_id   TEXT NOT NULL REFERENCES households (id),
    record_id      TEXT NOT NULL,
    field          TEXT NOT NULL,
    mutation_id    TEXT NOT NULL,
    value          TEXT NOT NULL,
    stamp          INTEGER NOT NULL,
    device_id      TEXT NOT NULL,
    author_id      TEXT NOT NULL,
    overwritten_by TEXT NOT NULL,
    resolved       INTEGER NOT NULL,
    version        INTEGER NOT NULL
);
CREATE INDEX conflicts_household_version ON conflicts (household_id, version);
CREATE INDEX conflicts_record ON conflicts (record_id);

-- The idempotency log: a mutation id is applied once; a re-sent one gets this answer.
CREATE TABLE sync_mutations (
    id              TEXT PRIMARY KEY,
    household_id    TEXT NOT NULL,
    device_id       TEXT NOT NULL,
    professional_id TEXT NOT NULL,
    outcome         INTEGER NOT NULL,
    reason          INTEGER NOT NULL,
    detail          TEXT NOT NULL,
    version         INTEGER NOT NULL
);

-- Existing entries keep their content as one write per field, stamped at their last update.
INSERT INTO field_writes (household_id, record_id, field, mutation_id, value, stamp, seen, device_id, author_id, is_current, version)
SELECT e.household_id, e.id, j.key, 'migrated-' || e.id, j.value, (e.updated_at / 1000) * 65536, 0, 'server', e.updated_by, 1, e.version
FROM plan_entries e, json_each(e.fields) j;
ALTER TABLE plan_entries DROP COLUMN fields;

-- +goose Down
ALTER TABLE plan_entries ADD COLUMN fields TEXT NOT NULL DEFAULT '{}';
UPDATE plan_entries SET fields = (SELECT json_group_object(f.field, f.value) FROM field_writes f
    WHERE f.record_id = plan_entries.id AND f.is_current = 1 AND f.value <> '')
    WHERE EXISTS (SELECT 1 FROM field_writes f WHERE f.record_id = plan_entries.id AND f.is_current = 1 AND f.value <> '');
DROP TABLE sync_mutations;
DROP TABLE conflicts;
DROP TABLE record_deletes;
DROP TABLE field_writes;
