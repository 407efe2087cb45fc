package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/hlc"
)

func planEdit(household, record, section string, stamp, seen hlc.Timestamp, kv ...string) *veiligv1.Mutation {
	e := &veiligv1.RecordEdit{Kind: veiligv1.RecordKind_RECORD_KIND_PLAN_ENTRY, RecordId: record, Section: section}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Fields = append(e.Fields, &veiligv1.FieldWrite{Field: kv[i], Value: kv[i+1], Stamp: uint64(stamp), Seen: uint64(seen)})
	}
	return &veiligv1.Mutation{Id: uuid.NewString(), HouseholdId: household, Change: &veiligv1.Mutation_Edit{Edit: e}}
}

func (b *bundle) push(t *testing.T, tok string, muts ...*veiligv1.Mutation) []*veiligv1.MutationResult {
	t.Helper()
	res, err := b.sync.Push(context.Background(), as(tok, &veiligv1.PushRequest{Mutations: muts}))
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	if len(res.Msg.GetResults()) != len(muts) {
		t.Fatalf("%d results for %d mutations", len(res.Msg.GetResults()), len(muts))
	}
	return res.Msg.GetResults()
}

func (b *bundle) pull(t *testing.T, tok string, cursors map[string]int64) *veiligv1.PullResponse {
	t.Helper()
	req := &veiligv1.PullRequest{}
	for h, v := range cursors {
		req.Cursors = append(req.Cursors, &veiligv1.Cursor{HouseholdId: h, Version: v})
	}
	res, err := b.sync.Pull(context.Background(), as(tok, req))
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	return res.Msg
}

func changesFor(p *veiligv1.PullResponse, household string) *veiligv1.HouseholdChanges {
	for _, c := range p.GetChanges() {
		if c.GetHouseholdId() == household {
			return c
		}
	}
	return nil
}

func cursorsOf(p *veiligv1.PullResponse) map[string]int64 {
	out := map[string]int64{}
	for _, c := range p.GetCursors() {
		out[c.GetHouseholdId()] = c.GetVersion()
	}
	return out
}

// hidden finds a demo household the professional may not see.
func (b *bundle) hidden(t *testing.T, professionalID string) string {
	t.Helper()
	for _, h := range b.region.HouseholdIDs {
		rels, err := b.store.HouseholdRelationList(context.Background(), professionalID, h)
		ok := len(rels) > 0
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return h
		}
	}
	t.Fatal("the professional sees every household")
	return ""
}

func TestSyncPushRejectsPerMutationAndIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead, super := b.token(t, b.region.LeadID), b.token(t, b.region.SupervisorID)
	hid := b.region.FirstHouseholdID
	now := hlc.New(testNow, 0)
	good := planEdit(hid, uuid.NewString(), "danger", now, 0, "description", "Sleutels bij de buren")
	invalid := planEdit(hid, "not-a-uuid", "danger", now, 0, "description", "x")
	forbidden := planEdit(b.hidden(t, b.region.LeadID), uuid.NewString(), "danger", now, 0, "description", "x")
	checkIn := &veiligv1.Mutation{Id: uuid.NewString(), HouseholdId: hid, Change: &veiligv1.Mutation_CheckIn{CheckIn: &veiligv1.CheckInAppend{
		Channel: veiligv1.Channel_CHANNEL_HOME_VISIT, Outcome: veiligv1.Outcome_OUTCOME_SAFE, Stamp: uint64(now)}}}
	batch := []*veiligv1.Mutation{good, invalid, forbidden, checkIn}

	res := b.push(t, lead, batch...)
	want := []struct {
		outcome veiligv1.MutationOutcome
		reason  veiligv1.RejectReason
	}{
		{veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED, 0},
		{veiligv1.MutationOutcome_MUTATION_OUTCOME_REJECTED, veiligv1.RejectReason_REJECT_REASON_INVALID},
		{veiligv1.MutationOutcome_MUTATION_OUTCOME_REJECTED, veiligv1.RejectReason_REJECT_REASON_FORBIDDEN},
		{veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED, 0},
	}
	for i, r := range res {
		if r.GetMutationId() != batch[i].GetId() || r.GetOutcome() != want[i].outcome || r.GetReason() != want[i].reason {
			t.Errorf("result %d = %v, want %v", i, r, want[i])
		}
	}
	if d := res[1].GetDetail(); d == "" || strings.Contains(d, "not-a-uuid") {
		t.Errorf("invalid mutation detail %q: must name the field, not echo the value", d)
	}

	page := b.pull(t, super, nil)
	hc := changesFor(page, hid)
	if hc == nil {
		t.Fatal("the supervisor does not pull the household")
	}
	found := false
	for _, r := range hc.GetRecords() {
		found = found || r.GetRecordId() == good.GetEdit().GetRecordId()
	}
	if !found || len(hc.GetCheckIns()) == 0 {
		t.Fatalf("pushed entry or check-in missing from the pull")
	}
	before := cursorsOf(page)[hid]

	// The response was lost; the phone pushes the same batch again.
	again := b.push(t, lead, batch...)
	for i := range res {
		if again[i].GetOutcome() != res[i].GetOutcome() || again[i].GetReason() != res[i].GetReason() {
			t.Errorf("re-push result %d = %v, first %v", i, again[i], res[i])
		}
	}
	if got := cursorsOf(b.pull(t, super, nil))[hid]; got != before {
		t.Errorf("a re-pushed batch moved the household from version %d to %d", before, got)
	}
}

