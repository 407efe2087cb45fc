package careapi

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/change"
)

var rolesToProto = map[store.Role]veiligv1.Role{
	store.RoleProfessional:   veiligv1.Role_ROLE_PROFESSIONAL,
	store.RoleSupervisor:     veiligv1.Role_ROLE_SUPERVISOR,
	store.RoleAdmin:          veiligv1.Role_ROLE_ADMIN,
	store.RolePrivacyOfficer: veiligv1.Role_ROLE_PRIVACY_OFFICER,
	store.RoleRegionalAdmin:  veiligv1.Role_ROLE_REGIONAL_ADMIN,
}

func organizationToProto(o *store.Organization) *veiligv1.Organization {
	return &veiligv1.Organization{Id: o.ID, Name: o.Name}
}

func professionalToProto(p *store.Professional) *veiligv1.Professional {
	return &veiligv1.Professional{
		Id:             p.ID,
		OrganizationId: p.OrganizationID,
		DisplayName:    p.DisplayName,
		Email:          p.Email,
		Phone:          p.Phone,
		Role:           rolesToProto[p.Role],
	}
}

func teamToProto(t *store.Team) *veiligv1.Team { return &veiligv1.Team{Id: t.ID, Name: t.Name} }

func householdToProto(h *store.Household) *veiligv1.Household {
	return &veiligv1.Household{
		Id:          h.ID,
		Code:        h.Code,
		TeamId:      h.TeamID,
		DisplayName: h.DisplayName,
		Version:     h.Version,
		UpdatedAt:   timestamppb.New(h.UpdatedAt),
	}
}

func careTeamToProto(ms []*store.CareTeamMember) []*veiligv1.CareTeamMember {
	out := make([]*veiligv1.CareTeamMember, 0, len(ms))
	for _, m := range ms {
		out = append(out, &veiligv1.CareTeamMember{ProfessionalId: m.ProfessionalID, Lead: m.Lead})
	}
	return out
}

// Plan entries are stored as a section and a map of named fields, so that the sync protocol
// can merge them field by field whatever the section; the typed oneof is the API's view.

var agreementStatusNames = map[veiligv1.AgreementStatus]string{
	veiligv1.AgreementStatus_AGREEMENT_STATUS_ACTIVE: "active",
	veiligv1.AgreementStatus_AGREEMENT_STATUS_KEPT:   "kept",
	veiligv1.AgreementStatus_AGREEMENT_STATUS_BROKEN: "broken",
	veiligv1.AgreementStatus_AGREEMENT_STATUS_ENDED:  "ended",
}

// planEntryFields flattens an entry's content into its section and fields.
func planEntryFields(e *veiligv1.PlanEntry) (change.Section, map[string]string, error) {
	switch c := e.GetContent().(type) {
	case *veiligv1.PlanEntry_Danger:
		return change.SectionDanger, map[string]string{"description": c.Danger.GetDescription()}, nil
	case *veiligv1.PlanEntry_SafetyGoal:
		return change.SectionSafetyGoal, map[string]string{"description": c.SafetyGoal.GetDescription()}, nil
	case *veiligv1.PlanEntry_Agreement:
		a := c.Agreement
		return change.SectionAgreement, map[string]string{
			"who": a.GetWho(), "what": a.GetWhat(), "when": a.GetWhen(),
			"status": agreementStatusNames[a.GetStatus()],
		}, nil
	case *veiligv1.PlanEntry_NetworkPerson:
		n := c.NetworkPerson
		return change.SectionNetworkPerson, map[string]string{
			"name": n.GetName(), "relation": n.GetRelation(), "phone": n.GetPhone(), "role_in_plan": n.GetRoleInPlan(),
		}, nil
	case *veiligv1.PlanEntry_WarningSignal:
		return change.SectionWarningSignal, map[string]string{"description": c.WarningSignal.GetDescription()}, nil
	case *veiligv1.PlanEntry_CrisisContact:
		cc := c.CrisisContact
		return change.SectionCrisisContact, map[string]string{
			"name": cc.GetName(), "phone": cc.GetPhone(), "when_to_call": cc.GetWhenToCall(),
		}, nil
	case *veiligv1.PlanEntry_Review:
		return change.SectionReview, map[string]string{"review_date": c.Review.GetReviewDate()}, nil
	default:
		// The validation interceptor requires the oneof; this guards callers that bypass it.
		return "", nil, fmt.Errorf("plan entry has no content")
	}
}

