-- name: CareTeamMemberClearLead :exec
UPDATE care_team_members SET lead = 0 WHERE household_id = @household_id AND lead = 1;

-- name: CareTeamMemberUpsert :exec
INSERT INTO care_team_members (household_id, professional_id, lead) VALUES (@household_id, @professional_id, @lead)
ON CONFLICT (household_id, professional_id) DO UPDATE SET lead = excluded.lead;

-- name: CareTeamMemberDelete :execrows
DELETE FROM care_team_members WHERE household_id = @household_id AND professional_id = @professional_id;

-- name: CareTeamMemberList :many
SELECT * FROM care_team_members WHERE household_id = @household_id ORDER BY professional_id;

-- CareTeamMemberListMany reads the care teams of a batch of households (the leads of the alerts
-- detection raises) in one statement, through the primary key.
-- name: CareTeamMemberListMany :many
SELECT * FROM care_team_members WHERE household_id IN (SELECT value FROM json_each(CAST(@household_ids AS TEXT)))
ORDER BY household_id, professional_id;
