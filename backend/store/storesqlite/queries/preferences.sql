-- Preferences per person (professional_preferences): what the domain layer validated, stored as
-- given; '' in a column means the deployment's default. The rules are the core's
-- (backend/store/preferences.go); these are its statements.

-- name: PreferencesGet :one
SELECT * FROM professional_preferences WHERE professional_id = @professional_id;

-- name: PreferencesUpsert :exec
INSERT INTO professional_preferences (professional_id, language, digest_times, quiet_start, quiet_end, time_zone, updated_at)
VALUES (@professional_id, @language, @digest_times, @quiet_start, @quiet_end, @time_zone, @updated_at)
ON CONFLICT (professional_id) DO UPDATE SET language = excluded.language, digest_times = excluded.digest_times,
    quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, time_zone = excluded.time_zone,
    updated_at = excluded.updated_at;

-- name: PreferencesListMany :many
SELECT * FROM professional_preferences WHERE professional_id IN (SELECT value FROM json_each(CAST(@professional_ids AS TEXT))) ORDER BY professional_id;
