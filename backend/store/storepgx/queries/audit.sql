-- Access records: who read or changed which household's data, and when.

-- name: AuditInsertMany :exec
INSERT INTO audit_events (id, at, professional_id, device_id, action, household_id, request_id, subject_id)
SELECT unnest(@id::text[]), unnest(@at::timestamptz[]), unnest(@professional_id::text[]), unnest(@device_id::text[]),
    unnest(@action::text[]), unnest(@household_id::text[]), unnest(@request_id::text[]), unnest(@subject_id::text[]);

-- name: AuditListByHousehold :many
SELECT * FROM audit_events WHERE household_id = @household_id ORDER BY at, id;
