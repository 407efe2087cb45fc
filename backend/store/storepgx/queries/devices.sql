-- Devices as records (device_records): registration, listing, revocation, and what disabling
-- a professional ends. The rules are the core's (backend/store/devices.go); these are its
-- statements.

-- name: DeviceRecordGet :one
SELECT * FROM device_records WHERE id = @id;

-- name: DeviceRecordInsert :exec
INSERT INTO device_records (id, professional_id, platform, app_version, push_token, registered_at, last_seen_at)
VALUES (@id, @professional_id, @platform, @app_version, @push_token, @registered_at, @last_seen_at);

-- name: DeviceRecordUpdate :exec
UPDATE device_records SET platform = @platform, app_version = @app_version, push_token = @push_token, last_seen_at = @last_seen_at
WHERE id = @id;

-- name: DeviceRecordSeen :exec
UPDATE device_records SET last_seen_at = @last_seen_at WHERE id = @id AND last_seen_at < @last_seen_at;

-- name: DeviceRecordListByProfessional :many
SELECT * FROM device_records WHERE professional_id = @professional_id ORDER BY id;

-- name: DeviceRecordRevoke :exec
UPDATE device_records SET revoked_at = @revoked_at WHERE id = @id AND revoked_at IS NULL;

-- name: DeviceRecordRevokeByProfessional :many
UPDATE device_records SET revoked_at = @revoked_at WHERE professional_id = @professional_id AND revoked_at IS NULL
RETURNING id;

-- name: DeviceDeleteByProfessional :exec
DELETE FROM devices WHERE professional_id = @professional_id;

-- name: ProfessionalDisable :exec
UPDATE professionals SET disabled_at = @disabled_at WHERE id = @id AND disabled_at IS NULL;

-- name: CareTeamHouseholdsOfProfessional :many
SELECT household_id FROM care_team_members WHERE professional_id = @professional_id ORDER BY household_id;

-- name: AccessEndedList :many
SELECT p.id AS professional_id, ''::text AS device_id FROM professionals p
WHERE p.id = ANY(@professional_ids::text[]) AND p.disabled_at IS NOT NULL
UNION ALL
SELECT d.professional_id, d.id FROM device_records d
WHERE d.id = ANY(@device_ids::text[]) AND d.revoked_at IS NOT NULL
ORDER BY professional_id, device_id;
