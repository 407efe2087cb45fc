-- +goose Up
-- Preferences per person (issue 14): what a professional chose for themself, read by the
-- scheduler (digest times, quiet hours, time zone of a supervisor's digests) and by what shows
-- text to them (language). Every column's '' means "the deployment's default", so a row that
-- resets a value is the same as no row, and a change of a deployment default reaches everyone
-- who never chose otherwise. The values are validated by the domain layer before they are
-- written; the scheduler still falls back to the default for a value it cannot read.
--   digest_times: local "HH:MM" times joined by ',' (e.g. "08:00,16:00"), '' the default;
--   quiet_start, quiet_end: local "HH:MM", both '' (the default) or both set;
--   time_zone: an IANA zone name; language: a BCP 47 tag.
CREATE TABLE professional_preferences (
    professional_id TEXT PRIMARY KEY REFERENCES professionals (id),
    language        TEXT NOT NULL DEFAULT '',
    digest_times    TEXT NOT NULL DEFAULT '',
    quiet_start     TEXT NOT NULL DEFAULT '',
    quiet_end       TEXT NOT NULL DEFAULT '',
    time_zone       TEXT NOT NULL DEFAULT '',
    updated_at      TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE professional_preferences;
