-- name: DeviceUpsert :exec
INSERT INTO devices (token, professional_id, platform, updated_at) VALUES (@token, @professional_id, @platform, @updated_at)
ON CONFLICT (token) DO UPDATE SET professional_id = excluded.professional_id, platform = excluded.platform,
    updated_at = excluded.updated_at;

-- name: DeviceDelete :exec
DELETE FROM devices WHERE token = @token AND professional_id = @professional_id;

-- name: DeviceDeleteByTokens :exec
DELETE FROM devices WHERE token IN (SELECT value FROM json_each(CAST(@tokens AS TEXT)));

-- name: DeviceListByProfessional :many
SELECT * FROM devices WHERE professional_id = @professional_id ORDER BY token;
