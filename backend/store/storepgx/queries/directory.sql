-- Organizations, professionals, teams and team membership.

-- name: OrganizationUpsert :exec
INSERT INTO organizations (id, name, created_at) VALUES (@id, @name, @created_at)
ON CONFLICT (id) DO UPDATE SET name = excluded.name;

-- name: OrganizationGet :one
SELECT * FROM organizations WHERE id = @id;

-- name: OrganizationList :many
SELECT * FROM organizations ORDER BY id;

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

-- name: TeamUpsert :exec
INSERT INTO teams (id, name, created_at) VALUES (@id, @name, @created_at)
ON CONFLICT (id) DO UPDATE SET name = excluded.name;

-- name: TeamGet :one
SELECT * FROM teams WHERE id = @id;

-- name: TeamList :many
SELECT * FROM teams ORDER BY id;

-- name: TeamMemberInsert :exec
INSERT INTO team_members (team_id, professional_id) VALUES (@team_id, @professional_id)
ON CONFLICT (team_id, professional_id) DO NOTHING;

-- name: TeamMemberDelete :exec
DELETE FROM team_members WHERE team_id = @team_id AND professional_id = @professional_id;

-- name: TeamListByProfessional :many
SELECT t.* FROM teams t JOIN team_members m ON m.team_id = t.id
WHERE m.professional_id = @professional_id ORDER BY t.id;

-- name: TeamMemberList :many
SELECT p.* FROM professionals p JOIN team_members m ON m.professional_id = p.id
WHERE m.team_id = @team_id ORDER BY p.id;

-- name: ProfessionalIdentityUpsert :exec
INSERT INTO professional_identities (issuer, subject, professional_id) VALUES (@issuer, @subject, @professional_id)
ON CONFLICT (issuer, subject) DO UPDATE SET professional_id = excluded.professional_id;

-- name: ProfessionalGetByIdentity :one
SELECT sqlc.embed(p), o.lease_lock_after_seconds, o.lease_erase_after_seconds
FROM professional_identities i JOIN professionals p ON p.id = i.professional_id
JOIN organizations o ON o.id = p.organization_id
WHERE i.issuer = @issuer AND i.subject = @subject;

-- name: OrganizationDeactivate :exec
UPDATE organizations SET deactivated_at = @deactivated_at WHERE id = @id AND deactivated_at IS NULL;

-- OrganizationLeaseSet sets an organization's own lease, or clears it (both NULL) back to the
-- deployment's default; no row means no such organization.
-- name: OrganizationLeaseSet :execrows
UPDATE organizations SET lease_lock_after_seconds = sqlc.narg(lock_after_seconds),
    lease_erase_after_seconds = sqlc.narg(erase_after_seconds)
WHERE id = @id;

-- name: OrganizationIssuerUpsert :exec
INSERT INTO organization_issuers (issuer, organization_id, jwks_url, audience, bound_at)
VALUES (@issuer, @organization_id, @jwks_url, @audience, @bound_at)
ON CONFLICT (issuer) DO UPDATE SET jwks_url = excluded.jwks_url, audience = excluded.audience, bound_at = excluded.bound_at;

-- name: OrganizationIssuerGet :one
SELECT * FROM organization_issuers WHERE issuer = @issuer;

-- OrganizationIssuerList leaves out the issuers of deactivated organizations: they sign
-- nobody in.
-- name: OrganizationIssuerList :many
SELECT i.* FROM organization_issuers i JOIN organizations o ON o.id = i.organization_id
WHERE o.deactivated_at IS NULL ORDER BY i.issuer;
