// Package access is Veilig's access policy, declared once: for every RPC of the API, and for
// the endpoints beside it (the family page, health, reflection, metrics), who may call it on
// which object, and why.
//
// Three things are made from this one declaration, so they cannot disagree:
//
//   - the enforcement: the domain layer (package backend/household, and the directory's use
//     cases in the edge) asks Allows with the relations the caller has to the object, read
//     inside the use case's transaction;
//   - the written policy, docs/access.md, rendered by Markdown (a test fails when the file
//     differs; `scripts/generate.sh` rewrites it);
//   - the authorization matrix test (backend/app), which calls every RPC of the service
//     descriptors as every kind of caller and checks each answer against Rules.
//
// The rules rest on three decisions, each with its reason:
//
//   - A household is seen by its care team and by the supervisors of its team, nobody else:
//     not an organization admin, not a supervisor of another team. Whoever may not see a
//     household is told it does not exist, so existence never leaks.
//   - The care team is changed by its lead or by a supervisor of the household's team. A
//     supervisor who is merely in the care team (of a household of another team) may not make
//     themselves lead: supervision is over one's own team.
//   - Roles are granted by an organization's admins, to professionals of their own
//     organization only, and an admin holds no relation to any household: an admin is never
//     in a care team (adding one is refused; an admin already listed in one is treated as
//     not there). So the chain "admin grants supervisor, supervisor adds the admin to a care
//     team, admin reads the plan" ends at its second step. Every grant is recorded in the
//     access log.
//   - The access log is read by an organization's privacy officer, who, like an admin,
//     holds no relation to any household's data: their own organization's staff's entries,
//     and the whole log of a household their organization works on. Reading it is logged.
//     The one exception is the family's access request (GDPR art. 15): such an officer may
//     take the household's file out (its printable plan and its export), which is logged;
//     they still never read or change the household's data through any other call.
//   - The region is set up by one regional administrator, made by `veilig admin init` on the
//     server and never through the API: organizations and the identity providers that sign
//     their people in, teams, and which team a household belongs to and whether its file is
//     open. Like an admin, they hold no relation to any household's data: they decide who
//     sees a household, never see it themselves.
package access

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/veilig/veilig/proto/gen/veilig/v1" // registers the API's descriptors for Procedures
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// Relation is how a caller stands to the object of a call. A caller may hold several (a lead
// is in the care team too).
type Relation string

// The relations a rule may allow.
const (
	// Anyone: no token needed (the family page, health checks).
	Anyone Relation = "anyone"
	// Professional: any signed-in professional, on their own data or on a list filtered to
	// what they may see.
	Professional Relation = "professional"
	// CareTeam: a member of the household's care team (the lead included). Never an admin.
	CareTeam Relation = "care_team"
	// Lead: the lead professional of the household's care team.
	Lead Relation = "lead"
	// TeamSupervisor: a supervisor who is a member of the household's team.
	TeamSupervisor Relation = "team_supervisor"
	// OrganizationAdmin: an admin of the organization the call names (for a Person, the
	// person's organization).
	OrganizationAdmin Relation = "organization_admin"
	// Owner: the caller is the person the call names (for a device, the device's
	// professional).
	Owner Relation = "owner"
	// PrivacyOfficer: a privacy officer of the organization the call names.
	PrivacyOfficer Relation = "privacy_officer"
	// HouseholdPrivacyOfficer: a privacy officer of an organization that works on the
	// household (one of its professionals is in the care team). It gives no access to the
	// household's data, only to its access log and, for the family's access request, to the
	// household's file out (its printable plan and export).
	HouseholdPrivacyOfficer Relation = "household_privacy_officer"
	// RegionalAdmin: a regional administrator (one role for the whole region, created by
	// `veilig admin init`). It gives no access to any household's data.
	RegionalAdmin Relation = "regional_admin"
)

// Object is what a call acts on; it says which relations can be read for it.
type Object string

