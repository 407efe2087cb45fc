-- Check-ins: facts, append-only.

-- name: CheckInGet :one
SELECT * FROM check_ins WHERE id = @id;

-- name: CheckInInsertMany :exec
INSERT INTO check_ins (id, household_id, schedule_id, channel, outcome, note, recorded_by, recorded_at, version)
SELECT unnest(@id::text[]), unnest(@household_id::text[]), unnest(@schedule_id::text[]), unnest(@channel::text[]),
    unnest(@outcome::text[]), unnest(@note::text[]), unnest(@recorded_by::text[]), unnest(@recorded_at::timestamptz[]),
    unnest(@version::bigint[])
ON CONFLICT (id) DO NOTHING;

-- name: CheckInListByHousehold :many
SELECT * FROM check_ins WHERE household_id = @household_id
ORDER BY recorded_at DESC, id DESC LIMIT @max_rows;

-- name: CheckInListChanged :many
SELECT * FROM check_ins WHERE household_id = @household_id AND version > @after AND version <= @up_to ORDER BY version, id;