// TestSyncMutationIDAnswersOnlyItsSender: a mutation id is the idempotency key of one
// professional's mutation for one household. Its sender's retry is answered with the stored
// outcome; anyone else's mutation under it (or the sender's, for another household) is
// rejected, is not applied, and learns nothing of the first mutation's outcome.
func TestSyncMutationIDAnswersOnlyItsSender(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead, super := b.token(t, b.region.LeadID), b.token(t, b.region.SupervisorID)
	hid, rid := b.region.FirstHouseholdID, uuid.NewString()
	now := hlc.New(testNow, 0)
	mine := planEdit(hid, rid, "danger", now, 0, "description", "Sleutels bij de buren")
	// A delete of a record that does not exist: rejected, with a detail that is the lead's alone.
	gone := &veiligv1.Mutation{Id: uuid.NewString(), HouseholdId: hid, Change: &veiligv1.Mutation_Delete{Delete: &veiligv1.RecordDelete{
		Kind: veiligv1.RecordKind_RECORD_KIND_PLAN_ENTRY, RecordId: uuid.NewString(), Stamp: uint64(now), Seen: uint64(now)}}}
	first := b.push(t, lead, mine, gone)
	if first[0].GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED ||
		first[1].GetReason() != veiligv1.RejectReason_REJECT_REASON_NOT_FOUND || first[1].GetDetail() == "" {
		t.Fatalf("first push = %v", first)
	}
	before := cursorsOf(b.pull(t, super, nil))[hid]

	inUse := func(what string, rs []*veiligv1.MutationResult) {
		t.Helper()
		for i, r := range rs {
			if r.GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_REJECTED || r.GetReason() != veiligv1.RejectReason_REJECT_REASON_ID_IN_USE ||
				r.GetDetail() == "" || r.GetDetail() == first[1].GetDetail() {
				t.Errorf("%s, result %d = %v; want rejected id_in_use, with a detail of its own", what, i, r)
			}
		}
	}
	// The supervisor sees the household too, but the ids are the lead's.
	theirs := planEdit(hid, rid, "", now+1, now, "description", "overschreven")
	theirs.Id = mine.GetId()
	another := planEdit(hid, uuid.NewString(), "review", now, 0, "when", "maandag")
	another.Id = gone.GetId()
	inUse("the supervisor's mutations under the lead's ids", b.push(t, super, theirs, another))
	// The lead's own id, for another household the lead sees.
	other := ""
	for _, h := range b.region.HouseholdIDs[1:] {
		rels, err := b.store.HouseholdRelationList(context.Background(), b.region.LeadID, h)
		if err != nil {
			t.Fatal(err)
		}
		if len(rels) > 0 {
			other = h
			break
		}
	}
	if other == "" {
		t.Fatal("the lead sees no second household")
	}
	elsewhere := planEdit(other, uuid.NewString(), "danger", now, 0, "description", "x")
	elsewhere.Id = mine.GetId()
	inUse("the lead's id for another household", b.push(t, lead, elsewhere))
	// Each refused re-use is recorded, with ids only.
	logged := map[any]float64{}
	for _, line := range logLines(t, b.logs.String()) {
		if strings.HasPrefix(fmt.Sprint(line["message"]), "push refused: mutation ids already used") {
			logged[line["professional_id"]] += line["mutations"].(float64)
		}
	}
	if logged[b.region.SupervisorID] != 2 || logged[b.region.LeadID] != 1 {
		t.Errorf("refused re-uses logged as %v, want 2 for the supervisor and 1 for the lead", logged)
	}

	page := b.pull(t, super, nil)
	if got := cursorsOf(page)[hid]; got != before {
		t.Errorf("rejected re-uses moved the household from version %d to %d", before, got)
	}
	for _, r := range changesFor(page, hid).GetRecords() {
		if r.GetRecordId() == rid && (len(r.GetFields()) != 1 || r.GetFields()[0].GetValue() != "Sleutels bij de buren") {
			t.Errorf("record after rejected re-uses = %v, want the lead's value", r)
		}
		if r.GetRecordId() == another.GetEdit().GetRecordId() {
			t.Errorf("a mutation under a re-used id was applied: %v", r)
		}
	}

	// The lead's retry is answered with the stored outcomes.
	again := b.push(t, lead, mine, gone)
	for i := range first {
		if !proto.Equal(again[i], first[i]) {
			t.Errorf("retry result %d = %v, first %v", i, again[i], first[i])
		}
	}
}

