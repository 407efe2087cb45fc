package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

// nextNaming waits up to within for the stream's next message and fails unless it names
// household. It returns how long the message took.
func nextNaming(t *testing.T, s *openStream, household string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	got := make(chan []string, 1)
	go func() {
		if s.Receive() {
			got <- s.Msg().GetHouseholdIds()
			return
		}
		got <- nil
	}()
	select {
	case ids := <-got:
		if !slices.Contains(ids, household) {
			t.Fatalf("stream named %v (err %v), want %s", ids, s.Err(), household)
		}
		return time.Since(start)
	case <-time.After(within):
		t.Fatalf("no message naming %s within %v", household, within)
		return 0
	}
}

// TestAPushWakesItsHouseholdsStreamsAtOnce polls for changes once an hour, so only the push's
// own wake can reach the other device's stream in time.
func TestAPushWakesItsHouseholdsStreamsAtOnce(t *testing.T) {
	b := setupWith(t, options{pollInterval: time.Hour})
	h := b.region.FirstHouseholdID
	stream := b.mustSubscribe(t, b.sign(t, b.region.LeadID, "phone-a", time.Hour))
	other := b.sign(t, b.region.LeadID, "phone-b", time.Hour)
	for range 3 {
		stamp := hlc.New(time.Now(), 0)
		if r := b.push(t, other, planEdit(h, uuid.NewString(), "agreement", stamp, stamp, "title", "x")); r[0].GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED {
			t.Fatalf("push: %v %s", r[0].GetOutcome(), r[0].GetDetail())
		}
		took := nextNaming(t, stream, h, 2*time.Second)
		t.Logf("push to poke: %v", took)
	}
}

// TestAChangeCommittedElsewhereArrivesWithinAPoll writes through the store, as another
// replica would: the process's poll finds it.
func TestAChangeCommittedElsewhereArrivesWithinAPoll(t *testing.T) {
	b := setupWith(t, options{pollInterval: 50 * time.Millisecond})
	h := b.region.FirstHouseholdID
	stream := b.mustSubscribe(t, b.token(t, b.region.LeadID))
	_, err := b.store.PlanEntryUpsert(context.Background(), store.PlanEntryUpsertParams{
		Entry:     store.PlanEntry{ID: "entry-elsewhere", HouseholdID: h, Section: change.SectionAgreement, Fields: map[string]string{"title": "x"}},
		UpdatedBy: b.region.LeadID, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	nextNaming(t, stream, h, 2*time.Second)
}

// TestStreamsFollowTheCareTeam: someone added to a care team is told of the household, through
// this process at once and from another replica within a sweep; someone removed is told too,
// so that their next pull evicts it.
func TestStreamsFollowTheCareTeam(t *testing.T) {
	b := setupWith(t, options{pollInterval: 20 * time.Millisecond})
	ctx := context.Background()
	h, outsider := b.region.FirstHouseholdID, b.region.OtherTeamProfessionalID
	stream := b.mustSubscribe(t, b.token(t, outsider))
	lead := b.token(t, b.region.LeadID)

	if _, err := b.household.SetCareTeamMember(ctx, as(lead, &veiligv1.SetCareTeamMemberRequest{HouseholdId: h, ProfessionalId: outsider})); err != nil {
		t.Fatal(err)
	}
	nextNaming(t, stream, h, 2*time.Second)
	if _, err := b.household.RemoveCareTeamMember(ctx, as(lead, &veiligv1.RemoveCareTeamMemberRequest{HouseholdId: h, ProfessionalId: outsider})); err != nil {
		t.Fatal(err)
	}
	nextNaming(t, stream, h, 2*time.Second)

	// The same grant committed by another replica: nobody here watches h, so the sweep finds
	// it (every 30 polls).
	if err := b.store.CareTeamMemberSet(ctx, store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: h, ProfessionalID: outsider}, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	nextNaming(t, stream, h, 5*time.Second)
}

// TestIdleStreamsSendNoQueries opens streams and counts, through a pgx tracer, what the
// server sends while nothing changes: one visibility read per stream when it opens, then per
// interval, for all of them at once, one version poll and one check of whose access ended.
func TestIdleStreamsSendNoQueries(t *testing.T) {
	log := &statementLog{}
	const every = 50 * time.Millisecond
	b := setupWith(t, options{database: pgtest.NewDatabase(t), tracer: log, pollInterval: every, streamsPerProfessional: 100})
	const streams = 20
	for i := range streams {
		b.mustSubscribe(t, b.sign(t, b.region.LeadID, "phone-"+string(rune('a'+i)), time.Hour))
	}
	time.Sleep(5 * every) // each stream reads its households once after its confirmation
	log.take()
	const wait = 20 * every
	time.Sleep(wait)
	counts := map[string]int{}
	for _, s := range log.take() {
		counts[s]++
	}
	if n := counts["HouseholdListVisible"]; n != 0 {
		t.Errorf("idle streams read their visible households %d times in %v; want 0 (counts %v)", n, wait, counts)
	}
	polls := counts["HouseholdVersionListMany"]
	if polls < 5 || polls > 25 {
		t.Errorf("%d version polls in %v at one per %v; want one per interval for all %d streams (counts %v)", polls, wait, every, streams, counts)
	}
	var other []string
	for s, n := range counts {
		if s != "HouseholdVersionListMany" && s != "AccessEndedList" && s != "HouseholdViewerListByProfessionals" {
			other = append(other, s+"×"+string(rune('0'+min(n, 9))))
		}
	}
	if len(other) > 0 {
		t.Errorf("idle streams sent %s", strings.Join(other, ", "))
	}
}
