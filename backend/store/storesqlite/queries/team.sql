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
