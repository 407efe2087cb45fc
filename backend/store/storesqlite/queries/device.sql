-- DeviceUpsert registers a token to a professional, or refreshes the platform and updated_at
-- of a token that professional holds already. A token another professional holds is left as
-- it is (each CASE keeps the stored value), and RETURNING names its holder, so that the core
-- refuses the takeover. It is one statement, as on PostgreSQL, so that two registrations of
-- one token at once cannot both win; here write transactions also run one at a time, so the
-- second sees the first's row and its holder.
-- name: DeviceUpsert :one
INSERT INTO devices (token, professional_id, platform, updated_at) VALUES (@token, @professional_id, @platform, @updated_at)
ON CONFLICT (token) DO UPDATE SET
    platform = CASE WHEN devices.professional_id = excluded.professional_id THEN excluded.platform ELSE devices.platform END,
    updated_at = CASE WHEN devices.professional_id = excluded.professional_id THEN excluded.updated_at ELSE devices.updated_at END
RETURNING professional_id;

-- name: DeviceDelete :exec
DELETE FROM devices WHERE token = @token AND professional_id = @professional_id;

-- name: DeviceDeleteByTokens :exec
DELETE FROM devices WHERE token IN (SELECT value FROM json_each(CAST(@tokens AS TEXT)));

-- name: DeviceListByProfessional :many
SELECT * FROM devices WHERE professional_id = @professional_id ORDER BY token;
