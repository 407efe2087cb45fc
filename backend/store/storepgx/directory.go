package storepgx

import (
	"context"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
)

// Organizations, professionals and teams: queries/directory.sql.

func organization(r dbsqlc.Organization) *store.Organization {
	return &store.Organization{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt, DeactivatedAt: r.DeactivatedAt,
		Lease: store.LeaseFromSeconds(r.LeaseLockAfterSeconds, r.LeaseEraseAfterSeconds)}
}

func professional(r dbsqlc.Professional) *store.Professional {
	return &store.Professional{ID: r.ID, OrganizationID: r.OrganizationID, DisplayName: r.DisplayName, Email: r.Email,
		Phone: r.Phone, Role: store.Role(r.Role), CreatedAt: r.CreatedAt, DisabledAt: r.DisabledAt}
}

// professionalWithLease is a professional read with its organization's lease.
func professionalWithLease(r dbsqlc.Professional, lockAfter, eraseAfter *int64) *store.Professional {
	p := professional(r)
	p.OrganizationLease = store.LeaseFromSeconds(lockAfter, eraseAfter)
	return p
}

func team(r dbsqlc.Team) *store.Team {
	return &store.Team{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}
}

func (e executor) OrganizationUpsert(ctx context.Context, o store.Organization) error {
	return res.Err("upsert organization "+o.ID, q.OrganizationUpsert(ctx, e.db,
		dbsqlc.OrganizationUpsertParams{ID: o.ID, Name: o.Name, CreatedAt: o.CreatedAt}))
}

func (e executor) OrganizationGet(ctx context.Context, id string) (*store.Organization, error) {
	return store.One(res, "get organization "+id, organization)(q.OrganizationGet(ctx, e.db, id))
}

func (e executor) OrganizationList(ctx context.Context) ([]*store.Organization, error) {
	return store.All(res, "list organizations", organization)(q.OrganizationList(ctx, e.db))
}

func (e executor) ProfessionalUpsert(ctx context.Context, p store.Professional) error {
	return res.Err("upsert professional "+p.ID, q.ProfessionalUpsert(ctx, e.db, dbsqlc.ProfessionalUpsertParams{
		ID: p.ID, OrganizationID: p.OrganizationID, DisplayName: p.DisplayName, Email: p.Email, Phone: p.Phone,
		Role: string(p.Role), CreatedAt: p.CreatedAt}))
}

func (e executor) ProfessionalGet(ctx context.Context, id string) (*store.Professional, error) {
	return store.One(res, "get professional "+id, func(r dbsqlc.ProfessionalGetRow) *store.Professional {
		return professionalWithLease(r.Professional, r.LeaseLockAfterSeconds, r.LeaseEraseAfterSeconds)
	})(q.ProfessionalGet(ctx, e.db, id))
}

func (e executor) ProfessionalGetByIdentity(ctx context.Context, issuer, subject string) (*store.Professional, error) {
	return store.One(res, "get professional by identity", func(r dbsqlc.ProfessionalGetByIdentityRow) *store.Professional {
		return professionalWithLease(r.Professional, r.LeaseLockAfterSeconds, r.LeaseEraseAfterSeconds)
	})(q.ProfessionalGetByIdentity(ctx, e.db,
		dbsqlc.ProfessionalGetByIdentityParams{Issuer: issuer, Subject: subject}))
}

func (e executor) ProfessionalIdentityUpsert(ctx context.Context, id store.ProfessionalIdentity) error {
	return res.Err("bind identity of "+id.ProfessionalID, q.ProfessionalIdentityUpsert(ctx, e.db, dbsqlc.ProfessionalIdentityUpsertParams{
		Issuer: id.Issuer, Subject: id.Subject, ProfessionalID: id.ProfessionalID}))
}

func (e executor) ProfessionalListByOrganization(ctx context.Context, organizationID string) ([]*store.Professional, error) {
	return store.All(res, "list professionals of organization "+organizationID, professional)(
		q.ProfessionalListByOrganization(ctx, e.db, organizationID))
}

func (e executor) ProfessionalListByRole(ctx context.Context, role store.Role) ([]*store.Professional, error) {
	return store.All(res, "list professionals by role", professional)(q.ProfessionalListByRole(ctx, e.db, string(role)))
}

func (e executor) TeamUpsert(ctx context.Context, t store.Team) error {
	return res.Err("upsert team "+t.ID, q.TeamUpsert(ctx, e.db, dbsqlc.TeamUpsertParams{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}))
}

func (e executor) TeamGet(ctx context.Context, id string) (*store.Team, error) {
	return store.One(res, "get team "+id, team)(q.TeamGet(ctx, e.db, id))
}

func (e executor) TeamList(ctx context.Context) ([]*store.Team, error) {
	return store.All(res, "list teams", team)(q.TeamList(ctx, e.db))
}

func (e executor) TeamMemberInsert(ctx context.Context, m store.TeamMember) error {
	return res.Err("add member to team "+m.TeamID, q.TeamMemberInsert(ctx, e.db,
		dbsqlc.TeamMemberInsertParams{TeamID: m.TeamID, ProfessionalID: m.ProfessionalID}))
}

func (e executor) TeamMemberDelete(ctx context.Context, m store.TeamMember) error {
	return res.Err("remove member from team "+m.TeamID, q.TeamMemberDelete(ctx, e.db,
		dbsqlc.TeamMemberDeleteParams{TeamID: m.TeamID, ProfessionalID: m.ProfessionalID}))
}

func (e executor) TeamListByProfessional(ctx context.Context, professionalID string) ([]*store.Team, error) {
	return store.All(res, "list teams of "+professionalID, team)(q.TeamListByProfessional(ctx, e.db, professionalID))
}

func (e executor) TeamMemberList(ctx context.Context, teamID string) ([]*store.Professional, error) {
	return store.All(res, "list members of team "+teamID, professional)(q.TeamMemberList(ctx, e.db, teamID))
}
