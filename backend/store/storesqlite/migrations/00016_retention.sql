-- +goose Up
-- Times are INTEGER microseconds since the epoch, UTC.
-- Retention (issue 12): a closed household whose retention period has passed is erased by the
-- scheduler. Its data rows are deleted; its households row stays as a tombstone (code opaque,
-- display name blank, erased_at set) so that the foreign keys and the access log's household
-- chain keep naming an id that exists. An erased household is never reopened.
ALTER TABLE households ADD COLUMN erased_at INTEGER;

-- The erasure job reads the closed, not yet erased households from the oldest closing on.
CREATE INDEX households_closed ON households (closed_at) WHERE closed_at IS NOT NULL AND erased_at IS NULL;

-- +goose Down
DROP INDEX households_closed;
ALTER TABLE households DROP COLUMN erased_at;
