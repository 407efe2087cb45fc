-- name: OrganizationUpsert :exec
INSERT INTO organizations (id, name, created_at) VALUES (@id, @name, @created_at)
ON CONFLICT (id) DO UPDATE SET name = excluded.name;

-- name: OrganizationGet :one
SELECT * FROM organizations WHERE id = @id;

-- name: OrganizationList :many
SELECT * FROM organizations ORDER BY id;
