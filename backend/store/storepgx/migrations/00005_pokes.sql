-- +goose Up
-- Households changed since their devices were last poked: one row per household, holding its
-- latest version. Every household write upserts it in its own transaction; the scheduler
-- drains it and queues one "please sync" data message per device that may see the household.
-- It holds only pending rows, so draining costs what changed, not all households.
CREATE TABLE sync_pokes (
    household_id TEXT PRIMARY KEY,
    version      BIGINT NOT NULL
);

-- The end of a schedule's check-in window (HH:MM on the same day; '' for none).
ALTER TABLE schedules ADD COLUMN window_end TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE schedules DROP COLUMN window_end;
DROP TABLE sync_pokes;
