-- +goose Up
-- A per-organization offline lease (issue 12): every pull carries the lease of the caller's
-- organization, its own when these are set, the deployment's default (veilig serve
-- --lease-lock-after, --lease-erase-after) when they are NULL. Both are set or both are NULL;
-- the domain layer (backend/household, CheckLease) decides what values are allowed. Whole
-- seconds: a lease is days long.
ALTER TABLE organizations ADD COLUMN lease_lock_after_seconds INTEGER;
ALTER TABLE organizations ADD COLUMN lease_erase_after_seconds INTEGER;

-- +goose Down
ALTER TABLE organizations DROP COLUMN lease_erase_after_seconds;
ALTER TABLE organizations DROP COLUMN lease_lock_after_seconds;
