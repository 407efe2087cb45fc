-- +goose Up
-- Starting a region through the API (issue 14): organizations that end their part, identity
-- providers bound to organizations in the database (RegionService.BindIssuer), and
-- households whose file is closed.
ALTER TABLE organizations ADD COLUMN deactivated_at TIMESTAMPTZ;

-- An issuer vouches for the professionals of one organization only (mobile-api/auth); the
-- server trusts these beside the ones given by --issuer.
CREATE TABLE organization_issuers (
    issuer          TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    jwks_url        TEXT NOT NULL,
    audience        TEXT NOT NULL,
    bound_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX organization_issuers_organization ON organization_issuers (organization_id);

-- closed_at set: nobody sees the household (both halves of household_viewers leave it out),
-- its schedules are stopped and its retention period runs from then.
ALTER TABLE households ADD COLUMN closed_at TIMESTAMPTZ;

-- The relations again, now without closed households, and without every role that holds
-- no relation to household data (admins, privacy officers, the regional administrator).
DROP VIEW household_viewers;
DROP VIEW household_supervisors;
DROP VIEW household_care_team;
CREATE VIEW household_care_team AS
SELECT c.household_id, c.professional_id, c.lead FROM care_team_members c
JOIN professionals p ON p.id = c.professional_id
JOIN households h ON h.id = c.household_id
WHERE p.role NOT IN ('admin', 'privacy_officer', 'regional_admin') AND h.closed_at IS NULL;
CREATE VIEW household_supervisors AS
SELECT h.id AS household_id, m.professional_id FROM households h
JOIN team_members m ON m.team_id = h.team_id
JOIN professionals p ON p.id = m.professional_id
WHERE p.role = 'supervisor' AND h.closed_at IS NULL;
CREATE VIEW household_viewers AS
SELECT household_id, professional_id FROM household_care_team
UNION
SELECT household_id, professional_id FROM household_supervisors;

-- +goose Down
DROP VIEW household_viewers;
DROP VIEW household_supervisors;
DROP VIEW household_care_team;
CREATE VIEW household_care_team AS
SELECT c.household_id, c.professional_id, c.lead FROM care_team_members c
JOIN professionals p ON p.id = c.professional_id
WHERE p.role <> 'admin';
CREATE VIEW household_supervisors AS
SELECT h.id AS household_id, m.professional_id FROM households h
JOIN team_members m ON m.team_id = h.team_id
JOIN professionals p ON p.id = m.professional_id
WHERE p.role = 'supervisor';
CREATE VIEW household_viewers AS
SELECT household_id, professional_id FROM household_care_team
UNION
SELECT household_id, professional_id FROM household_supervisors;
ALTER TABLE households DROP COLUMN closed_at;
DROP TABLE organization_issuers;
ALTER TABLE organizations DROP COLUMN deactivated_at;
