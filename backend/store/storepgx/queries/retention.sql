-- Retention (issue 12): the closed households whose retention period has passed, and the
-- erasure of one of them. The job claims one household per transaction, so the household row
-- is the first row it locks (docs/storage.md's lock order); replicas claiming at once skip
-- each other's claims.

-- name: HouseholdClaimExpired :many
SELECT id FROM households
WHERE closed_at IS NOT NULL AND erased_at IS NULL AND closed_at <= @cutoff::timestamptz
ORDER BY closed_at, id LIMIT @max_rows FOR UPDATE SKIP LOCKED;

-- name: HouseholdTombstone :exec
UPDATE households SET code = @code, display_name = '', erased_at = @erased_at WHERE id = @id;

-- name: PushOutboxDeleteByHousehold :exec
DELETE FROM push_outbox WHERE notice_id IN (
    SELECT n.id FROM notices n JOIN alerts a ON a.id = n.alert_id WHERE a.household_id = @household_id);

-- name: NoticeDeleteByHousehold :exec
DELETE FROM notices WHERE alert_id IN (SELECT a.id FROM alerts a WHERE a.household_id = @household_id);

-- name: AlertDeleteByHousehold :exec
DELETE FROM alerts WHERE household_id = @household_id;

-- name: CheckInDeleteByHousehold :exec
DELETE FROM check_ins WHERE household_id = @household_id;

-- name: CheckInLinkDeleteByHousehold :exec
DELETE FROM check_in_links WHERE household_id = @household_id;

-- name: ScheduleDeleteByHousehold :exec
DELETE FROM schedules WHERE household_id = @household_id;

-- name: PlanEntryDeleteByHousehold :exec
DELETE FROM plan_entries WHERE household_id = @household_id;

-- name: FieldWriteDeleteByHousehold :exec
DELETE FROM field_writes WHERE household_id = @household_id;

-- name: RecordDeleteDeleteByHousehold :exec
DELETE FROM record_deletes WHERE household_id = @household_id;

-- name: ConflictDeleteByHousehold :exec
DELETE FROM conflicts WHERE household_id = @household_id;

-- name: SyncMutationDeleteByHousehold :exec
DELETE FROM sync_mutations WHERE household_id = @household_id;

-- name: SyncPokeDeleteByHousehold :exec
DELETE FROM sync_pokes WHERE household_id = @household_id;

-- name: CareTeamDeleteByHousehold :exec
DELETE FROM care_team_members WHERE household_id = @household_id;
