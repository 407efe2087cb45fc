-- +goose Up
-- Who may see a household, stated once: its care team, and the supervisors who are members of
-- its team. Listing visible households, checking access and addressing "please sync" pushes
-- all read this view, so the rule cannot drift between them. The existing indexes serve both
-- directions: by professional (care_team_members_professional, team_members_professional then
-- households_team) and by household (the primary keys of care_team_members, households and
-- team_members).
CREATE VIEW household_viewers AS
SELECT household_id, professional_id FROM care_team_members
UNION
SELECT h.id AS household_id, m.professional_id
FROM households h
JOIN team_members m ON m.team_id = h.team_id
JOIN professionals p ON p.id = m.professional_id
WHERE p.role = 'supervisor';

-- +goose Down
DROP VIEW household_viewers;
