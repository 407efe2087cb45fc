-- +goose Up
-- The scheduler's tables; times are INTEGER microseconds since the epoch, UTC.

-- overdue_at is the scheduler's wake-up for a schedule (next_due_at + grace); opens_at starts
-- the window in which a check-in satisfies the current occurrence; last_check_in_at is kept by
-- every check-in write.
ALTER TABLE schedules ADD COLUMN overdue_at INTEGER;
ALTER TABLE schedules ADD COLUMN opens_at INTEGER;
ALTER TABLE schedules ADD COLUMN last_check_in_at INTEGER;
-- Detection reads this index from its low end: the cost grows with what is due, never with
-- all schedules. Paused and ended schedules have no overdue_at and are not in it.
CREATE INDEX schedules_overdue ON schedules (overdue_at) WHERE overdue_at IS NOT NULL;
CREATE INDEX schedules_household ON schedules (household_id);

CREATE TABLE devices (
    token           TEXT PRIMARY KEY,
    professional_id TEXT NOT NULL REFERENCES professionals (id),
    platform        TEXT NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX devices_professional ON devices (professional_id, token);

CREATE TABLE escalation_policies (
    scope_id                TEXT PRIMARY KEY,
    supervisor_after_secs   INTEGER NOT NULL,
    on_call_after_secs      INTEGER NOT NULL,
    on_call_professional_id TEXT NOT NULL DEFAULT '',
    updated_at              INTEGER NOT NULL
);

CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    schedule_id     TEXT NOT NULL DEFAULT '',
    household_id    TEXT NOT NULL REFERENCES households (id),
    team_id         TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    lead_id         TEXT NOT NULL,
    due_at          INTEGER NOT NULL,
    step            INTEGER NOT NULL,
    next_step_at    INTEGER,
    acknowledged_at INTEGER,
    acknowledged_by TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
-- Escalation reads this index from its low end, like detection.
CREATE INDEX alerts_next_step ON alerts (next_step_at) WHERE next_step_at IS NOT NULL;
CREATE INDEX alerts_household ON alerts (household_id, created_at);
CREATE INDEX alerts_team_open ON alerts (team_id) WHERE acknowledged_at IS NULL;

-- One row per (schedule, occurrence, step) or (supervisor, digest slot): the primary key is
-- what makes noticing exactly-once.
CREATE TABLE notices (
    id         TEXT PRIMARY KEY,
    alert_id   TEXT NOT NULL DEFAULT '',
    step       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notices_alert ON notices (alert_id, step);

-- One row per notice and device token. next_attempt_at doubles as the lease: claiming a row
-- moves it to the end of the lease, so a replica that dies holding it only delays it.
CREATE TABLE push_outbox (
    notice_id       TEXT NOT NULL,
    token           TEXT NOT NULL,
    professional_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    ref             TEXT NOT NULL,
    urgent          INTEGER NOT NULL,
    overdue         INTEGER NOT NULL DEFAULT 0,
    escalated       INTEGER NOT NULL DEFAULT 0,
    concerns        INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    PRIMARY KEY (notice_id, token)
);
CREATE INDEX push_outbox_ready ON push_outbox (next_attempt_at) WHERE status = 'pending';

CREATE TABLE digests (
    professional_id TEXT NOT NULL,
    slot_at         INTEGER NOT NULL,
    overdue         INTEGER NOT NULL,
    escalated       INTEGER NOT NULL,
    concerns        INTEGER NOT NULL,
    notice_id       TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (professional_id, slot_at)
);

-- +goose Down
DROP TABLE digests;
DROP TABLE push_outbox;
DROP TABLE notices;
DROP TABLE alerts;
DROP TABLE escalation_policies;
DROP TABLE devices;
DROP INDEX schedules_household;
DROP INDEX schedules_overdue;
ALTER TABLE schedules DROP COLUMN last_check_in_at;
ALTER TABLE schedules DROP COLUMN opens_at;
ALTER TABLE schedules DROP COLUMN overdue_at;
