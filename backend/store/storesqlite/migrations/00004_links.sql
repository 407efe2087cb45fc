-- +goose Up
-- Family check-in links. Only a hash of each token is kept.
CREATE TABLE check_in_links (
    id              TEXT PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    household_id    TEXT NOT NULL REFERENCES households (id),
    schedule_id     TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    pin_hash        TEXT NOT NULL DEFAULT '',
    duress_pin_hash TEXT NOT NULL DEFAULT '',
    failed_pins     INTEGER NOT NULL DEFAULT 0,
    locked_at       INTEGER,
    last_used_at    INTEGER
);
CREATE INDEX check_in_links_household ON check_in_links (household_id, created_at);

-- +goose Down
DROP TABLE check_in_links;
