package app_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/mobile-api/auth"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/client"
	"github.com/veilig/veilig/sync/client/clientconnect"
)

// leaseBundle serves the matrix fixture (organizations O and P, each with its identity
// provider) on database ("" for SQLite).
type leaseBundle struct {
	*bundle
	m          *matrix
	idpO, idpP *idp
}

func setupLease(t *testing.T, database string) *leaseBundle {
	t.Helper()
	m := newMatrix()
	idpO := newIDP(t, "https://login.organisatie-o.example")
	idpP := newIDP(t, "https://login.organisatie-p.example")
	b := setupWith(t, options{database: database, seed: func(st *store.DB) { m.seed(t, st) },
		issuers: func(*store.DB, *demo.Region) []auth.IssuerConfig {
			return []auth.IssuerConfig{idpO.config(m.orgO), idpP.config(m.orgP)}
		}})
	return &leaseBundle{bundle: b, m: m, idpO: idpO, idpP: idpP}
}

func setLease(orgID string, lockAfter, eraseAfter time.Duration) *veiligv1.SetOrganizationLeaseRequest {
	return &veiligv1.SetOrganizationLeaseRequest{OrganizationId: orgID, Change: &veiligv1.SetOrganizationLeaseRequest_Lease{
		Lease: &veiligv1.LeasePeriods{LockAfter: durationpb.New(lockAfter), EraseAfter: durationpb.New(eraseAfter)}}}
}

func clearLease(orgID string) *veiligv1.SetOrganizationLeaseRequest {
	return &veiligv1.SetOrganizationLeaseRequest{OrganizationId: orgID, Change: &veiligv1.SetOrganizationLeaseRequest_Clear{Clear: true}}
}

