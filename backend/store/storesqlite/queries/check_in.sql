-- name: CheckInGet :one
SELECT * FROM check_ins WHERE id = @id;

-- name: CheckInInsertMany :exec
INSERT INTO check_ins (id, household_id, schedule_id, channel, outcome, note, recorded_by, recorded_at, version)
SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'), json_extract(j.value, '$[5]'), json_extract(j.value, '$[6]'), json_extract(j.value, '$[7]'), json_extract(j.value, '$[8]')
FROM json_each(CAST(@rows AS TEXT)) AS j WHERE true
ON CONFLICT (id) DO NOTHING;

-- name: CheckInListByHousehold :many
SELECT * FROM check_ins WHERE household_id = @household_id ORDER BY recorded_at DESC, id DESC LIMIT @max;

-- name: CheckInListChanged :many
SELECT * FROM check_ins WHERE household_id = @household_id AND version > @after AND version <= @up_to ORDER BY version, id;
