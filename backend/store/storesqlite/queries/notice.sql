-- name: NoticeInsert :execrows
INSERT INTO notices (id, alert_id, step, created_at) VALUES (@id, @alert_id, @step, @now)
ON CONFLICT (id) DO NOTHING;

-- name: NoticeList :many
SELECT * FROM notices WHERE alert_id = @alert_id ORDER BY step, id;