func TestSyncClampsFutureClocks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead := b.token(t, b.region.LeadID)
	hid, rid := b.region.FirstHouseholdID, uuid.NewString()
	yearAhead := hlc.New(testNow.AddDate(1, 0, 0), 0)
	b.push(t, lead, planEdit(hid, rid, "warning_signal", yearAhead, 0, "description", "from the future"))
	// A later honest edit by a colleague must win over the bad clock.
	b.push(t, b.token(t, b.region.SupervisorID), planEdit(hid, rid, "", hlc.New(testNow.Add(hlc.DefaultMaxSkew+time.Second), 0), 0, "description", "honest"))
	for _, r := range changesFor(b.pull(t, lead, nil), hid).GetRecords() {
		if r.GetRecordId() != rid {
			continue
		}
		f := r.GetFields()[0]
		if f.GetValue() != "honest" || hlc.Timestamp(f.GetStamp()).Wall().After(testNow.Add(hlc.DefaultMaxSkew)) {
			t.Fatalf("field = %v; the clamped stamp must not beat a later edit", f)
		}
		return
	}
	t.Fatal("record not pulled")
}

func TestSyncConflictReachesBothAuthorsAndIsResolved(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead, super := b.token(t, b.region.LeadID), b.token(t, b.region.SupervisorID)
	hid, rid := b.region.FirstHouseholdID, uuid.NewString()
	t1 := hlc.New(testNow.Add(-time.Hour), 0)
	b.push(t, lead, planEdit(hid, rid, "crisis_contact", t1, 0, "phone", "0611"))
	// Both edit the phone offline, each having seen 0611.
	b.push(t, lead, planEdit(hid, rid, "", hlc.New(testNow.Add(-10*time.Minute), 0), t1, "phone", "0622"))
	res := b.push(t, super, planEdit(hid, rid, "", hlc.New(testNow.Add(-20*time.Minute), 0), t1, "phone", "0633"))
	if res[0].GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_CONFLICT_RECORDED {
		t.Fatalf("concurrent edit outcome %v", res[0].GetOutcome())
	}
	var conflictID string
	for _, tok := range []string{lead, super} {
		hc := changesFor(b.pull(t, tok, nil), hid)
		if len(hc.GetConflicts()) != 1 || hc.GetConflicts()[0].GetValue() != "0633" || hc.GetConflicts()[0].GetResolved() {
			t.Fatalf("conflicts pulled = %v", hc.GetConflicts())
		}
		conflictID = hc.GetConflicts()[0].GetId()
	}
	cursors := cursorsOf(b.pull(t, lead, nil))
	res = b.push(t, super, &veiligv1.Mutation{Id: uuid.NewString(), HouseholdId: hid, Change: &veiligv1.Mutation_Resolve{Resolve: &veiligv1.ConflictResolve{ConflictId: conflictID}}})
	if res[0].GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED {
		t.Fatalf("resolve: %v", res[0])
	}
	hc := changesFor(b.pull(t, lead, cursors), hid)
	if len(hc.GetConflicts()) != 1 || !hc.GetConflicts()[0].GetResolved() {
		t.Fatalf("the lead does not see the resolution: %v", hc.GetConflicts())
	}
}

