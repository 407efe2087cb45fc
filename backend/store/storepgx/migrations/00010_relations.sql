-- +goose Up
-- How a professional stands to a household, in two views that household_viewers unites, so
-- that the access policy (HouseholdRelationList: care team, lead, team supervisor) and
-- visibility read the same definitions:
--   household_care_team: the care team, without organization admins. An admin holds no
--     relation to any household (docs/access.md); the domain refuses to add one, and one
--     listed from before is not there.
--   household_supervisors: members of the household's team with the supervisor role.
DROP VIEW household_viewers;
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

-- Every grant is recorded: an access record names the professional it is about (added to or
-- removed from a care team, given a role); empty for other actions.
ALTER TABLE audit_events ADD COLUMN subject_id TEXT NOT NULL DEFAULT '';

-- A professional signs in through their organization's identity provider, whose subjects are
-- its own: (issuer, subject) names one professional. A token's issuer must still be bound to
-- the professional's organization (the edge checks it).
CREATE TABLE professional_identities (
    issuer          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    professional_id TEXT NOT NULL REFERENCES professionals (id),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX professional_identities_professional ON professional_identities (professional_id);

-- +goose Down
DROP TABLE professional_identities;
ALTER TABLE audit_events DROP COLUMN subject_id;
DROP VIEW household_viewers;
DROP VIEW household_supervisors;
DROP VIEW household_care_team;
CREATE VIEW household_viewers AS
SELECT household_id, professional_id FROM care_team_members
UNION
SELECT h.id AS household_id, m.professional_id FROM households h
JOIN team_members m ON m.team_id = h.team_id
JOIN professionals p ON p.id = m.professional_id
WHERE p.role = 'supervisor';
