package store

import (
	"context"
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
	"github.com/veilig/veilig/sync/server"
)

// Driver is what a storage engine provides to the storage core (DB): transactions, migrations
// and an Executor of SQL-shaped operations. An engine holds its SQL and nothing else: every
// rule (lock order, what a push writes, notice ids, check-in effects, who may see what) lives
// once, in the core, and is the same on every engine.
//
// Drivers interpret their database's errors once: a missing row is ErrNotFound, a unique
// violation ErrConflict (both wrapped); context cancellation stays context.Canceled or
// context.DeadlineExceeded.
type Driver interface {
	// Executor returns the executor for reads outside a transaction.
	Executor() Executor
	// Tx runs f in one write transaction and commits it. On PostgreSQL and CockroachDB a
	// serialization failure (SQLSTATE 40001), at any statement or at commit, restarts the
	// whole transaction, so f may run more than once and must have no effect outside it. Any
	// other error from f rolls back and is returned as it is.
	Tx(ctx context.Context, f func(ctx context.Context, tx Executor) error) error
	// LockedTx runs f as Tx does (retries included), for a transaction that takes the row
	// lock of every household it reads or writes (Executor.HouseholdLockMany) before anything
	// else, and otherwise reads only rows found by a unique id (the storage core's push). Those
	// locks already order every writer of a household, so PostgreSQL runs it at READ
	// COMMITTED, where no predicate lock can fail it for rows it never shared with another
	// household's writer; a unique violation there means another household's transaction
	// took the same id first, and the transaction is run again to see it. CockroachDB runs it
	// SERIALIZABLE, as every transaction; SQLite as Tx.
	LockedTx(ctx context.Context, f func(ctx context.Context, tx Executor) error) error
	// Migrate applies every pending schema migration and returns those it applied, in order;
	// none when the schema was up to date.
	Migrate(ctx context.Context) ([]Migration, error)
	// MigrationStatus lists every migration this binary carries, in order, each applied or
	// pending; it changes nothing.
	MigrationStatus(ctx context.Context) ([]Migration, error)
	// MigrationsPending reports whether the schema lacks migrations this binary carries.
	MigrationsPending(ctx context.Context) (bool, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the driver's connections.
	Close() error
}

// Executor runs one SQL-shaped operation each. Methods are named Noun+Verb; methods named
// …Many take a slice and are set-based on engines that can be (one statement whatever the
// length); the core never calls one with an empty slice. Lists are ordered as each method says, so that every
// engine answers alike. Times are stored with microsecond precision in UTC and returned in
// UTC.
type Executor interface {
	Reader

	// OrganizationUpsert inserts an organization or renames it.
	OrganizationUpsert(ctx context.Context, org Organization) error
	// ProfessionalUpsert inserts or replaces every column but CreatedAt of an existing row.
	ProfessionalUpsert(ctx context.Context, p Professional) error
	// ProfessionalIdentityUpsert binds (Issuer, Subject) to a professional, replacing an
	// earlier binding of the pair; an unknown professional is an error.
	ProfessionalIdentityUpsert(ctx context.Context, id ProfessionalIdentity) error
	// OrganizationDeactivate sets deactivated_at of an organization not deactivated yet.
	OrganizationDeactivate(ctx context.Context, id string, at time.Time) error
	// OrganizationLeaseSet sets an organization's own Lease, in whole seconds, or clears it
	// (the zero Lease) back to the deployment's default; an unknown organization is
	// ErrNotFound. OrganizationUpsert leaves the lease as it is.
	OrganizationLeaseSet(ctx context.Context, id string, lease Lease) error
	// OrganizationIssuerUpsert binds an issuer to its organization, or replaces the JWKS URL,
	// audience and BoundAt of its binding (never its organization: the domain checks that).
	OrganizationIssuerUpsert(ctx context.Context, i OrganizationIssuer) error
	// HouseholdTeamSet moves a household to another team (the caller has locked and bumped it).
	HouseholdTeamSet(ctx context.Context, householdID, teamID string) error
	// HouseholdClosedSet closes (a time) or reopens (nil) a household's file.
	HouseholdClosedSet(ctx context.Context, householdID string, closedAt *time.Time) error
	// HouseholdClaimExpired locks and returns up to maxRows households closed at or before
	// cutoff and not yet erased, oldest closing first. On PostgreSQL and CockroachDB rows
	// locked by another transaction are skipped (FOR UPDATE SKIP LOCKED), so replicas never
	// claim one household at once; on SQLite the single writer serializes the claims.
	HouseholdClaimExpired(ctx context.Context, cutoff time.Time, maxRows int) ([]string, error)
	// HouseholdDataDelete deletes every data row of a household: plan entries, field writes,
	// record deletes, conflicts, sync mutations and pokes, schedules, check-ins, check-in
	// links, alerts with their notices and push outbox rows, and care-team members. The
	// households row itself and the access log stay.
	HouseholdDataDelete(ctx context.Context, householdID string) error
	// HouseholdTombstone replaces a household's personal data by a tombstone: code becomes
	// code, the display name blank, erased_at at.
	HouseholdTombstone(ctx context.Context, householdID, code string, at time.Time) error
	// ScheduleStopByHousehold clears next_due_at, overdue_at and opens_at of every schedule
	// of a household and stamps them with version.
	ScheduleStopByHousehold(ctx context.Context, householdID string, version int64, now time.Time) error
	// AlertEndByHousehold acknowledges, as by, every open alert of a household.
	AlertEndByHousehold(ctx context.Context, householdID, by string, now time.Time) error
	// TeamUpsert inserts a team or renames it.
	TeamUpsert(ctx context.Context, team Team) error
	// TeamMemberInsert does nothing when the membership exists.
	TeamMemberInsert(ctx context.Context, m TeamMember) error
	// TeamMemberDelete does nothing when the membership does not exist.
	TeamMemberDelete(ctx context.Context, m TeamMember) error
	// HouseholdInsert inserts a household with version 1 and UpdatedAt = CreatedAt; a second
	// household with the same code or id is ErrConflict.
	HouseholdInsert(ctx context.Context, h Household) error
	// HouseholdLockBump locks the named households in the order of their ids (on engines
	// with row locks: SELECT … ORDER BY id FOR UPDATE), raises each one's version by one,
	// sets its updated_at to Now and records it in sync_pokes with the new version (insert, or
	// raise the stored version). It returns the new versions of the households that exist,
	// ordered by id; unknown ids are left out.
	HouseholdLockBump(ctx context.Context, p HouseholdLockBumpParams) ([]HouseholdVersion, error)
	// HouseholdLockMany locks the named households in the order of their ids (SELECT …
	// ORDER BY id FOR UPDATE; nothing on SQLite, whose write transaction holds its only write
	// lock). Unknown ids are ignored.
	HouseholdLockMany(ctx context.Context, ids []string) error
	// HouseholdBumpMany is HouseholdLockBump for households the transaction has locked
	// already (HouseholdLockMany): the bump and the sync pokes, without the lock.
	HouseholdBumpMany(ctx context.Context, p HouseholdLockBumpParams) ([]HouseholdVersion, error)
	// HouseholdAdvanceMany raises the versions of households the transaction has locked and
	// bumped to the given ones (a push whose rows took several versions,
	// server.Changes.Versions) and records each in sync_pokes; it never lowers a version.
	HouseholdAdvanceMany(ctx context.Context, versions []HouseholdVersion) error
	// CareTeamMemberClearLead clears the lead flag of every member of a household.
	CareTeamMemberClearLead(ctx context.Context, householdID string) error
	// CareTeamMemberUpsert inserts an assignment or sets its lead flag.
	CareTeamMemberUpsert(ctx context.Context, m CareTeamMember) error
	// CareTeamMemberDelete deletes an assignment and reports whether it existed.
	CareTeamMemberDelete(ctx context.Context, householdID, professionalID string) (bool, error)
	// CareTeamMemberListMany lists the care-team members of the named households, ordered by
	// household id, then professional id.
	CareTeamMemberListMany(ctx context.Context, householdIDs []string) ([]*CareTeamMember, error)
	// MutationLogGetMany returns the log entries of the given mutation ids that exist, in no
	// particular order: each first result with the household and professional it was logged
	// for (the scope in which the id is a re-send).
	MutationLogGetMany(ctx context.Context, ids []string) ([]server.Logged, error)
	// MutationLogInsertMany appends entries to the mutation log.
	MutationLogInsertMany(ctx context.Context, rows []server.MutationRow) error
	// PlanEntryHeaderGetMany returns the headers of the named plan entries that exist.
	PlanEntryHeaderGetMany(ctx context.Context, ids []string) ([]server.Record, error)
	// PlanEntryHeaderUpsertMany inserts headers (created_at = updated_at = Now) or updates
	// deleted, version, updated_at and updated_by of existing ones.
	PlanEntryHeaderUpsertMany(ctx context.Context, p PlanEntryHeaderUpsertManyParams) error
	// ChangeSizeList estimates, per version in (After, UpTo], the bytes a pull sends for the
	// rows of that version (the allowances of Size), ordered by version.
	ChangeSizeList(ctx context.Context, p ChangedParams) ([]VersionSize, error)
	// PlanEntryListChanged lists the headers of a household's entries whose version is in
	// (After, UpTo], and of those with a current field in that range, ordered by id, without
	// fields.
	PlanEntryListChanged(ctx context.Context, p ChangedParams) ([]*SyncRecord, error)
	// FieldWriteListByRecords returns every stored write of the named records, in no
	// particular order.
	FieldWriteListByRecords(ctx context.Context, recordIDs []string) ([]server.WriteRow, error)
	// FieldWriteListChanged lists a household's current field values whose write's version
	// is in (After, UpTo], ordered by record id and field: what a pull sends.
	FieldWriteListChanged(ctx context.Context, p ChangedParams) ([]RecordField, error)
	// FieldWriteInsertMany stores new writes as they are (is_current included).
	FieldWriteInsertMany(ctx context.Context, rows []server.WriteRow) error
	// FieldWriteSupersedeMany marks the named stored writes, each by its primary key, no
	// longer current (their winners are inserted current by the same push).
	FieldWriteSupersedeMany(ctx context.Context, rows []server.WriteKey) error
	// FieldWriteReviveMany sets the version of each named stored write, by its primary key
	// (a revived record sends its current fields again, at the versions Plan spread them to).
	FieldWriteReviveMany(ctx context.Context, rows []server.WriteVersion) error
	// RecordDeleteListByRecords returns every stored delete of the named records.
	RecordDeleteListByRecords(ctx context.Context, recordIDs []string) ([]server.DeleteRow, error)
	// RecordDeleteInsertMany stores new deletes.
	RecordDeleteInsertMany(ctx context.Context, rows []server.DeleteRow) error
	// ConflictListByRecordsOrIDs returns the conflicts of the named records and the conflicts
	// with the named ids, ordered by id.
	ConflictListByRecordsOrIDs(ctx context.Context, recordIDs, ids []string) ([]*change.Conflict, error)
	// ConflictListChanged lists a household's conflicts whose version is in (After, UpTo], by id.
	ConflictListChanged(ctx context.Context, p ChangedParams) ([]*change.Conflict, error)
	// ConflictUpsertMany inserts conflicts or updates overwritten_by, resolved and version.
	ConflictUpsertMany(ctx context.Context, rows []change.Conflict) error
	// CheckInGet returns one check-in.
	CheckInGet(ctx context.Context, id string) (*change.CheckIn, error)
	// CheckInInsertMany inserts check-ins; an id that exists is left as it is.
	CheckInInsertMany(ctx context.Context, rows []change.CheckIn) error
	// CheckInListChanged lists a household's check-ins whose version is in (After, UpTo], ordered
	// by version, then id.
	CheckInListChanged(ctx context.Context, p ChangedParams) ([]*change.CheckIn, error)
	// ScheduleUpsert inserts or replaces a schedule (every column but id, household_id,
	// created_at and last_check_in_at; a new row's last_check_in_at is the household's latest
	// check-in) with the given version, created_at/updated_at = Now, and returns it as stored.
	ScheduleUpsert(ctx context.Context, p ScheduleUpsertRowParams) (*Schedule, error)
	// ScheduleListChanged lists a household's schedules whose version is in (After, UpTo], ordered
	// by version, then id.
	ScheduleListChanged(ctx context.Context, p ChangedParams) ([]*Schedule, error)
	// ScheduleClaimDue returns, lowest overdue_at first, up to Limit schedules whose
	// overdue_at is at or before Now, locking them and skipping rows another transaction
	// holds (FOR UPDATE SKIP LOCKED) on engines with row locks.
	ScheduleClaimDue(ctx context.Context, p ClaimParams) ([]*Schedule, error)
	// ScheduleAdvanceMany sets next_due_at, overdue_at and opens_at of claimed schedules.
	ScheduleAdvanceMany(ctx context.Context, rows []ScheduleAdvanceRow) error
	// ScheduleLeadReroute gives the household's schedules whose lead_professional_id is set
	// and is Former or not a member of the care team the lead Lead ('' for "the household's
	// lead"), stamped with Version and updated_at = Now; schedules led by Lead or by '' are
	// left as they are.
	ScheduleLeadReroute(ctx context.Context, p LeadRerouteParams) error
	// ScheduleCheckInMany raises last_check_in_at of every schedule of each household to the
	// given instant where it is older or unset.
	ScheduleCheckInMany(ctx context.Context, rows []HouseholdInstant) error
	// AlertInsertMany inserts alerts that do not exist yet (an existing id is left as it is)
	// with step 0 and created_at = Now, taking team_id from the household and organization_id
	// from the lead professional (the given OrganizationID when there is no such lead);
	// alerts of unknown households are not inserted. It returns the ids it inserted.
	AlertInsertMany(ctx context.Context, p AlertInsertManyParams) ([]string, error)
	// AlertLeadReroute gives the household's open (unacknowledged) alerts whose lead_id is
	// Former or is not a member of the care team ('' included) the lead Lead, unless they
	// have it already: organization_id becomes Lead's organization (kept when Lead is '' or
	// unknown), and an alert at step 0 re-routed to no lead gets next_step_at = Now, so that
	// escalation takes it up at once. It returns the alerts as updated, in no particular
	// order. Version is not used.
	AlertLeadReroute(ctx context.Context, p LeadRerouteParams) ([]*Alert, error)
	// AlertClaimDue returns, lowest next_step_at first, up to Limit alerts whose next_step_at
	// is at or before Now, locked and skipping locked rows like ScheduleClaimDue.
	AlertClaimDue(ctx context.Context, p ClaimParams) ([]*Alert, error)
	// AlertStepMany sets step and next_step_at of claimed alerts.
	AlertStepMany(ctx context.Context, rows []AlertStepRow) error
	// AlertAcknowledge clears next_step_at and, the first time only, sets acknowledged_at and
	// acknowledged_by; it returns the alert as stored.
	AlertAcknowledge(ctx context.Context, p AlertAcknowledgeParams) (*Alert, error)
	// AlertAcknowledgeOverdueMany acknowledges, by By at Now, every open overdue alert of the
	// named households.
	AlertAcknowledgeOverdueMany(ctx context.Context, p AlertAcknowledgeOverdueManyParams) error
	// NoticeInsertMany inserts notices (created_at = Now) whose id does not exist yet and
	// returns the ids it inserted.
	NoticeInsertMany(ctx context.Context, p NoticeInsertManyParams) ([]string, error)
	// OutboxInsertMany queues, for every recipient, one pending push per device token of its
	// professional (ProfessionalID), or of every supervisor (role supervisor) who is a member
	// of SupervisorsOfTeam; attempts 0, next_attempt_at = created_at = Now. A (notice, token)
	// that exists is left as it is.
	OutboxInsertMany(ctx context.Context, p OutboxInsertManyParams) error
	// OutboxInsertViewers queues, for every poke, one pending push of kind "sync" with an
	// empty ref per device token of every professional who may see the poke's household
	// (household_viewers), once per token. A (notice, token) that exists is left as it is.
	OutboxInsertViewers(ctx context.Context, p OutboxInsertViewersParams) error
	// OutboxLeadCancel finishes, with status OutboxCancelled, last_error = Reason and
	// next_attempt_at = finished_at = Now, the pending pushes of the step-0 notices (the
	// lead's) of the named alerts whose professional is not Keep.
	OutboxLeadCancel(ctx context.Context, p OutboxLeadCancelParams) error
	// OutboxClaim leases up to Limit pending pushes whose next_attempt_at is at or before Now,
	// oldest next_attempt_at first, skipping locked rows: next_attempt_at becomes LeaseUntil
	// and attempts goes up by one. It returns them as updated.
	OutboxClaim(ctx context.Context, p OutboxClaimRowParams) ([]*OutboxItem, error)
	// OutboxFinishMany records outcomes of pending pushes whose attempts still equal the
	// result's Attempt: status, next_attempt_at (NextAttemptAt for a pending result, Now
	// otherwise), last_error = Reason, finished_at (NULL for pending, Now otherwise).
	OutboxFinishMany(ctx context.Context, p OutboxCompleteParams) error
	// DeviceUpsert stores d's token for d.ProfessionalID, or, when that professional holds
	// it already, sets its platform and updated_at. A token another professional holds is
	// left unchanged: never moved. It returns the token's holder after the statement
	// (d.ProfessionalID unless another professional holds it), in one statement, so that of
	// two registrations of a new token at once exactly one becomes its holder.
	DeviceUpsert(ctx context.Context, d Device) (holderID string, err error)
	// DeviceDelete deletes a professional's token; another's token is left alone.
	DeviceDelete(ctx context.Context, professionalID, token string) error
	// DeviceDeleteByTokens deletes the named tokens, whoever holds them.
	DeviceDeleteByTokens(ctx context.Context, tokens []string) error
	// EscalationPolicyUpsert stores a team's or an organization's policy.
	EscalationPolicyUpsert(ctx context.Context, p EscalationPolicy) error
	// DigestGet returns a supervisor's digest of one slot.
	DigestGet(ctx context.Context, professionalID string, slotAt time.Time) (*Digest, error)
	// DigestCount counts for a supervisor, over the teams they are a member of: open alerts at
	// step 0 of kind overdue (Overdue); open alerts past step 0 or of another kind (Escalated);
	// check-ins with outcome concerns or unsafe recorded in (Since, SlotAt] in those teams'
	// households (Concerns). Only the three counts of the result are set.
	DigestCount(ctx context.Context, p DigestCreateParams) (*Digest, error)
	// DigestInsert records a digest.
	DigestInsert(ctx context.Context, d Digest) error
	// SyncPokeTake deletes and returns up to limit pending sync pokes, ordered by household
	// id, skipping locked rows.
	SyncPokeTake(ctx context.Context, limit int) ([]HouseholdVersion, error)
	// LinkInsert stores a new check-in link (not revoked, no failed PINs, never used).
	LinkInsert(ctx context.Context, l Link) error
	// LinkRevoke sets revoked_at (the first time only) of the household's link and returns it.
	LinkRevoke(ctx context.Context, p LinkRevokeParams) (*Link, error)
	// LinkPINFailed counts a wrong PIN and locks the link (locked_at = Now) when the count
	// reaches Limit and it was not locked; it returns the link as stored.
	LinkPINFailed(ctx context.Context, p LinkPINFailedParams) (*Link, error)
	// LinkUsed sets last_used_at. It leaves failed_pins alone: a correct answer must not
	// wipe the count of wrong PINs before it (issue 13, point 3).
	LinkUsed(ctx context.Context, id string, now time.Time) error
	// FormTokenSpendInsert records a spent form token; a token spent before is ErrConflict.
	FormTokenSpendInsert(ctx context.Context, p FormTokenSpendParams) error
	// FormTokenSpendDeleteBefore deletes at most maxRows spent form tokens with spent_at
	// before before, oldest first, and returns how many it deleted.
	FormTokenSpendDeleteBefore(ctx context.Context, before time.Time, maxRows int) (int64, error)
	// AuditInsertMany inserts access records as they are (their chain fields included).
	AuditInsertMany(ctx context.Context, events []AuditEvent) error
	// DeviceRecordInsert inserts a device record with LastSeenAt = RegisteredAt; an existing
	// id is ErrConflict.
	DeviceRecordInsert(ctx context.Context, d DeviceRecord) error
	// DeviceRecordUpdate sets a record's platform, app version, push token and LastSeenAt.
	DeviceRecordUpdate(ctx context.Context, d DeviceRecord) error
	// DeviceRecordSeen moves a record's LastSeenAt forward to at (never back).
	DeviceRecordSeen(ctx context.Context, id string, at time.Time) error
	// PreferencesUpsert inserts a professional's preferences or replaces every column of
	// their row; an unknown professional is an error.
	PreferencesUpsert(ctx context.Context, p Preferences) error
	// DeviceRecordRevoke sets revoked_at of a record not revoked yet; others are left alone.
	DeviceRecordRevoke(ctx context.Context, id string, at time.Time) error
	// DeviceRecordRevokeByProfessional revokes every record of a professional not revoked
	// yet and returns their ids.
	DeviceRecordRevokeByProfessional(ctx context.Context, professionalID string, at time.Time) ([]string, error)
	// DeviceDeleteByProfessional deletes every push token of a professional.
	DeviceDeleteByProfessional(ctx context.Context, professionalID string) error
	// ProfessionalDisable sets disabled_at of a professional not disabled yet.
	ProfessionalDisable(ctx context.Context, id string, at time.Time) error
	// CareTeamHouseholdsOfProfessional lists, by id, the households whose care team lists
	// the professional.
	CareTeamHouseholdsOfProfessional(ctx context.Context, professionalID string) ([]string, error)
	// AuditHeadLockMany creates the heads of the named chains that have none (position 0,
	// empty hash) and returns every named head, ordered by chain id and locked until the
	// transaction ends (FOR UPDATE; SQLite's write transaction holds its only write lock), so
	// concurrent appends to one chain queue at any isolation (a push on PostgreSQL is READ
	// COMMITTED: Driver.LockedTx).
	AuditHeadLockMany(ctx context.Context, chainIDs []string) ([]AuditHead, error)
	// AuditHeadUpsertMany inserts or replaces chain heads.
	AuditHeadUpsertMany(ctx context.Context, heads []AuditHead) error
	// AuditCheckpointInsert stores a signed checkpoint.
	AuditCheckpointInsert(ctx context.Context, cp AuditCheckpoint) error
	// AuditDeleteBefore deletes every record of a chain at a position before beforeSeq and
	// returns how many it deleted (the access log's retention: DB.AuditCutExpired).
	AuditDeleteBefore(ctx context.Context, chainID string, beforeSeq int64) (int64, error)
	// AuditCutInsert stores a cut of a chain; a second cut at the same first kept position
	// of the chain is ErrConflict.
	AuditCutInsert(ctx context.Context, c AuditCut) error
}

// Reader holds the reads the core serves as they are: DB embeds the driver's Reader, so each
// is a method of DB (and of Store) with the same contract.
type Reader interface {
	// OrganizationGet returns one organization; a missing one is ErrNotFound (so are all the
	// …Get methods' missing rows).
	OrganizationGet(ctx context.Context, id string) (*Organization, error)
	// OrganizationList is ordered by id.
	OrganizationList(ctx context.Context) ([]*Organization, error)
	// OrganizationIssuerGet returns an issuer's binding.
	OrganizationIssuerGet(ctx context.Context, issuer string) (*OrganizationIssuer, error)
	// OrganizationIssuerList lists the bindings of organizations not deactivated, by issuer.
	OrganizationIssuerList(ctx context.Context) ([]*OrganizationIssuer, error)
	// HouseholdGetByCode returns the household with this code, open or closed.
	HouseholdGetByCode(ctx context.Context, code string) (*Household, error)
	// ProfessionalGet returns one professional.
	ProfessionalGet(ctx context.Context, id string) (*Professional, error)
	// ProfessionalGetByIdentity returns the professional an identity provider's subject is
	// bound to; an unbound (issuer, subject) is ErrNotFound.
	ProfessionalGetByIdentity(ctx context.Context, issuer, subject string) (*Professional, error)
	// ProfessionalListByOrganization is ordered by id.
	ProfessionalListByOrganization(ctx context.Context, organizationID string) ([]*Professional, error)
	// ProfessionalListByRole is ordered by id.
	ProfessionalListByRole(ctx context.Context, role Role) ([]*Professional, error)
	// TeamGet returns one team.
	TeamGet(ctx context.Context, id string) (*Team, error)
	// TeamList is ordered by id.
	TeamList(ctx context.Context) ([]*Team, error)
	// TeamListByProfessional lists the teams a professional is a member of, by id.
	TeamListByProfessional(ctx context.Context, professionalID string) ([]*Team, error)
	// TeamMemberList lists a team's member professionals, by id.
	TeamMemberList(ctx context.Context, teamID string) ([]*Professional, error)
	// HouseholdGet returns one household with its current version.
	HouseholdGet(ctx context.Context, id string) (*Household, error)
	// HouseholdListVisible lists, ordered by id, the households the professional may see
	// (household_viewers), at most Limit after AfterID ("" for the first page).
	HouseholdListVisible(ctx context.Context, p HouseholdListVisibleParams) ([]*Household, error)
	// HouseholdVersionListMany returns the versions of the named households that exist,
	// ordered by id (one primary-key lookup each).
	HouseholdVersionListMany(ctx context.Context, ids []string) ([]HouseholdVersion, error)
	// HouseholdViewerListMany lists who may see each of the named households
	// (household_viewers), ordered by household id, then professional id.
	HouseholdViewerListMany(ctx context.Context, householdIDs []string) ([]HouseholdViewer, error)
	// AccessEndedList names, of the given professionals and device records, those whose
	// access has ended: each disabled professional once with an empty DeviceID, and each
	// revoked device with its professional. Ordered by professional id, then device id.
	AccessEndedList(ctx context.Context, professionalIDs, deviceIDs []string) ([]AccessEnded, error)
	// HouseholdViewerListByProfessionals lists the households each of the named
	// professionals may see (household_viewers), ordered by professional id, then household id.
	HouseholdViewerListByProfessionals(ctx context.Context, professionalIDs []string) ([]HouseholdViewer, error)
	// HouseholdRelationListMany lists how a professional stands to each of the named
	// households, ordered by household id, then relation: "care_team" or "lead" (one row for a
	// care-team member, "lead" for the lead), and "team_supervisor" for a supervisor who is a
	// member of its team (household_supervisors). A household without a row is one the
	// professional does not see (household_viewers is these two, united).
	HouseholdRelationListMany(ctx context.Context, professionalID string, householdIDs []string) ([]HouseholdRelation, error)
	// CareTeamMemberList is ordered by professional id.
	CareTeamMemberList(ctx context.Context, householdID string) ([]*CareTeamMember, error)
	// PlanEntryList lists a household's plan entries with their current non-empty field
	// values, ordered by id; tombstones only with IncludeDeleted; only EntryID when set.
	PlanEntryList(ctx context.Context, p PlanEntryListParams) ([]*PlanEntry, error)
	// CheckInListByHousehold lists check-ins newest first (recorded_at, then id, descending),
	// at most limit.
	CheckInListByHousehold(ctx context.Context, householdID string, limit int) ([]*change.CheckIn, error)
	// ScheduleGet returns one schedule.
	ScheduleGet(ctx context.Context, id string) (*Schedule, error)
	// ScheduleListMany returns the named schedules that exist, ordered by id.
	ScheduleListMany(ctx context.Context, ids []string) ([]*Schedule, error)
	// ScheduleListByHousehold is ordered by id.
	ScheduleListByHousehold(ctx context.Context, householdID string) ([]*Schedule, error)
	// AlertGet returns one alert.
	AlertGet(ctx context.Context, id string) (*Alert, error)
	// AlertListByHousehold lists alerts newest first (created_at, then id, descending), at
	// most limit.
	AlertListByHousehold(ctx context.Context, householdID string, limit int) ([]*Alert, error)
	// NoticeList lists an alert's notices by step, then id.
	NoticeList(ctx context.Context, alertID string) ([]*Notice, error)
	// OutboxList lists a notice's pushes by token.
	OutboxList(ctx context.Context, noticeID string) ([]*OutboxItem, error)
	// DeviceListByProfessional is ordered by token.
	DeviceListByProfessional(ctx context.Context, professionalID string) ([]*Device, error)
	// DeviceRecordGet returns one device record, revoked or not.
	DeviceRecordGet(ctx context.Context, id string) (*DeviceRecord, error)
	// DeviceRecordListByProfessional lists a professional's device records by id, revoked
	// ones included.
	DeviceRecordListByProfessional(ctx context.Context, professionalID string) ([]*DeviceRecord, error)
	// PreferencesGet returns a professional's preferences; one who never set any is
	// ErrNotFound.
	PreferencesGet(ctx context.Context, professionalID string) (*Preferences, error)
	// PreferencesListMany returns the preferences of the named professionals that have a row,
	// ordered by professional id; the others are left out.
	PreferencesListMany(ctx context.Context, professionalIDs []string) ([]*Preferences, error)
	// EscalationPolicyList is ordered by scope id.
	EscalationPolicyList(ctx context.Context) ([]*EscalationPolicy, error)
	// LinkGetByTokenHash returns the link with that token hash, whatever its state.
	LinkGetByTokenHash(ctx context.Context, tokenHash string) (*Link, error)
	// LinkListByHousehold lists links newest first (created_at, then id, descending).
	LinkListByHousehold(ctx context.Context, householdID string) ([]*Link, error)
	// AuditListByHousehold lists a household's records by at, then id.
	AuditListByHousehold(ctx context.Context, householdID string) ([]*AuditEvent, error)
	// AuditHeadList lists every chain's head, ordered by chain id.
	AuditHeadList(ctx context.Context) ([]AuditHead, error)
	// AuditListPage lists records ordered by chain id, seq, then id, after the given triple
	// (the zero triple for the first page), at most Limit.
	AuditListPage(ctx context.Context, p AuditPageParams) ([]*AuditEvent, error)
	// AuditCheckpointList lists every checkpoint by at, then id.
	AuditCheckpointList(ctx context.Context) ([]*AuditCheckpoint, error)
	// AuditListChain lists the records of one chain at position fromSeq or later, by seq,
	// then id, at most limit.
	AuditListChain(ctx context.Context, chainID string, fromSeq int64, limit int) ([]*AuditEvent, error)
	// AuditCutLatest returns a chain's latest cut (the highest first kept position), or nil
	// when the chain was never cut.
	AuditCutLatest(ctx context.Context, chainID string) (*AuditCut, error)
	// AuditCutListLatest lists the latest cut of every chain that has one, by chain id.
	AuditCutListLatest(ctx context.Context) ([]*AuditCut, error)
	// AuditList lists the records AuditListParams select, by at, then id.
	AuditList(ctx context.Context, p AuditListParams) ([]*AuditEvent, error)
	// HouseholdOrganizationInvolved reports whether a professional of the organization is in
	// the household's care team (admins and privacy officers included: the rows, not a view).
	HouseholdOrganizationInvolved(ctx context.Context, householdID, organizationID string) (bool, error)
	// OutboxBacklog counts the pending pushes and finds the creation time of the oldest (now
	// when there is none), from the partial index of pending rows: its cost follows the
	// backlog, for a metrics scrape.
	OutboxBacklog(ctx context.Context, now time.Time) (OutboxBacklog, error)
	// OverdueBacklog counts the schedules overdue at now that detection has not claimed yet
	// plus the alerts whose next escalation step is due at now, from the two partial indexes
	// detection and escalation read: its cost follows the backlog, for a metrics scrape.
	OverdueBacklog(ctx context.Context, now time.Time) (int64, error)
}

// OutboxBacklog is what waits in the push outbox.
type OutboxBacklog struct {
	// Waiting counts the pending pushes, those waiting for a retry included.
	Waiting int64
	// Oldest is the creation time of the oldest pending push (the time asked about when
	// none is pending).
	Oldest time.Time
}

// PoolStats are a driver's connection pool figures, for metrics.
type PoolStats struct {
	// Open counts the connections open, in use or idle; Max is the most the pool opens.
	Open, InUse, Idle, Max int
}

// PoolStatser is a Driver that reports its connection pool (both engines do).
type PoolStatser interface {
	PoolStats() PoolStats
}

// HouseholdLockBumpParams names the households a write transaction locks and bumps.
type HouseholdLockBumpParams struct {
	IDs []string
	Now time.Time
}

// HouseholdRelation is one way a professional stands to a household (an access.Relation's
// name).
type HouseholdRelation struct {
	HouseholdID string
	Relation    string
}

// AccessEnded is a disabled professional (DeviceID empty) or a revoked device of one.
type AccessEnded struct {
	ProfessionalID string
	DeviceID       string
}

// HouseholdViewer is one professional who may see a household.
type HouseholdViewer struct {
	HouseholdID    string
	ProfessionalID string
}

// HouseholdVersion is a household's version, after a bump or as a pending sync poke.
type HouseholdVersion struct {
	HouseholdID string
	Version     int64
}

// PlanEntryHeaderUpsertManyParams writes plan entry headers.
type PlanEntryHeaderUpsertManyParams struct {
	Records []server.Record
	Now     time.Time
}

// RecordField is a record's current field value as a pull sends it.
type RecordField struct {
	RecordID, Field, Value string
	Stamp                  hlc.Timestamp
	DeviceID               string
}

// ChangedParams selects a household's rows written after a cursor and at or before UpTo: the
// version range (After, UpTo] of one pull page.
type ChangedParams struct {
	HouseholdID string
	After       int64
	UpTo        int64
}

// VersionSize is the estimated pull size of the rows one household version wrote.
type VersionSize struct {
	Version int64
	Bytes   int64
}

// ScheduleUpsertRowParams writes one schedule row.
type ScheduleUpsertRowParams struct {
	Schedule Schedule
	Version  int64
	Now      time.Time
}

// ClaimParams claims due rows.
type ClaimParams struct {
	Now   time.Time
	Limit int
}

// ScheduleAdvanceRow moves a claimed schedule to its next occurrence.
type ScheduleAdvanceRow struct {
	ID        string
	NextDueAt *time.Time
	OverdueAt *time.Time
	OpensAt   *time.Time
}

// HouseholdInstant is an instant for a household (a check-in's recorded_at).
type HouseholdInstant struct {
	HouseholdID string
	At          time.Time
}

// AlertInsertManyParams inserts alerts.
type AlertInsertManyParams struct {
	// Alerts: ID, Kind, ScheduleID, HouseholdID, LeadID, OrganizationID (used without a
	// lead), DueAt and NextStepAt are used.
	Alerts []Alert
	Now    time.Time
}

// LeadRerouteParams moves what a household's lead is responsible for after a care-team change:
// Lead is the household's lead after it (empty for none), Former the lead it replaced
// (empty when the lead did not change), Version the household's version of the change.
type LeadRerouteParams struct {
	HouseholdID string
	Former      string
	Lead        string
	Version     int64
	Now         time.Time
}

// OutboxLeadCancelParams cancels lead pushes that have not gone out.
type OutboxLeadCancelParams struct {
	AlertIDs []string
	Keep     string // the alerts' new lead, whose pending pushes stay
	Reason   string
	Now      time.Time
}

// AlertStepRow is the new step of a claimed alert.
type AlertStepRow struct {
	ID         string
	Step       int32
	NextStepAt *time.Time
}

// AlertAcknowledgeOverdueManyParams acknowledges households' open overdue alerts.
type AlertAcknowledgeOverdueManyParams struct {
	HouseholdIDs []string
	By           string
	Now          time.Time
}

// NoticeInsertManyParams inserts notices.
type NoticeInsertManyParams struct {
	Notices []Notice // ID, AlertID and Step are used
	Now     time.Time
}

// OutboxRecipient is whom one notice's push goes to: a professional, or the supervisors of a
// team. Kind, Ref, Urgent and Counts are copied onto every push.
type OutboxRecipient struct {
	NoticeID          string
	ProfessionalID    string
	SupervisorsOfTeam string
	Kind              string
	Ref               string
	Urgent            bool
	Counts            [3]int32
}

// OutboxInsertManyParams queues pushes.
type OutboxInsertManyParams struct {
	Recipients []OutboxRecipient
	Now        time.Time
}

// SyncPoke is one "please sync" notice for a household.
type SyncPoke struct {
	NoticeID    string
	HouseholdID string
}

// OutboxInsertViewersParams queues "please sync" pushes.
type OutboxInsertViewersParams struct {
	Pokes []SyncPoke
	Now   time.Time
}

// OutboxClaimRowParams leases pushes.
type OutboxClaimRowParams struct {
	Now        time.Time
	LeaseUntil time.Time
	Limit      int
}
