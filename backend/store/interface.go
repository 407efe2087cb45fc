package store

import (
	"context"
	"time"

	"github.com/veilig/veilig/sync/change"
)

// Store is the storage contract. Methods are named Noun+Verb and take a params struct where
// more than an id is needed. All methods are safe for concurrent use.
type Store interface {
	Reminders
	Links

	// Migrate applies every pending schema migration.
	Migrate(ctx context.Context) error
	// MigrationsPending reports whether the schema lacks migrations this binary carries.
	MigrationsPending(ctx context.Context) (bool, error)
	// Close releases the store's connections.
	Close() error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	OrganizationUpsert(ctx context.Context, org Organization) error
	OrganizationGet(ctx context.Context, id string) (*Organization, error)
	OrganizationList(ctx context.Context) ([]*Organization, error)

	ProfessionalUpsert(ctx context.Context, p Professional) error
	ProfessionalGet(ctx context.Context, id string) (*Professional, error)
	// ProfessionalListByOrganization lists an organization's professionals ordered by id.
	ProfessionalListByOrganization(ctx context.Context, organizationID string) ([]*Professional, error)

	TeamUpsert(ctx context.Context, team Team) error
	TeamGet(ctx context.Context, id string) (*Team, error)
	TeamList(ctx context.Context) ([]*Team, error)
	// TeamMemberAdd is idempotent.
	TeamMemberAdd(ctx context.Context, m TeamMember) error
	TeamMemberRemove(ctx context.Context, m TeamMember) error
	// TeamListByProfessional lists the teams a professional is a member of, ordered by id.
	TeamListByProfessional(ctx context.Context, professionalID string) ([]*Team, error)
	// TeamMemberList lists a team's member professionals, ordered by id.
	TeamMemberList(ctx context.Context, teamID string) ([]*Professional, error)

	// HouseholdCreate inserts a household with Version 1; a duplicate Code is ErrConflict.
	HouseholdCreate(ctx context.Context, h Household) error
	HouseholdGet(ctx context.Context, id string) (*Household, error)
	// HouseholdListVisible lists, ordered by id, the households a professional may see: those
	// whose care team includes them, and those of the teams they supervise (role supervisor
	// and member of the household's team). At most limit rows after afterID ("" for first).
	HouseholdListVisible(ctx context.Context, p HouseholdListVisibleParams) ([]*Household, error)
	// HouseholdRelationList lists how a professional stands to a household (see Executor);
	// no rows means they may not see it, by the same rule as HouseholdListVisible.
	HouseholdRelationList(ctx context.Context, professionalID, householdID string) ([]string, error)

	// CareTeamMemberSet adds or updates an assignment and bumps the household version. Setting
	// Lead clears the lead flag of every other member of that household. In the same
	// transaction it re-routes reminders to the household's lead after the change: when the
	// lead flag moves (or the lead steps down), the schedules and open alerts the former
	// lead led go to the new lead (none: the supervisors), and so does anything led by
	// nobody or by someone no longer in the care team; each re-routed alert gets a re-route
	// notice (AlertRerouteNoticeID) with a push to the new lead, and the former lead's lead
	// pushes that have not gone out are cancelled (OutboxCancelled).
	CareTeamMemberSet(ctx context.Context, p CareTeamMemberSetParams) error
	// CareTeamMemberRemove removes an assignment and bumps the household version; a
	// professional not in the care team is ErrNotFound. It re-routes, in the same
	// transaction and as CareTeamMemberSet does, what the removed professional led to the
	// household's lead; a removed lead is not replaced, so what they led goes to nobody and
	// their open alerts still at the lead step climb to the team's supervisors at once.
	CareTeamMemberRemove(ctx context.Context, p CareTeamMemberRemoveParams) error
	CareTeamMemberList(ctx context.Context, householdID string) ([]*CareTeamMember, error)

	// PlanEntryUpsert inserts or replaces one plan entry, bumps the household version and
	// returns the stored entry. The entry must belong to the named household: upserting an
	// existing entry id under another household is ErrNotFound.
	PlanEntryUpsert(ctx context.Context, p PlanEntryUpsertParams) (*PlanEntry, error)
	// PlanEntryDelete marks an entry deleted (a tombstone) and bumps the household version.
	PlanEntryDelete(ctx context.Context, p PlanEntryDeleteParams) (*PlanEntry, error)
	// PlanEntryList lists a household's entries ordered by id, tombstones included only when
	// IncludeDeleted is set.
	PlanEntryList(ctx context.Context, p PlanEntryListParams) ([]*PlanEntry, error)

	// ScheduleUpsert inserts or replaces a schedule and bumps the household version.
	ScheduleUpsert(ctx context.Context, p ScheduleUpsertParams) (*Schedule, error)
	ScheduleGet(ctx context.Context, id string) (*Schedule, error)
	ScheduleListByHousehold(ctx context.Context, householdID string) ([]*Schedule, error)

	// CheckInAppend records a check-in and bumps the household version. Appending the same
	// id twice is a no-op that returns the stored check-in.
	CheckInAppend(ctx context.Context, c change.CheckIn) (*change.CheckIn, error)
	// CheckInListByHousehold lists check-ins newest first, at most limit.
	CheckInListByHousehold(ctx context.Context, householdID string, limit int) ([]*change.CheckIn, error)

	// SyncPush applies a batch of sync mutations in one transaction and returns one result per
	// mutation, in order. A mutation id applied before is answered with its first result when
	// its professional re-sends it for the same household; any other use of the id is rejected
	// (change.ReasonIDInUse) and writes nothing.
	SyncPush(ctx context.Context, p SyncPushParams) ([]change.Result, error)
	// SyncMutationLog returns the recorded results of the given mutation ids (absent ids are
	// missing from the map): the proof that an acknowledged mutation was applied.
	SyncMutationLog(ctx context.Context, ids []string) (map[string]change.Result, error)
	// SyncPull returns a page of the changes of a professional's households after cursors.
	SyncPull(ctx context.Context, p SyncPullParams) (*SyncPage, error)

	// AuditAppend appends access records in one statement.
	AuditAppend(ctx context.Context, events []AuditEvent) error
}

