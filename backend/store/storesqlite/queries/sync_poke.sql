-- name: SyncPokeUpsert :exec
INSERT INTO sync_pokes (household_id, version) VALUES (@household_id, @version)
ON CONFLICT (household_id) DO UPDATE SET version = excluded.version;

-- name: SyncPokeTake :many
DELETE FROM sync_pokes WHERE household_id IN (
    SELECT s.household_id FROM sync_pokes s ORDER BY s.household_id LIMIT @max
)
RETURNING *;