// The objects of calls.
const (
	// Household: a household's data, named by a household id (or, for alerts, through the
	// alert's household). Refused callers who may not see it get NotFound.
	Household Object = "household"
	// Visible: every household the caller may see; the answer is filtered, never refused.
	Visible Object = "visible households"
	// Self: the caller's own profile, teams and devices.
	Self Object = "self"
	// Organization: an organization's directory, named by an organization id.
	Organization Object = "organization"
	// Directory: the list of organizations (names only, for the phone's pickers).
	Directory Object = "directory"
	// Link: a family check-in link, named by its token.
	Link Object = "link"
	// Deployment: the server itself.
	Deployment Object = "deployment"
	// Person: one professional, named by id or through one of their devices: their devices
	// and whether they may use Veilig at all. Refused callers get PermissionDenied, for an
	// unknown professional or device too, so existence does not leak.
	Person Object = "person"
	// Region: the region's setup (organizations, their identity providers, teams, and which
	// team a household belongs to). Refused callers get PermissionDenied.
	Region Object = "region"
)

// Rule is who may do one thing.
type Rule struct {
	// Procedure is the Connect procedure ("/veilig.v1.PlanService/GetPlan"), or for an
	// endpoint outside the API its path ("/c/{token}").
	Procedure string
	// Object is what the call acts on.
	Object Object
	// Allow lists the relations any one of which permits the call.
	Allow []Relation
	// Why is the reason, for the written policy.
	Why string
}

// Allows reports whether a caller holding rels may make the call. Anyone permits every
// caller; Professional permits every signed-in professional (rels need not name it).
func (r Rule) Allows(rels []Relation) bool {
	for _, a := range r.Allow {
		if a == Anyone || a == Professional || slices.Contains(rels, a) {
			return true
		}
	}
	return false
}

// Sees reports whether rels let a caller see a household at all (care team or team
// supervisor); a caller who does not is answered as if the household did not exist.
func Sees(rels []Relation) bool {
	return slices.Contains(rels, CareTeam) || slices.Contains(rels, TeamSupervisor)
}

// viewers may read and write a household's data; managers change who is in its care team.
var (
	viewers  = []Relation{CareTeam, TeamSupervisor}
	managers = []Relation{Lead, TeamSupervisor}
	self     = []Relation{Professional}
	// fileOut may take a household's file out: its care team, and the privacy officers of
	// its organizations, who answer the family's access request.
	fileOut = []Relation{CareTeam, HouseholdPrivacyOfficer}
)

const (
	whyData     = "the care team works on the household; its team's supervisors oversee it"
	whyFiltered = "the answer holds only households the caller may see"
	whySelf     = "a professional's own profile, teams and devices"
)