// HouseholdListVisibleParams selects a page of visible households.
type HouseholdListVisibleParams struct {
	ProfessionalID string
	AfterID        string
	Limit          int
}

// CareTeamMemberSetParams assigns a professional to a household.
type CareTeamMemberSetParams struct {
	Member CareTeamMember
	Now    time.Time
}

// CareTeamMemberRemoveParams removes a professional from a household's care team.
type CareTeamMemberRemoveParams struct {
	HouseholdID    string
	ProfessionalID string
	Now            time.Time
}

// PlanEntryUpsertParams writes one plan entry on behalf of a professional.
type PlanEntryUpsertParams struct {
	Entry     PlanEntry // ID, HouseholdID, Section, Fields are used
	UpdatedBy string
	Now       time.Time
}

// PlanEntryDeleteParams deletes one plan entry of a household.
type PlanEntryDeleteParams struct {
	HouseholdID string
	EntryID     string
	UpdatedBy   string
	Now         time.Time
}

// PlanEntryListParams selects a household's plan entries.
type PlanEntryListParams struct {
	HouseholdID    string
	IncludeDeleted bool
	// EntryID, when set, selects that entry only.
	EntryID string
}

// ScheduleUpsertParams writes one schedule.
type ScheduleUpsertParams struct {
	Schedule Schedule
	Now      time.Time
	// Plan, when set, computes the schedule's next occurrence inside the transaction, after
	// the household is locked, from the stored schedule (nil when there is none). An error
	// from Plan rolls the write back and is returned as it is.
	Plan func(sc *Schedule, stored *Schedule) error
}
