-- name: ProfessionalUpsert :exec
INSERT INTO professionals (id, organization_id, display_name, email, phone, role, created_at)
VALUES (@id, @organization_id, @display_name, @email, @phone, @role, @created_at)
ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, display_name = excluded.display_name,
    email = excluded.email, phone = excluded.phone, role = excluded.role;

-- ProfessionalGet and ProfessionalGetByIdentity read the lease of the professional's
-- organization with the professional: resolving a caller costs one round trip, its pull's
-- lease included.
-- name: ProfessionalGet :one
SELECT sqlc.embed(p), o.lease_lock_after_seconds, o.lease_erase_after_seconds
FROM professionals p JOIN organizations o ON o.id = p.organization_id
WHERE p.id = @id;

-- name: ProfessionalListByOrganization :many
SELECT * FROM professionals WHERE organization_id = @organization_id ORDER BY id;

-- name: ProfessionalListByRole :many
SELECT * FROM professionals WHERE role = @role ORDER BY id;

-- name: ProfessionalIdentityUpsert :exec
INSERT INTO professional_identities (issuer, subject, professional_id) VALUES (@issuer, @subject, @professional_id)
ON CONFLICT (issuer, subject) DO UPDATE SET professional_id = excluded.professional_id;

-- name: ProfessionalGetByIdentity :one
SELECT sqlc.embed(p), o.lease_lock_after_seconds, o.lease_erase_after_seconds
FROM professional_identities i JOIN professionals p ON p.id = i.professional_id
JOIN organizations o ON o.id = p.organization_id
WHERE i.issuer = @issuer AND i.subject = @subject;