// Rules is the policy of every RPC of the API, in the order of docs/access.md. A procedure
// without a rule is refused (For reports it missing); the matrix test fails for one.
var Rules = []Rule{
	{veiligv1connect.DirectoryServiceGetMeProcedure, Self, self, whySelf},
	{veiligv1connect.DirectoryServiceListOrganizationsProcedure, Directory, self,
		"organization names are not personal data; the phone shows them beside colleagues"},
	{veiligv1connect.DirectoryServiceListTeamsProcedure, Self, self, "the caller's own teams"},
	{veiligv1connect.DirectoryServiceListProfessionalsProcedure, Organization, []Relation{OrganizationAdmin},
		"contact details of an organization's people are for its own admins"},
	{veiligv1connect.DirectoryServiceUpsertProfessionalProcedure, Organization, []Relation{OrganizationAdmin, RegionalAdmin},
		"roles are granted by the organization's admins, to its own people only, and by the regional administrator (an organization's first admins); never the regional administrator's role; recorded"},
	{veiligv1connect.HouseholdServiceListHouseholdsProcedure, Visible, self, whyFiltered},
	{veiligv1connect.HouseholdServiceGetHouseholdProcedure, Household, viewers, whyData},
	{veiligv1connect.HouseholdServiceSetCareTeamMemberProcedure, Household, managers,
		"who works on a household is decided by its lead or its team's supervisors, and recorded"},
	{veiligv1connect.HouseholdServiceRemoveCareTeamMemberProcedure, Household, managers,
		"who works on a household is decided by its lead or its team's supervisors, and recorded"},
	{veiligv1connect.PlanServiceGetPlanProcedure, Household, viewers, whyData},
	{veiligv1connect.PlanServiceUpsertPlanEntryProcedure, Household, viewers, whyData},
	{veiligv1connect.PlanServiceDeletePlanEntryProcedure, Household, viewers, whyData},
	{veiligv1connect.CheckInServiceListSchedulesProcedure, Household, viewers, whyData},
	{veiligv1connect.CheckInServiceListCheckInsProcedure, Household, viewers, whyData},
	{veiligv1connect.CheckInServiceUpsertScheduleProcedure, Household, viewers, whyData},
	{veiligv1connect.CheckInServiceRecordCheckInProcedure, Household, viewers, whyData},
	{veiligv1connect.SyncServicePushProcedure, Household, viewers,
		"each mutation is checked against its own household; the others of the batch still apply"},
	{veiligv1connect.SyncServicePullProcedure, Visible, self, whyFiltered},
	{veiligv1connect.SyncServiceSubscribeProcedure, Visible, self, whyFiltered},
	{veiligv1connect.AlertServiceGetAlertProcedure, Household, viewers, "an alert is part of its household's data"},
	{veiligv1connect.AlertServiceListAlertsProcedure, Household, viewers, "an alert is part of its household's data"},
	{veiligv1connect.AlertServiceAcknowledgeAlertProcedure, Household, viewers,
		"whoever sees the household may take the alert on; the acknowledgement names them"},
	{veiligv1connect.DeviceServiceRegisterDeviceProcedure, Self, self, whySelf},
	{veiligv1connect.DeviceServiceUnregisterDeviceProcedure, Self, self, whySelf},
	{veiligv1connect.DeviceServiceListDevicesProcedure, Person, []Relation{Owner, OrganizationAdmin},
		"a professional sees their own phones; their organization's admins manage the phones of its people"},
	{veiligv1connect.DeviceServiceRevokeDeviceProcedure, Person, []Relation{Owner, OrganizationAdmin},
		"a lost phone is revoked at once by its owner or by an admin of the owner's organization, and recorded"},
	{veiligv1connect.DirectoryServiceDisableProfessionalProcedure, Person, []Relation{OrganizationAdmin},
		"whoever leaves the organization loses access through its admins (never their own entry), and it is recorded"},
	{veiligv1connect.DirectoryServiceGetPreferencesProcedure, Person, []Relation{Owner, OrganizationAdmin},
		"a professional's own language, digest times and quiet hours; their organization's admins may help set them up; the reading is recorded"},
	{veiligv1connect.DirectoryServiceSetPreferencesProcedure, Person, []Relation{Owner, OrganizationAdmin},
		"a professional chooses when digests reach them and in which language; their organization's admins may set it for them; the change is recorded"},
	{veiligv1connect.FamilyLinkServiceCreateCheckInLinkProcedure, Household, viewers, whyData},
	{veiligv1connect.FamilyLinkServiceListCheckInLinksProcedure, Household, viewers, whyData},
	{veiligv1connect.FamilyLinkServiceRevokeCheckInLinkProcedure, Household, viewers, whyData},
	{veiligv1connect.AuditServiceListAuditEntriesProcedure, Organization, []Relation{PrivacyOfficer},
		"an organization answers for what its own staff did (NEN 7513): its privacy officer reads their entries, and the reading is logged"},
	{veiligv1connect.AuditServiceListHouseholdAccessProcedure, Household, []Relation{HouseholdPrivacyOfficer},
		"a family may ask who touched its file, whoever employs them (GDPR art. 15): the privacy officer of an organization with a professional in the care team answers it with the whole log of the household; not of any household, so no officer browses families their organization does not work on; the reading is logged in the household's log"},
	{veiligv1connect.AuditServiceExportAuditEntriesProcedure, Organization, []Relation{PrivacyOfficer},
		"what ListAuditEntries shows, as a CSV or JSON document; the export is logged"},
	{veiligv1connect.RegionServiceCreateOrganizationProcedure, Region, regionAdmin, whyRegion},
	{veiligv1connect.RegionServiceRenameOrganizationProcedure, Region, regionAdmin, whyRegion},
	{veiligv1connect.RegionServiceBindIssuerProcedure, Region, regionAdmin,
		"which identity provider signs in which organization's people is the region's trust root: the regional administrator's alone, and recorded"},
	{veiligv1connect.RegionServiceDeactivateOrganizationProcedure, Region, regionAdmin,
		"an organization that leaves the region loses every sign-in at once; only the regional administrator decides it, and it is recorded"},
	{veiligv1connect.RegionServiceSetOrganizationLeaseProcedure, Organization, []Relation{OrganizationAdmin, RegionalAdmin},
		"how long a phone shows, then keeps, a family's data without contact is the organization's to answer for: set by its own admins or by the regional administrator, for any organization; recorded"},
	{veiligv1connect.RegionServiceCreateTeamProcedure, Region, regionAdmin, whyRegion},
	{veiligv1connect.RegionServiceRenameTeamProcedure, Region, regionAdmin, whyRegion},
	{veiligv1connect.RegionServiceAddTeamMemberProcedure, Region, regionAdmin, whyTeams},
	{veiligv1connect.RegionServiceRemoveTeamMemberProcedure, Region, regionAdmin, whyTeams},
	{veiligv1connect.RegionServiceCreateHouseholdProcedure, Region, regionAdmin, whyCaseload},
	{veiligv1connect.RegionServiceTransferHouseholdProcedure, Region, regionAdmin, whyCaseload},
	{veiligv1connect.RegionServiceCloseHouseholdProcedure, Region, regionAdmin, whyCaseload},
	{veiligv1connect.RegionServiceReopenHouseholdProcedure, Region, regionAdmin, whyCaseload},
	{veiligv1connect.RegionServiceImportCaseloadProcedure, Region, regionAdmin, whyCaseload},
	{veiligv1connect.HouseholdFileServiceRenderPlanProcedure, Household, fileOut,
		"the printable plan is for the care team's family meetings and handovers, and a privacy officer answering the family's access request (GDPR art. 15) may hand it over; the rendering is logged"},
	{veiligv1connect.HouseholdFileServiceExportHouseholdProcedure, Household, fileOut,
		"a family's access request (GDPR art. 15) is answered with all of its data by its care team or by the privacy officer of an organization working on it; the export is logged"},
	{veiligv1connect.HouseholdFileServiceImportHouseholdProcedure, Region, []Relation{RegionalAdmin},
		"moving a household's file into the region sets up organizations, a team and professionals: the region's setup; the import is logged"},
}

