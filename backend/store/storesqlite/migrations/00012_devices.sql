-- +goose Up
-- Times are INTEGER microseconds since the epoch, UTC.
-- Devices as records (issue 12): one row per app installation, named by the device id its
-- tokens carry (the device_id claim). It is apart from the push tokens (devices), which the
-- push worker deletes when Firebase calls them invalid: a revocation must outlive the token.
-- revoked_at set means every request with the device is refused and its next contact erases
-- the phone's data; it is never cleared (a revoked phone registers as a new device).
CREATE TABLE device_records (
    id              TEXT PRIMARY KEY,
    professional_id TEXT NOT NULL REFERENCES professionals (id),
    platform        TEXT NOT NULL DEFAULT '',
    app_version     TEXT NOT NULL DEFAULT '',
    push_token      TEXT NOT NULL DEFAULT '',
    registered_at   INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    revoked_at      INTEGER
);
CREATE INDEX device_records_professional ON device_records (professional_id, id);

-- A disabled professional (left the organization) is refused at the edge from disabled_at on.
ALTER TABLE professionals ADD COLUMN disabled_at INTEGER;

-- +goose Down
ALTER TABLE professionals DROP COLUMN disabled_at;
DROP TABLE device_records;