// planEntryToProto is the inverse of planEntryFields.
func planEntryToProto(e *store.PlanEntry) *veiligv1.PlanEntry {
	f := e.Fields
	out := &veiligv1.PlanEntry{
		Id:        e.ID,
		Version:   e.Version,
		UpdatedAt: timestamppb.New(e.UpdatedAt),
		UpdatedBy: e.UpdatedBy,
	}
	switch e.Section {
	case change.SectionDanger:
		out.Content = &veiligv1.PlanEntry_Danger{Danger: &veiligv1.Danger{Description: f["description"]}}
	case change.SectionSafetyGoal:
		out.Content = &veiligv1.PlanEntry_SafetyGoal{SafetyGoal: &veiligv1.SafetyGoal{Description: f["description"]}}
	case change.SectionAgreement:
		out.Content = &veiligv1.PlanEntry_Agreement{Agreement: &veiligv1.Agreement{
			Who: f["who"], What: f["what"], When: f["when"], Status: reverse(agreementStatusNames, f["status"]),
		}}
	case change.SectionNetworkPerson:
		out.Content = &veiligv1.PlanEntry_NetworkPerson{NetworkPerson: &veiligv1.NetworkPerson{
			Name: f["name"], Relation: f["relation"], Phone: f["phone"], RoleInPlan: f["role_in_plan"],
		}}
	case change.SectionWarningSignal:
		out.Content = &veiligv1.PlanEntry_WarningSignal{WarningSignal: &veiligv1.WarningSignal{Description: f["description"]}}
	case change.SectionCrisisContact:
		out.Content = &veiligv1.PlanEntry_CrisisContact{CrisisContact: &veiligv1.CrisisContact{
			Name: f["name"], Phone: f["phone"], WhenToCall: f["when_to_call"],
		}}
	case change.SectionReview:
		out.Content = &veiligv1.PlanEntry_Review{Review: &veiligv1.Review{ReviewDate: f["review_date"]}}
	}
	return out
}

var channelNames = map[veiligv1.Channel]string{
	veiligv1.Channel_CHANNEL_HOME_VISIT:  "home_visit",
	veiligv1.Channel_CHANNEL_PHONE_CALL:  "phone_call",
	veiligv1.Channel_CHANNEL_FAMILY_LINK: "family_link",
}

var outcomeNames = map[veiligv1.Outcome]string{
	veiligv1.Outcome_OUTCOME_SAFE:       "safe",
	veiligv1.Outcome_OUTCOME_CONCERNS:   "concerns",
	veiligv1.Outcome_OUTCOME_UNSAFE:     "unsafe",
	veiligv1.Outcome_OUTCOME_NO_CONTACT: "no_contact",
}

// reverse looks a value up in a small enum table; the zero key (UNSPECIFIED) when absent.
func reverse[K, V comparable](m map[K]V, v V) K {
	for k, mv := range m {
		if mv == v {
			return k
		}
	}
	var zero K
	return zero
}

func scheduleToProto(s *store.Schedule) *veiligv1.Schedule {
	out := &veiligv1.Schedule{
		Id:                 s.ID,
		HouseholdId:        s.HouseholdID,
		Rule:               s.Rule,
		TimeZone:           s.TimeZone,
		LocalTime:          s.LocalTime,
		WindowEnd:          s.WindowEnd,
		GraceMinutes:       s.GraceMinutes,
		Channel:            reverse(channelNames, s.Channel),
		LeadProfessionalId: s.LeadProfessionalID,
		Paused:             s.Paused,
		StartDate:          s.StartDate,
		EndDate:            s.EndDate,
		Version:            s.Version,
	}
	if s.NextDueAt != nil {
		out.NextDueAt = timestamppb.New(*s.NextDueAt)
	}
	return out
}

func checkInToProto(c *change.CheckIn) *veiligv1.CheckIn {
	return &veiligv1.CheckIn{
		Id:          c.ID,
		HouseholdId: c.HouseholdID,
		ScheduleId:  c.ScheduleID,
		Channel:     reverse(channelNames, c.Channel),
		Outcome:     reverse(outcomeNames, c.Outcome),
		Note:        c.Note,
		RecordedBy:  c.RecordedBy,
		RecordedAt:  timestamppb.New(c.RecordedAt),
	}
}

// utc truncates to the microsecond, the precision every engine keeps.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