// pulledLease is the lease a pull by tok carries.
func (b *leaseBundle) pulledLease(t *testing.T, tok string) (lockAfter, eraseAfter time.Duration) {
	t.Helper()
	res, err := b.sync.Pull(context.Background(), as(tok, &veiligv1.PullRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	l := res.Msg.GetLease()
	return l.GetLockAfter().AsDuration(), l.GetEraseAfter().AsDuration()
}

// TestOrganizationLease: an organization's admin sets their organization's own lease, and
// every pull of its professionals carries it while another organization's professionals get
// the deployment's default; an admin of another organization is refused, and the refusal is
// in the access log; the regional administrator sets any organization's lease and clears it;
// invalid leases are refused with invalid_argument. On SQLite and PostgreSQL.
func TestOrganizationLease(t *testing.T) {
	t.Parallel()
	engines := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	}
	for _, engine := range engines {
		t.Run(engine.name, func(t *testing.T) {
			t.Parallel()
			testOrganizationLease(t, setupLease(t, engine.url(t)))
		})
	}
}

func testOrganizationLease(t *testing.T, b *leaseBundle) {
	ctx := context.Background()
	m := b.m
	const defLock, defErase = household.DefaultLeaseLockAfter, household.DefaultLeaseEraseAfter
	adminO, adminP := b.idpO.token(t, m.adminO, time.Hour), b.idpP.token(t, m.adminP, time.Hour)
	regional := b.idpO.token(t, m.regional, time.Hour)
	lead, foreign := b.idpO.token(t, m.lead, time.Hour), b.idpP.token(t, m.foreign, time.Hour)

	if lock, erase := b.pulledLease(t, lead); lock != defLock || erase != defErase {
		t.Fatalf("before any lease of its own: %s and %s, want the default", lock, erase)
	}

	// The organization's own admin sets its lease.
	res, err := b.regionAPI.SetOrganizationLease(ctx, as(adminO, setLease(m.orgO, 24*time.Hour, 5*24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if l := res.Msg.GetLease(); l.GetLockAfter().AsDuration() != 24*time.Hour || l.GetEraseAfter().AsDuration() != 5*24*time.Hour || res.Msg.GetDeploymentDefault() {
		t.Fatalf("answer %v", res.Msg)
	}
	if lock, erase := b.pulledLease(t, lead); lock != 24*time.Hour || erase != 5*24*time.Hour {
		t.Fatalf("a pull of the organization's professional carries %s and %s, want 24h and 120h", lock, erase)
	}
	if lock, erase := b.pulledLease(t, foreign); lock != defLock || erase != defErase {
		t.Fatalf("a pull of another organization's professional carries %s and %s, want the default", lock, erase)
	}

	// An admin of another organization is refused, and the refusal is recorded.
	before := auditHeads(t, b.store)
	_, err = b.regionAPI.SetOrganizationLease(ctx, as(adminP, setLease(m.orgO, time.Hour, 2*time.Hour)))
	wantCode(t, err, connect.CodePermissionDenied)
	recs := newRecords(t, b.store, before)
	if len(recs) != 1 || recs[0].Outcome != store.AuditDenied || recs[0].Action != household.ActionOrganizationLease ||
		recs[0].ProfessionalID != m.adminP || recs[0].ObjectID != m.orgO || recs[0].Reason == "" {
		t.Fatalf("records of the refusal: %+v, want one denied record of %s on organization O", recs, household.ActionOrganizationLease)
	}
	if !strings.Contains(b.logs.String(), "access refused by the policy") {
		t.Fatal("the refusal is not in the server's log")
	}
	if lock, _ := b.pulledLease(t, lead); lock != 24*time.Hour {
		t.Fatalf("after a refused change the lease is %s", lock)
	}
	// Nor may a professional who is no admin set their own organization's lease.
	_, err = b.regionAPI.SetOrganizationLease(ctx, as(lead, setLease(m.orgO, time.Hour, 2*time.Hour)))
	wantCode(t, err, connect.CodePermissionDenied)

	// The regional administrator sets another organization's lease, then clears it.
	if _, err := b.regionAPI.SetOrganizationLease(ctx, as(regional, setLease(m.orgP, 48*time.Hour, 10*24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if lock, erase := b.pulledLease(t, foreign); lock != 48*time.Hour || erase != 10*24*time.Hour {
		t.Fatalf("after the regional administrator set it: %s and %s", lock, erase)
	}
	res, err = b.regionAPI.SetOrganizationLease(ctx, as(regional, clearLease(m.orgP)))
	if err != nil {
		t.Fatal(err)
	}
	if l := res.Msg.GetLease(); !res.Msg.GetDeploymentDefault() || l.GetLockAfter().AsDuration() != defLock || l.GetEraseAfter().AsDuration() != defErase {
		t.Fatalf("answer to clear: %v, want the default", res.Msg)
	}
	if lock, erase := b.pulledLease(t, foreign); lock != defLock || erase != defErase {
		t.Fatalf("after clearing: %s and %s, want the default", lock, erase)
	}
	if lock, _ := b.pulledLease(t, lead); lock != 24*time.Hour {
		t.Fatalf("clearing P's lease changed O's: %s", lock)
	}
	_, err = b.regionAPI.SetOrganizationLease(ctx, as(regional, clearLease(uuid.NewString())))
	wantCode(t, err, connect.CodeNotFound)

	// The bounds are the same at the edge (region.proto) and in the domain (CheckLease):
	// exactly the longest lease is allowed, a second more is refused.
	if _, err := b.regionAPI.SetOrganizationLease(ctx, as(adminO, setLease(m.orgO, household.MaxLeaseLockAfter, household.MaxLeaseEraseAfter))); err != nil {
		t.Fatalf("the longest lease: %v", err)
	}
	invalid := []struct {
		name string
		req  *veiligv1.SetOrganizationLeaseRequest
	}{
		{"no lease and no clear", &veiligv1.SetOrganizationLeaseRequest{OrganizationId: m.orgO}},
		{"clear false", &veiligv1.SetOrganizationLeaseRequest{OrganizationId: m.orgO, Change: &veiligv1.SetOrganizationLeaseRequest_Clear{}}},
		{"no lock period", &veiligv1.SetOrganizationLeaseRequest{OrganizationId: m.orgO, Change: &veiligv1.SetOrganizationLeaseRequest_Lease{
			Lease: &veiligv1.LeasePeriods{EraseAfter: durationpb.New(time.Hour)}}}},
		{"no erase period", &veiligv1.SetOrganizationLeaseRequest{OrganizationId: m.orgO, Change: &veiligv1.SetOrganizationLeaseRequest_Lease{
			Lease: &veiligv1.LeasePeriods{LockAfter: durationpb.New(time.Hour)}}}},
		{"lock after zero", setLease(m.orgO, 0, time.Hour)},
		{"lock after negative", setLease(m.orgO, -time.Hour, time.Hour)},
		{"erase as soon as lock", setLease(m.orgO, time.Hour, time.Hour)},
		{"erase before lock", setLease(m.orgO, 2*time.Hour, time.Hour)},
		{"lock after more than the longest", setLease(m.orgO, household.MaxLeaseLockAfter+time.Second, household.MaxLeaseEraseAfter)},
		{"erase after more than the longest", setLease(m.orgO, time.Hour, household.MaxLeaseEraseAfter+time.Second)},
		{"a fraction of a second", setLease(m.orgO, time.Hour+time.Millisecond, 2*time.Hour)},
		{"not an organization id", setLease("org-o", time.Hour, 2*time.Hour)},
	}
	for _, tt := range invalid {
		_, err := b.regionAPI.SetOrganizationLease(ctx, as(adminO, tt.req))
		if code := codeOf(err); code != connect.CodeInvalidArgument {
			t.Errorf("%s: got %v (%v), want invalid_argument", tt.name, code, err)
		}
	}
	if lock, erase := b.pulledLease(t, lead); lock != household.MaxLeaseLockAfter || erase != household.MaxLeaseEraseAfter {
		t.Fatalf("after refused changes: %s and %s, want the longest lease set before", lock, erase)
	}
}

// phoneClock is a phone's controllable clock.
type phoneClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *phoneClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *phoneClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestPhoneKeepsItsOrganizationsLease: over HTTP, a phone's replica (sync/client, on its own
// controllable clock) of a professional of an organization with its own lease locks after that
// organization's first period without a successful pull and erases itself after the second,
// from the lease it got from a real pull; a phone of another organization, on the same
// clock, still shows its data then, by the deployment's default.
func TestPhoneKeepsItsOrganizationsLease(t *testing.T) {
	t.Parallel()
	b := setupLease(t, "")
	ctx := context.Background()
	m := b.m
	if _, err := b.regionAPI.SetOrganizationLease(ctx, as(b.idpO.token(t, m.adminO, time.Hour), setLease(m.orgO, 6*time.Hour, 30*time.Hour))); err != nil {
		t.Fatal(err)
	}
	clk := &phoneClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	phone := func(professionalID string, issuer *idp) *client.Replica {
		tok := issuer.token(t, professionalID, time.Hour)
		r, err := client.Open(ctx, "device-"+professionalID[:8], &client.MemoryStorage{},
			clientconnect.New(b.http, b.baseURL, func() string { return tok }), clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		return r
	}
	lead := phone(m.lead, b.idpO)       // organization O: its own lease, 6 h and 30 h
	foreign := phone(m.foreign, b.idpP) // organization P: the default, 72 h and 14 days
	if len(lead.Households()) != 1 || lead.CheckLease(ctx) != nil {
		t.Fatalf("after a pull the lead's phone shows %d households, lease %v", len(lead.Households()), lead.CheckLease(ctx))
	}

	// From here on the phones are offline: nothing renews their leases.
	clk.Add(6*time.Hour - time.Second)
	if err := lead.CheckLease(ctx); err != nil || len(lead.Households()) != 1 {
		t.Fatalf("locked before the organization's first period: %v", err)
	}
	clk.Add(time.Second)
	if err := lead.CheckLease(ctx); !errors.Is(err, client.ErrLeaseExpired) {
		t.Fatalf("after the organization's first period: %v, want ErrLeaseExpired", err)
	}
	if len(lead.Households()) != 0 {
		t.Fatal("a phone past its organization's lease still shows data")
	}
	if err := foreign.CheckLease(ctx); err != nil {
		t.Fatalf("another organization's phone locked by O's lease: %v", err)
	}

	clk.Add(24*time.Hour - time.Second) // 30 h less a second since the pull
	if err := lead.CheckLease(ctx); !errors.Is(err, client.ErrLeaseExpired) {
		t.Fatalf("just before the organization's second period: %v, want ErrLeaseExpired", err)
	}
	clk.Add(time.Second)
	if err := lead.CheckLease(ctx); !errors.Is(err, client.ErrErased) {
		t.Fatalf("after the organization's second period: %v, want ErrErased", err)
	}
	if lead.Erased() != client.ErasedLeaseExpired {
		t.Fatalf("erased for %q, want %q", lead.Erased(), client.ErasedLeaseExpired)
	}
	if err := foreign.CheckLease(ctx); err != nil {
		t.Fatalf("another organization's phone, 30 h after its pull: %v, want it to show its data (72 h default)", err)
	}
}

// TestPullReadsTheLeaseWithTheCaller: on PostgreSQL, a pull of a professional whose
// organization has its own lease sends the same statements as before it had one: the lease
// is read in the statement that resolves the caller, never by a round trip of its own.
func TestPullReadsTheLeaseWithTheCaller(t *testing.T) {
	t.Parallel()
	log := &statementLog{}
	b := setupWith(t, options{database: pgtest.NewDatabase(t), tracer: log})
	ctx := context.Background()
	tok := b.token(t, b.region.LeadID)
	pull := func() (time.Duration, []string) {
		t.Helper()
		log.take()
		res, err := b.sync.Pull(ctx, as(tok, &veiligv1.PullRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		return res.Msg.GetLease().GetLockAfter().AsDuration(), log.take()
	}
	pull() // the first pull of a device registers what later pulls only read
	lock, without := pull()
	if lock != household.DefaultLeaseLockAfter {
		t.Fatalf("lease %s before the organization has its own", lock)
	}
	p, err := b.store.ProfessionalGet(ctx, b.region.LeadID)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.store.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return tx.OrganizationLeaseSet(ctx, p.OrganizationID, store.Lease{LockAfter: 12 * time.Hour, EraseAfter: 48 * time.Hour})
	}); err != nil {
		t.Fatal(err)
	}
	lock, with := pull()
	if lock != 12*time.Hour {
		t.Fatalf("lease %s after the organization set its own, want 12h", lock)
	}
	if a, b := strings.Join(with, ", "), strings.Join(without, ", "); a != b {
		t.Errorf("a pull with the organization's own lease sends\n  %s\nbut without it\n  %s", a, b)
	}
	for _, s := range with {
		if strings.HasPrefix(s, "Organization") {
			t.Errorf("a pull reads the organization on its own (%s): %v", s, with)
		}
	}
	t.Logf("a pull sends %d statements: %s", len(with), strings.Join(with, ", "))
}
