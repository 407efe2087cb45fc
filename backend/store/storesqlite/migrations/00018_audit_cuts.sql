-- +goose Up
-- Times are INTEGER microseconds since the epoch, UTC.
-- Retention of the access log (issue 12): the oldest entries of a chain, once older than the
-- access log's retention and covered by a signed checkpoint, are cut (deleted) by the
-- scheduler. Each cut leaves one row here: the first position the chain keeps and the hash
-- of the last entry it deleted, so that the first kept entry's prev_hash still verifies, and
-- the cut's statement signed with the audit key (store.AuditCutStatement), so that a row
-- written by anyone without the key shows as forged. veilig audit verify starts each chain
-- at its latest cut; the earlier cuts stay as the history of what was deleted when.
CREATE TABLE audit_cuts (
    chain_id            TEXT NOT NULL,
    first_kept_position INTEGER NOT NULL,
    last_deleted_hash   TEXT NOT NULL,
    cut_at              INTEGER NOT NULL,
    deleted_count       INTEGER NOT NULL,
    key_id              TEXT NOT NULL,
    signature           TEXT NOT NULL,
    PRIMARY KEY (chain_id, first_kept_position)
);

-- +goose Down
DROP TABLE audit_cuts;