func TestSyncEvictsAfterRemovalFromTheCareTeam(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead, super := b.token(t, b.region.LeadID), b.token(t, b.region.SupervisorID)
	hid := b.region.FirstHouseholdID
	cursors := cursorsOf(b.pull(t, lead, nil))
	if _, ok := cursors[hid]; !ok {
		t.Fatal("the lead does not hold the household")
	}
	if _, err := b.household.RemoveCareTeamMember(context.Background(), as(super, &veiligv1.RemoveCareTeamMemberRequest{
		HouseholdId: hid, ProfessionalId: b.region.LeadID})); err != nil {
		t.Fatal(err)
	}
	page := b.pull(t, lead, cursors)
	if len(page.GetEvictedHouseholdIds()) != 1 || page.GetEvictedHouseholdIds()[0] != hid || changesFor(page, hid) != nil {
		t.Fatalf("evicted = %v", page.GetEvictedHouseholdIds())
	}
}

func TestSubscribePokesOnChange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead, super := b.token(t, b.region.LeadID), b.token(t, b.region.SupervisorID)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := b.sync.Subscribe(ctx, as(lead, &veiligv1.SubscribeRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	got := make(chan []string, 1)
	if !stream.Receive() || len(stream.Msg().GetHouseholdIds()) != 0 {
		t.Fatalf("the subscription was not confirmed with an empty message: %v", stream.Err())
	}
	go func() {
		if stream.Receive() {
			got <- stream.Msg().GetHouseholdIds()
		}
		close(got)
	}()
	hid := b.region.FirstHouseholdID
	// Push until the poke arrives: the subscription needs one poll to learn the baseline.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case ids := <-got:
			if len(ids) != 1 || ids[0] != hid {
				t.Fatalf("poke names %v, want [%s] (err %v)", ids, hid, stream.Err())
			}
			return
		case <-tick.C:
			b.push(t, super, planEdit(hid, uuid.NewString(), "danger", hlc.New(testNow, 0), 0, "description", "d"))
		case <-ctx.Done():
			t.Fatal("no poke within 10s")
		}
	}
}

func TestPushRefusesEmptyAndOversizedBatches(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead := b.token(t, b.region.LeadID)
	_, err := b.sync.Push(context.Background(), as(lead, &veiligv1.PushRequest{}))
	wantCode(t, err, connect.CodeInvalidArgument)
	_, err = b.sync.Push(context.Background(), as("", &veiligv1.PushRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated)
}

// TestPullIsSmallWhenNothingChangedAndCompressed measures the wire: a no-change round trip
// costs a few hundred bytes, and a large page travels gzip-compressed.
func TestPullIsSmallWhenNothingChangedAndCompressed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead := b.token(t, b.region.LeadID)
	page := b.pull(t, lead, nil)
	raw := func(body string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, b.baseURL+"/veilig.v1.SyncService/Pull", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/proto")
		req.Header.Set("Authorization", "Bearer "+lead)
		req.Header.Set("Accept-Encoding", "gzip")
		tr := &http.Transport{DisableCompression: true} // see the bytes as sent
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		got, _ := io.ReadAll(res.Body)
		return res, got
	}
	encode := func(m *veiligv1.PullRequest) string {
		bs, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(bs)
	}
	atHead := &veiligv1.PullRequest{}
	for h, v := range cursorsOf(page) {
		atHead.Cursors = append(atHead.Cursors, &veiligv1.Cursor{HouseholdId: h, Version: v})
	}
	res, body := raw(encode(atHead))
	if res.StatusCode != http.StatusOK || len(body) > 300 {
		t.Fatalf("no-change pull: status %d, %d bytes", res.StatusCode, len(body))
	}
	t.Logf("no-change pull of %d households: %d request bytes, %d response bytes", len(atHead.Cursors), len(encode(atHead)), len(body))

	res, body = raw(encode(&veiligv1.PullRequest{}))
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("a full pull of %d households was not compressed", len(page.GetChanges()))
	}
	full, _ := proto.Marshal(page)
	if len(body) >= len(full) {
		t.Errorf("compressed page %d bytes, uncompressed %d", len(body), len(full))
	}
	t.Logf("full pull: %d bytes gzip, %d bytes uncompressed", len(body), len(full))
}