// regionAdmin sets up the region; the reasons of its rules.
var regionAdmin = []Relation{RegionalAdmin}

const (
	whyRegion   = "the region's organizations and teams are set up by its regional administrator, and recorded"
	whyTeams    = "team membership makes a supervisor see the team's households: it is set by the regional administrator, across organizations, and recorded"
	whyCaseload = "which team a household belongs to, and whether its file is open, decides who sees it: the regional administrator's, recorded in the household's own log; the administrator never sees the household's data"
)

// Endpoints is the policy of what is served beside the API. They are outside the domain
// layer: the server enforces them by what it mounts where.
var Endpoints = []Rule{
	{"/c/{token}", Link, []Relation{Anyone},
		"a family answers without an app or an account; the unguessable token (and the PIN, when set) is the key, and answers are limited"},
	{"/grpc.health.v1.Health/", Deployment, []Relation{Anyone}, "load balancers probe it; it says serving or not, nothing else"},
	{"/grpc.reflection.v1.ServerReflection/, v1alpha", Deployment, []Relation{Anyone},
		"the API's schema is public (it is in the repository); it holds no data"},
	{"/metrics, /livez, /readyz (ops listener, --metrics-addr)", Deployment, []Relation{Anyone},
		"not on the API port: on an address of their own, this machine only by default; counts by route and fixed outcome words only, never an id or personal data, and readiness says only whether the database answers"},
}

