-- name: ProfessionalUpsert :exec
INSERT INTO professionals (id, organization_id, display_name, email, phone, role, created_at)
VALUES (@id, @organization_id, @display_name, @email, @phone, @role, @created_at)
ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, display_name = excluded.display_name,
    email = excluded.email, phone = excluded.phone, role = excluded.role;

-- name: ProfessionalGet :one
SELECT * FROM professionals WHERE id = @id;

-- name: ProfessionalListByOrganization :many
SELECT * FROM professionals WHERE organization_id = @organization_id ORDER BY id;

-- name: ProfessionalListByRole :many
SELECT * FROM professionals WHERE role = @role ORDER BY id;
