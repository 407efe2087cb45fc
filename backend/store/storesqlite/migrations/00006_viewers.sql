-- +goose Up
-- Who may see a household, written once: its care team, and the supervisors who are members
-- of its team. The core's visibility (HouseholdListVisible, HouseholdCanAccess) and the
-- "please sync" pushes (OutboxInsertViewers) all read this view, so they cannot disagree.
-- UNION (not UNION ALL): a supervisor who is also in the care team is one viewer. SQLite pushes
-- the professional_id or household_id of a query into both arms, and the existing indexes serve
-- them (EXPLAIN QUERY PLAN): by professional care_team_members_professional,
-- team_members_professional and households_team; by household the primary keys.
CREATE VIEW household_viewers AS
SELECT household_id, professional_id FROM care_team_members
UNION
SELECT h.id AS household_id, m.professional_id FROM households h
JOIN team_members m ON m.team_id = h.team_id
JOIN professionals p ON p.id = m.professional_id
WHERE p.role = 'supervisor';

-- +goose Down
DROP VIEW household_viewers;
