-- name: CheckInGet :one
SELECT * FROM check_ins WHERE id = @id;

-- name: CheckInInsert :exec
INSERT INTO check_ins (id, household_id, schedule_id, channel, outcome, note, recorded_by, recorded_at, version)
VALUES (@id, @household_id, @schedule_id, @channel, @outcome, @note, @recorded_by, @recorded_at, @version)
ON CONFLICT (id) DO NOTHING;

-- name: CheckInListByHousehold :many
SELECT * FROM check_ins WHERE household_id = @household_id ORDER BY recorded_at DESC, id DESC LIMIT @max;

-- name: CheckInListChanged :many
SELECT * FROM check_ins WHERE household_id = @household_id AND version > @after AND version <= @up_to ORDER BY version, id;
