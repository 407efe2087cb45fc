-- +goose Up
-- SQL here stays inside what PostgreSQL and CockroachDB both run: see the package doc.
CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE professionals (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    display_name    TEXT NOT NULL,
    email           TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX professionals_organization ON professionals (organization_id, id);

CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE team_members (
    team_id         TEXT NOT NULL REFERENCES teams (id),
    professional_id TEXT NOT NULL REFERENCES professionals (id),
    PRIMARY KEY (team_id, professional_id)
);
CREATE INDEX team_members_professional ON team_members (professional_id, team_id);

CREATE TABLE households (
    id           TEXT PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    team_id      TEXT NOT NULL REFERENCES teams (id),
    display_name TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX households_team ON households (team_id, id);

CREATE TABLE care_team_members (
    household_id    TEXT NOT NULL REFERENCES households (id),
    professional_id TEXT NOT NULL REFERENCES professionals (id),
    lead            BOOL NOT NULL DEFAULT false,
    PRIMARY KEY (household_id, professional_id)
);
CREATE INDEX care_team_members_professional ON care_team_members (professional_id, household_id);

CREATE TABLE plan_entries (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id),
    section      TEXT NOT NULL,
    fields       JSONB NOT NULL,
    deleted      BOOL NOT NULL DEFAULT false,
    version      BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    updated_by   TEXT NOT NULL
);
CREATE INDEX plan_entries_household_version ON plan_entries (household_id, version);

CREATE TABLE schedules (
    id                   TEXT PRIMARY KEY,
    household_id         TEXT NOT NULL REFERENCES households (id),
    rule                 TEXT NOT NULL,
    time_zone            TEXT NOT NULL,
    local_time           TEXT NOT NULL,
    grace_minutes        INT4 NOT NULL,
    channel              TEXT NOT NULL,
    lead_professional_id TEXT NOT NULL,
    paused               BOOL NOT NULL DEFAULT false,
    start_date           TEXT NOT NULL,
    end_date             TEXT NOT NULL DEFAULT '',
    next_due_at          TIMESTAMPTZ,
    version              BIGINT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX schedules_household_version ON schedules (household_id, version);
-- The scheduler finds due work through this index: cost grows with what is due.
CREATE INDEX schedules_next_due ON schedules (next_due_at) WHERE NOT paused AND next_due_at IS NOT NULL;

CREATE TABLE check_ins (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id),
    schedule_id  TEXT NOT NULL DEFAULT '',
    channel      TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL DEFAULT '',
    recorded_at  TIMESTAMPTZ NOT NULL,
    version      BIGINT NOT NULL
);
CREATE INDEX check_ins_household_recorded ON check_ins (household_id, recorded_at);
CREATE INDEX check_ins_household_version ON check_ins (household_id, version);

CREATE TABLE audit_events (
    id              TEXT PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL,
    professional_id TEXT NOT NULL,
    device_id       TEXT NOT NULL,
    action          TEXT NOT NULL,
    household_id    TEXT NOT NULL,
    request_id      TEXT NOT NULL
);
CREATE INDEX audit_events_household ON audit_events (household_id, at);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE check_ins;
DROP TABLE schedules;
DROP TABLE plan_entries;
DROP TABLE care_team_members;
DROP TABLE households;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE professionals;
DROP TABLE organizations;
