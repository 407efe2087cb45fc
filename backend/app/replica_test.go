package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/client"
	"github.com/veilig/veilig/sync/client/clientconnect"
	"github.com/veilig/veilig/sync/client/clientsqlite"
	"github.com/veilig/veilig/sync/client/mobile"
	"github.com/veilig/veilig/sync/hlc"
)

// phone is a replica driven by a professional's token against the test server.
func (b *bundle) phone(t *testing.T, professionalID string, storage client.Storage, clock func() time.Time) *client.Replica {
	t.Helper()
	tok := b.token(t, professionalID)
	r, err := client.Open(context.Background(), "device-"+professionalID[:8], storage,
		clientconnect.New(b.http, b.baseURL, func() string { return tok }), clock)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func syncOK(t *testing.T, r *client.Replica) client.SyncReport {
	t.Helper()
	rep, err := r.Sync(context.Background())
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rep
}

// TestReplicasConverge runs two phones of one care team through offline edits of the same
// field, a resolution, a restart with a queued edit, and a removal from the care team.
func TestReplicasConverge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	hid := b.region.FirstHouseholdID
	clockA := func() time.Time { return testNow }
	clockB := func() time.Time { return testNow.Add(time.Second) }
	dbPath := filepath.Join(t.TempDir(), "lead.db")
	leadStore, err := clientsqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	lead := b.phone(t, b.region.LeadID, leadStore, clockA)
	super := b.phone(t, b.region.SupervisorID, &client.MemoryStorage{}, clockB)
	syncOK(t, lead)
	syncOK(t, super)
	if !reflect.DeepEqual(lead.Snapshot(hid), super.Snapshot(hid)) || len(lead.Snapshot(hid)) == 0 {
		t.Fatal("the two phones start from different plans")
	}

	// Offline, both change the phone number of one crisis contact.
	rid := client.NewID()
	if _, err := lead.Edit(ctx, hid, rid, change.SectionCrisisContact, map[string]string{"name": "Huisarts", "phone": "0201111111"}); err != nil {
		t.Fatal(err)
	}
	syncOK(t, lead)
	syncOK(t, super)
	if _, err := lead.Edit(ctx, hid, rid, "", map[string]string{"phone": "0202222222"}); err != nil {
		t.Fatal(err)
	}
	if _, err := super.Edit(ctx, hid, rid, "", map[string]string{"phone": "0203333333"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := lead.Entry(hid, rid); got["phone"] != "0202222222" {
		t.Fatalf("an offline edit does not show at once: %v", got)
	}
	syncOK(t, lead)
	syncOK(t, super)
	syncOK(t, lead)
	if !reflect.DeepEqual(lead.Snapshot(hid), super.Snapshot(hid)) {
		t.Fatalf("replicas diverge:\n%v\n%v", lead.Snapshot(hid)[rid], super.Snapshot(hid)[rid])
	}
	if got := lead.Snapshot(hid)[rid]["phone"]; got != "0203333333" {
		t.Errorf("phone = %q, want the later edit", got)
	}
	for name, r := range map[string]*client.Replica{"lead": lead, "supervisor": super} {
		cs := r.Conflicts(hid)
		if len(cs) != 1 || cs[0].Value != "0202222222" {
			t.Fatalf("%s sees conflicts %+v, want the lost 0202222222", name, cs)
		}
	}
	if _, err := super.Resolve(ctx, hid, super.Conflicts(hid)[0].ID); err != nil {
		t.Fatal(err)
	}
	syncOK(t, super)
	syncOK(t, lead)
	if len(lead.Conflicts(hid)) != 0 {
		t.Error("the resolution did not reach the lead")
	}

	// The lead's app is killed with an edit queued; it comes back from its database.
	if _, err := lead.Edit(ctx, hid, rid, "", map[string]string{"name": "Huisartsenpost"}); err != nil {
		t.Fatal(err)
	}
	leadStore.Close()
	reopened, err := clientsqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	lead = b.phone(t, b.region.LeadID, reopened, clockA)
	if lead.Pending() != 1 {
		t.Fatalf("the outbox did not survive the restart: %d pending", lead.Pending())
	}
	syncOK(t, lead)
	syncOK(t, super)
	if got := super.Snapshot(hid)[rid]["name"]; got != "Huisartsenpost" || len(lead.Rejected()) != 0 {
		t.Fatalf("after the restart: name %q, rejected %v", got, lead.Rejected())
	}

	// The lead leaves the care team: the household leaves the phone.
	if _, err := b.household.RemoveCareTeamMember(ctx, as(b.token(t, b.region.SupervisorID), &veiligv1.RemoveCareTeamMemberRequest{
		HouseholdId: hid, ProfessionalId: b.region.LeadID})); err != nil {
		t.Fatal(err)
	}
	if rep := syncOK(t, lead); rep.Evicted != 1 || lead.Snapshot(hid) != nil {
		t.Fatalf("eviction: %+v, data left: %v", rep, lead.Snapshot(hid) != nil)
	}
}

// lossy delivers a push to the server and then loses the answer, once.
type lossy struct {
	client.Transport
	lost bool
}

func (l *lossy) Push(ctx context.Context, batch []client.Mutation) ([]change.Result, hlc.Timestamp, error) {
	res, stamp, err := l.Transport.Push(ctx, batch)
	if err == nil && !l.lost {
		l.lost = true
		return nil, 0, errors.New("connection reset")
	}
	return res, stamp, err
}

func TestReplicaResendsAfterALostAnswer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	hid := b.region.FirstHouseholdID
	tok := b.token(t, b.region.LeadID)
	tr := &lossy{Transport: clientconnect.New(b.http, b.baseURL, func() string { return tok })}
	r, err := client.Open(ctx, "phone-1", &client.MemoryStorage{}, tr, func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.RecordCheckIn(ctx, hid, client.CheckIn{Channel: "home_visit", Outcome: "safe"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx); err == nil {
		t.Fatal("the lost answer was not reported")
	}
	if r.Pending() != 1 {
		t.Fatal("an unanswered mutation left the outbox")
	}
	syncOK(t, r)
	list, err := b.checkIn.ListCheckIns(ctx, as(tok, &veiligv1.ListCheckInsRequest{HouseholdId: hid, Limit: 500}))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range list.Msg.GetCheckIns() {
		if c.GetChannel() == veiligv1.Channel_CHANNEL_HOME_VISIT && c.GetRecordedBy() == b.region.LeadID && c.GetRecordedAt().AsTime().Equal(testNow) {
			n++
		}
	}
	if n != 1 || r.Pending() != 0 {
		t.Fatalf("check-in stored %d times after a re-send (pending %d), want once", n, r.Pending())
	}
}

// TestPhoneLoopAndMobileFace drives the phone SDK (package mobile) beside a Go replica's sync
// loop: a poke makes the loop sync at once, and the SDK's phone sees what the loop pushed.
func TestPhoneLoopAndMobileFace(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hid := b.region.FirstHouseholdID
	tok := b.token(t, b.region.LeadID)
	phone := b.phoneApp(t, b.region.LeadID)
	phone.sync(t)
	rid := mobile.NewRecordID()
	if _, err := phone.SetField(hid, rid, "safety_goal", "description", "Elke avond rustig"); err != nil {
		t.Fatal(err)
	}
	if got := phone.entries(t, hid)[rid].Fields; got["description"] != "Elke avond rustig" {
		t.Fatalf("a local edit is not in EntriesJSON: %v", got)
	}
	if res := phone.sync(t); res.Pending != 0 {
		t.Fatalf("pending %d after a sync", res.Pending)
	}

	// The loop: an hour between syncs, but a poke syncs now.
	r, err := client.Open(context.Background(), "phone-10", &client.MemoryStorage{}, clientconnect.New(b.http, b.baseURL, func() string { return tok }), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	poke := make(chan struct{}, 1)
	synced := make(chan struct{}, 10)
	go r.Loop(ctx, time.Hour, poke, func(_ client.SyncReport, err error) {
		if err == nil {
			synced <- struct{}{}
		}
	})
	<-synced // the first sync happens at once
	// Another field than phone-9 wrote: the server's test clock is fixed at testNow while
	// these phones run on the wall clock, which the server clamps, so two writes of one field
	// would tie on their stamps and the test would depend on the time of day.
	if _, err := r.Edit(ctx, hid, rid, "", map[string]string{"who": "Moeder en oma"}); err != nil {
		t.Fatal(err)
	}
	poke <- struct{}{}
	select {
	case <-synced:
	case <-time.After(10 * time.Second):
		t.Fatal("a poke did not make the loop sync")
	}
	phone.sync(t)
	if got := phone.entries(t, hid)[rid].Fields; got["who"] != "Moeder en oma" || got["description"] != "Elke avond rustig" || phone.Pending() != 0 {
		t.Fatalf("after the poke the other phone sees %v (pending %d, rejected %v)", got, phone.Pending(), r.Rejected())
	}
}
