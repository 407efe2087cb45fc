-- name: AuditInsert :exec
INSERT INTO audit_events (id, at, professional_id, device_id, action, household_id, request_id, subject_id)
VALUES (@id, @at, @professional_id, @device_id, @action, @household_id, @request_id, @subject_id);

-- name: AuditListByHousehold :many
SELECT * FROM audit_events WHERE household_id = @household_id ORDER BY at, id;
