package storesqlite

import (
	"context"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
)

func organization(o dbsqlc.Organization) *store.Organization {
	return &store.Organization{ID: o.ID, Name: o.Name, CreatedAt: fromMicros(o.CreatedAt), DeactivatedAt: timePtr(o.DeactivatedAt),
		Lease: store.LeaseFromSeconds(o.LeaseLockAfterSeconds, o.LeaseEraseAfterSeconds)}
}

func professional(p dbsqlc.Professional) *store.Professional {
	return &store.Professional{ID: p.ID, OrganizationID: p.OrganizationID, DisplayName: p.DisplayName, Email: p.Email,
		Phone: p.Phone, Role: store.Role(p.Role), CreatedAt: fromMicros(p.CreatedAt), DisabledAt: timePtr(p.DisabledAt)}
}

// professionalWithLease is a professional read with its organization's lease.
func professionalWithLease(p dbsqlc.Professional, lockAfter, eraseAfter *int64) *store.Professional {
	out := professional(p)
	out.OrganizationLease = store.LeaseFromSeconds(lockAfter, eraseAfter)
	return out
}

func team(t dbsqlc.Team) *store.Team {
	return &store.Team{ID: t.ID, Name: t.Name, CreatedAt: fromMicros(t.CreatedAt)}
}

// OrganizationUpsert implements store.Executor.
func (e *executor) OrganizationUpsert(ctx context.Context, o store.Organization) error {
	return res.Err("upsert organization", e.q.OrganizationUpsert(ctx, dbsqlc.OrganizationUpsertParams{
		ID: o.ID, Name: o.Name, CreatedAt: micros(o.CreatedAt)}))
}

// OrganizationGet implements store.Executor.
func (e *executor) OrganizationGet(ctx context.Context, id string) (*store.Organization, error) {
	return store.One(res, "get organization", organization)(e.q.OrganizationGet(ctx, id))
}

// OrganizationList implements store.Executor.
func (e *executor) OrganizationList(ctx context.Context) ([]*store.Organization, error) {
	return store.All(res, "list organizations", organization)(e.q.OrganizationList(ctx))
}

// ProfessionalUpsert implements store.Executor.
func (e *executor) ProfessionalUpsert(ctx context.Context, p store.Professional) error {
	return res.Err("upsert professional", e.q.ProfessionalUpsert(ctx, dbsqlc.ProfessionalUpsertParams{
		ID: p.ID, OrganizationID: p.OrganizationID, DisplayName: p.DisplayName, Email: p.Email, Phone: p.Phone,
		Role: string(p.Role), CreatedAt: micros(p.CreatedAt)}))
}

// ProfessionalGet implements store.Executor.
func (e *executor) ProfessionalGet(ctx context.Context, id string) (*store.Professional, error) {
	return store.One(res, "get professional", func(r dbsqlc.ProfessionalGetRow) *store.Professional {
		return professionalWithLease(r.Professional, r.LeaseLockAfterSeconds, r.LeaseEraseAfterSeconds)
	})(e.q.ProfessionalGet(ctx, id))
}

// ProfessionalGetByIdentity implements store.Executor.
func (e *executor) ProfessionalGetByIdentity(ctx context.Context, issuer, subject string) (*store.Professional, error) {
	return store.One(res, "get professional by identity", func(r dbsqlc.ProfessionalGetByIdentityRow) *store.Professional {
		return professionalWithLease(r.Professional, r.LeaseLockAfterSeconds, r.LeaseEraseAfterSeconds)
	})(e.q.ProfessionalGetByIdentity(ctx,
		dbsqlc.ProfessionalGetByIdentityParams{Issuer: issuer, Subject: subject}))
}

// ProfessionalIdentityUpsert implements store.Executor.
func (e *executor) ProfessionalIdentityUpsert(ctx context.Context, id store.ProfessionalIdentity) error {
	return res.Err("bind identity", e.q.ProfessionalIdentityUpsert(ctx, dbsqlc.ProfessionalIdentityUpsertParams{
		Issuer: id.Issuer, Subject: id.Subject, ProfessionalID: id.ProfessionalID}))
}

// ProfessionalListByOrganization implements store.Executor.
func (e *executor) ProfessionalListByOrganization(ctx context.Context, organizationID string) ([]*store.Professional, error) {
	return store.All(res, "list professionals of organization", professional)(e.q.ProfessionalListByOrganization(ctx, organizationID))
}

// ProfessionalListByRole implements store.Executor.
func (e *executor) ProfessionalListByRole(ctx context.Context, role store.Role) ([]*store.Professional, error) {
	return store.All(res, "list professionals by role", professional)(e.q.ProfessionalListByRole(ctx, string(role)))
}

// TeamUpsert implements store.Executor.
func (e *executor) TeamUpsert(ctx context.Context, t store.Team) error {
	return res.Err("upsert team", e.q.TeamUpsert(ctx, dbsqlc.TeamUpsertParams{ID: t.ID, Name: t.Name, CreatedAt: micros(t.CreatedAt)}))
}

// TeamGet implements store.Executor.
func (e *executor) TeamGet(ctx context.Context, id string) (*store.Team, error) {
	return store.One(res, "get team", team)(e.q.TeamGet(ctx, id))
}

// TeamList implements store.Executor.
func (e *executor) TeamList(ctx context.Context) ([]*store.Team, error) {
	return store.All(res, "list teams", team)(e.q.TeamList(ctx))
}

// TeamMemberInsert implements store.Executor.
func (e *executor) TeamMemberInsert(ctx context.Context, m store.TeamMember) error {
	return res.Err("add team member", e.q.TeamMemberInsert(ctx, dbsqlc.TeamMemberInsertParams{TeamID: m.TeamID, ProfessionalID: m.ProfessionalID}))
}

// TeamMemberDelete implements store.Executor.
func (e *executor) TeamMemberDelete(ctx context.Context, m store.TeamMember) error {
	return res.Err("remove team member", e.q.TeamMemberDelete(ctx, dbsqlc.TeamMemberDeleteParams{TeamID: m.TeamID, ProfessionalID: m.ProfessionalID}))
}

// TeamListByProfessional implements store.Executor.
func (e *executor) TeamListByProfessional(ctx context.Context, professionalID string) ([]*store.Team, error) {
	return store.All(res, "list teams of professional", team)(e.q.TeamListByProfessional(ctx, professionalID))
}

// TeamMemberList implements store.Executor.
func (e *executor) TeamMemberList(ctx context.Context, teamID string) ([]*store.Professional, error) {
	return store.All(res, "list team members", professional)(e.q.TeamMemberList(ctx, teamID))
}
