package store

import (
	"time"
)

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
