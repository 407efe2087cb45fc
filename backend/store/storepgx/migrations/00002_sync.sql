-- +goose Up
-- Offline-first sync: a plan entry's fields become one row per write, so that edits merge per
-- field (sync/merge). The current value of a field is its row with is_current = true.
CREATE TABLE field_writes (
    household_id TEXT NOT NULL REFERENCES households (id),
    record_id    TEXT NOT NULL,
    field        TEXT NOT NULL,
    mutation_id  TEXT NOT NULL,
    value        TEXT NOT NULL,
    stamp        BIGINT NOT NULL,
    seen         BIGINT NOT NULL,
    device_id    TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    is_current   BOOL NOT NULL,
    version      BIGINT NOT NULL,
    PRIMARY KEY (record_id, field, mutation_id)
);
CREATE INDEX field_writes_household_version ON field_writes (household_id, version) WHERE is_current;

CREATE TABLE record_deletes (
    mutation_id  TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id),
    record_id    TEXT NOT NULL,
    stamp        BIGINT NOT NULL,
    seen         BIGINT NOT NULL,
    device_id    TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    version      BIGINT NOT NULL
);
CREATE INDEX record_deletes_record ON record_deletes (record_id);

CREATE TABLE conflicts (
    id             TEXT PRIMARY KEY,
    household_id   TEXT NOT NULL REFERENCES households (id),
    record_id      TEXT NOT NULL,
    field          TEXT NOT NULL,
    mutation_id    TEXT NOT NULL,
    value          TEXT NOT NULL,
    stamp          BIGINT NOT NULL,
    device_id      TEXT NOT NULL,
    author_id      TEXT NOT NULL,
    overwritten_by TEXT NOT NULL,
    resolved       BOOL NOT NULL,
    version        BIGINT NOT NULL
);
CREATE INDEX conflicts_household_version ON conflicts (household_id, version);
CREATE INDEX conflicts_record ON conflicts (record_id);

-- The idempotency log: a mutation id is applied once; a re-sent one gets this answer.
CREATE TABLE sync_mutations (
    id              TEXT PRIMARY KEY,
    household_id    TEXT NOT NULL,
    device_id       TEXT NOT NULL,
    professional_id TEXT NOT NULL,
    outcome         INT4 NOT NULL,
    reason          INT4 NOT NULL,
    detail          TEXT NOT NULL,
    version         BIGINT NOT NULL
);

-- Existing entries keep their content as one write per field, stamped at their last update.
INSERT INTO field_writes (household_id, record_id, field, mutation_id, value, stamp, seen, device_id, author_id, is_current, version)
SELECT e.household_id, e.id, j.key, 'migrated-' || e.id, j.value,
       (floor(extract(epoch FROM e.updated_at) * 1000))::BIGINT * 65536, 0, 'server', e.updated_by, true, e.version
FROM plan_entries e, jsonb_each_text(e.fields) AS j (key, value);
ALTER TABLE plan_entries DROP COLUMN fields;

-- +goose Down
ALTER TABLE plan_entries ADD COLUMN fields JSONB NOT NULL DEFAULT '{}';
UPDATE plan_entries SET fields = (SELECT jsonb_object_agg(f.field, f.value) FROM field_writes f
    WHERE f.record_id = plan_entries.id AND f.is_current AND f.value <> '')
    WHERE EXISTS (SELECT 1 FROM field_writes f WHERE f.record_id = plan_entries.id AND f.is_current AND f.value <> '');
DROP TABLE sync_mutations;
DROP TABLE conflicts;
DROP TABLE record_deletes;
DROP TABLE field_writes;
