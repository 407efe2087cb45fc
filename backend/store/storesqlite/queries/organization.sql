-- name: OrganizationUpsert :exec
INSERT INTO organizations (id, name, created_at) VALUES (@id, @name, @created_at)
ON CONFLICT (id) DO UPDATE SET name = excluded.name;

-- name: OrganizationGet :one
SELECT * FROM organizations WHERE id = @id;

-- name: OrganizationList :many
SELECT * FROM organizations ORDER BY id;

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
