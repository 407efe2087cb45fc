package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
)

// fixture is the directory the scenarios act in: one organization and team, and for each
// professional i one household that i leads. No personal data: names are "bench i".
type fixture struct {
	st            *store.DB
	orgID, teamID string
	professionals []string // professional i's id
	households    []string // household i's id, led by professional i
	now           time.Time
}

// newFixture writes the organization and the team.
func newFixture(ctx context.Context, st *store.DB) (*fixture, error) {
	f := &fixture{st: st, orgID: uuid.NewString(), teamID: uuid.NewString(), now: time.Now().UTC().Truncate(time.Microsecond)}
	if err := st.OrganizationUpsert(ctx, store.Organization{ID: f.orgID, Name: "bench organization", CreatedAt: f.now}); err != nil {
		return nil, fmt.Errorf("seed organization: %w", err)
	}
	if err := st.TeamUpsert(ctx, store.Team{ID: f.teamID, Name: "bench team", CreatedAt: f.now}); err != nil {
		return nil, fmt.Errorf("seed team: %w", err)
	}
	return f, nil
}

// seedWriters is how many professionals are seeded at once: each costs four small write
// transactions, and a thousand one after another on a durable PostgreSQL take many seconds.
const seedWriters = 8

// ensure makes sure professionals 0…n-1 and their households exist.
func (f *fixture) ensure(ctx context.Context, n int) error {
	from := len(f.professionals)
	if n <= from {
		return nil
	}
	for range n - from {
		f.professionals = append(f.professionals, uuid.NewString())
		f.households = append(f.households, uuid.NewString())
	}
	next := make(chan int)
	g, gctx := newGroup(ctx)
	for range seedWriters {
		g.Go(func() error {
			for i := range next {
				if err := f.addProfessional(gctx, i); err != nil {
					return err
				}
			}
			return nil
		})
	}
	go func() {
		defer close(next)
		for i := from; i < n; i++ {
			select {
			case next <- i:
			case <-gctx.Done():
				return
			}
		}
	}()
	if err := g.Wait(); err != nil {
		f.professionals, f.households = f.professionals[:from], f.households[:from]
		return err
	}
	return nil
}

// addProfessional writes professional i (whose ids ensure chose), their team membership, and
// the household they lead.
func (f *fixture) addProfessional(ctx context.Context, i int) error {
	p := store.Professional{ID: f.professionals[i], OrganizationID: f.orgID, DisplayName: fmt.Sprintf("bench %d", i),
		Email: fmt.Sprintf("bench%d@example.org", i), Role: store.RoleProfessional, CreatedAt: f.now}
	if err := f.st.ProfessionalUpsert(ctx, p); err != nil {
		return fmt.Errorf("seed professional %d: %w", i, err)
	}
	if err := f.st.TeamMemberAdd(ctx, store.TeamMember{TeamID: f.teamID, ProfessionalID: p.ID}); err != nil {
		return fmt.Errorf("seed team member %d: %w", i, err)
	}
	h := store.Household{ID: f.households[i], Code: fmt.Sprintf("BENCH-%06d", i), TeamID: f.teamID, DisplayName: fmt.Sprintf("bench %d", i),
		Version: 1, CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.st.HouseholdCreate(ctx, h); err != nil {
		return fmt.Errorf("seed household %d: %w", i, err)
	}
	m := store.CareTeamMember{HouseholdID: h.ID, ProfessionalID: p.ID, Lead: true}
	if err := f.st.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: m, Now: f.now}); err != nil {
		return fmt.Errorf("seed care team %d: %w", i, err)
	}
	return nil
}