// Procedures lists every RPC of the API ("/veilig.v1.PlanService/GetPlan"), sorted, from the
// registered service descriptors: what Rules must cover, and what the matrix test calls.
func Procedures() []string {
	var out []string
	protoregistry.GlobalFiles.RangeFilesByPackage("veilig.v1", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				out = append(out, "/"+string(svc.FullName())+"/"+string(svc.Methods().Get(j).Name()))
			}
		}
		return true
	})
	slices.Sort(out)
	return out
}

// For returns the rule of a procedure. It panics for a procedure without one: a use case that
// asks for an undeclared rule is a programming error, caught by the matrix test.
func For(procedure string) Rule {
	for _, r := range Rules {
		if r.Procedure == procedure {
			return r
		}
	}
	panic(fmt.Sprintf("access: no rule for %s", procedure))
}

// Markdown renders the policy as docs/access.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString(`# Access policy

Generated from ` + "`backend/access`" + ` by ` + "`scripts/generate.sh`" + `; do not edit. The domain layer enforces
these rules and the authorization matrix test (` + "`backend/app/access_test.go`" + `) checks every cell of them
over the wire, on SQLite and PostgreSQL.

Relations: **care_team** is a member of the household's care team (the lead included);
**lead** its lead; **team_supervisor** a supervisor who is a member of the household's team;
**organization_admin** an admin of the organization the call names (for a person, theirs);
**regional_admin** the region's
administrator (the region's setup, never a household's data); **owner** the professional the call names (for a device, its professional); **privacy_officer** a
privacy officer of the organization the call names; **household_privacy_officer** a privacy
officer of an organization with a professional in the household's care team (the household's
access log, and the household's file out for an access request: its printable plan and export;
never its data otherwise); **regional_admin** the region's administrator (made once by
` + "`veilig admin init`" + `, never through the API), who sets up organizations, issuers, teams and
which team a household belongs to, and sees no household's data; **professional** any signed-in
professional; and **anyone** needs no token. A household whose file is closed is seen by nobody.

A caller is signed in when the token verifies, has not expired, lived no longer than the cap,
comes from an identity provider bound to the professional's organization, and names a
professional in the directory: by the provider's (issuer, subject) binding, or, for a subject
with no binding, by the professional's id. Otherwise every RPC answers ` + "`unauthenticated`" + ` (bad or expired
token) or ` + "`permission_denied`" + ` (valid token, no access to Veilig). A token of a disabled professional,
or one naming a revoked device, answers ` + "`permission_denied`" + ` with an ` + "`AccessEnded`" + ` detail on every RPC,
and the phone erases what it holds. A device the caller never registered (or another professional
registered) is not trusted: the request is served and recorded as from no device.

A caller who may not see a household is answered ` + "`not_found`" + `, as if it did not exist; one who
sees it but may not do this gets ` + "`permission_denied`" + `. An organization admin or privacy officer
holds no relation to any household's data and is never added to a care team; a privacy officer
takes a household's file out only to answer the family's access request. Every call of a
signed-in professional, allowed or refused, leaves its record in the access log, with its outcome.

| RPC | Object | Who may | Why |
|---|---|---|---|
`)
	row := func(r Rule) {
		var who []string
		for _, a := range r.Allow {
			who = append(who, string(a))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.Procedure, r.Object, strings.Join(who, ", "), r.Why)
	}
	for _, r := range Rules {
		row(r)
	}
	b.WriteString("\n## Beside the API\n\n| Endpoint | Object | Who may | Why |\n|---|---|---|---|\n")
	for _, r := range Endpoints {
		row(r)
	}
	return b.String()
}
