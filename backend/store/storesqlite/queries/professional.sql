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

-- name: ProfessionalIdentityUpsert :exec
INSERT INTO professional_identities (issuer, subject, professional_id) VALUES (@issuer, @subject, @professional_id)
ON CONFLICT (issuer, subject) DO UPDATE SET professional_id = excluded.professional_id;

-- name: ProfessionalGetByIdentity :one
SELECT p.* FROM professional_identities i JOIN professionals p ON p.id = i.professional_id
WHERE i.issuer = @issuer AND i.subject = @subject;
