package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/veilig/veilig/backend/app"
	"github.com/veilig/veilig/mobile-api/careapi"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/hlc"
)

// Issue 13, point 1, over the wire: one care-team member fills one household with far more
// than a page, in pushes each about 25 times the page; every pull page, as encoded on the
// wire, stays within the asked max_bytes (the smallest a device may ask), and the pages
// together hold every record with its value. A smaller max_bytes is refused.
func TestPullOfOneLargeHouseholdIsPagedWithinMaxBytes(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{quotas: careapi.Quotas{MutationsPerMinute: 1 << 20, PushBytesPerMinute: 1 << 30},
		maxRequestBytes: app.DefaultMaxRequestBytes})
	lead := b.token(t, b.region.LeadID)
	hid := b.region.FirstHouseholdID
	const pushes, perPush, maxBytes = 4, 250, 32 << 10
	if _, err := b.sync.Pull(context.Background(), as(lead, &veiligv1.PullRequest{MaxBytes: maxBytes - 1})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("a pull asking %d bytes: %v, want invalid_argument", maxBytes-1, err)
	}
	want := map[string]string{}
	for p := range pushes {
		var batch []*veiligv1.Mutation
		for i := range perPush {
			id, value := uuid.NewString(), fmt.Sprintf("%d-%d-%s", p, i, strings.Repeat("x", 3000))
			want[id] = value
			batch = append(batch, planEdit(hid, id, "agreement", hlc.New(testNow, uint16(i)), 0, "text", value))
		}
		for _, r := range b.push(t, lead, batch...) {
			if r.GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED {
				t.Fatalf("push %d: %v", p, r)
			}
		}
	}
	got := map[string]string{}
	cursors := map[string]int64{}
	pages := 0
	for {
		req := &veiligv1.PullRequest{MaxBytes: maxBytes}
		for h, v := range cursors {
			req.Cursors = append(req.Cursors, &veiligv1.Cursor{HouseholdId: h, Version: v})
		}
		res, err := b.sync.Pull(context.Background(), as(lead, req))
		if err != nil {
			t.Fatalf("pull: %v", err)
		}
		pages++
		if n := proto.Size(res.Msg); n > maxBytes {
			t.Errorf("page %d is %d bytes on the wire, asked %d", pages, n, maxBytes)
		}
		for h, v := range cursorsOf(res.Msg) {
			cursors[h] = v
		}
		if hc := changesFor(res.Msg, hid); hc != nil {
			for _, r := range hc.GetRecords() {
				for _, f := range r.GetFields() {
					if f.GetField() == "text" {
						got[r.GetRecordId()] = f.GetValue()
					}
				}
			}
		}
		if !res.Msg.GetHasMore() {
			break
		}
		if pages > 1000 {
			t.Fatal("paging makes no progress")
		}
	}
	missing := 0
	for id, v := range want {
		if got[id] != v {
			missing++
		}
	}
	if missing > 0 || pages < 20 {
		t.Errorf("%d of %d pushed records missing after %d pages of %d bytes", missing, len(want), pages, maxBytes)
	}
}

// Issue 13, quotas: over a push or per-minute limit the whole push is refused with
// resource_exhausted naming the limit, nothing of it applied; over the household quota each
// growing edit is rejected with the limit in its detail while check-ins still apply; what was
// accepted before stays.
func TestPushQuotas(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{quotas: careapi.Quotas{MutationsPerPush: 50, MutationsPerMinute: 80, HouseholdBytes: 32 << 10}})
	lead := b.token(t, b.region.LeadID)
	hid := b.region.FirstHouseholdID
	edits := func(n, size int) []*veiligv1.Mutation {
		var out []*veiligv1.Mutation
		for i := range n {
			out = append(out, planEdit(hid, uuid.NewString(), "agreement", hlc.New(testNow, uint16(i)), 0, "text", strings.Repeat("y", size)))
		}
		return out
	}
	_, err := b.sync.Push(context.Background(), as(lead, &veiligv1.PushRequest{Mutations: edits(51, 10)}))
	if e := wantCode(t, err, connect.CodeResourceExhausted); e != nil && !strings.Contains(e.Message(), "--max-mutations-per-push") {
		t.Errorf("over the per-push limit: %v", err)
	}
	first := edits(50, 10)
	b.push(t, lead, first...)
	_, err = b.sync.Push(context.Background(), as(lead, &veiligv1.PushRequest{Mutations: edits(40, 10)}))
	if e := wantCode(t, err, connect.CodeResourceExhausted); e != nil && !strings.Contains(e.Message(), "--max-mutations-per-minute") {
		t.Errorf("over the per-minute limit: %v", err)
	}
	// The accepted push is all there.
	hc := changesFor(b.pull(t, lead, nil), hid)
	seen := map[string]bool{}
	for _, r := range hc.GetRecords() {
		seen[r.GetRecordId()] = true
	}
	for _, m := range first {
		if !seen[m.GetEdit().GetRecordId()] {
			t.Fatal("an accepted mutation is missing after a refused push")
		}
	}

	// Another device of the same professional has its own budget; the household quota
	// stops its edits one by one, never its check-in.
	other, err := b.dev.Sign(b.region.LeadID, "phone-2", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	batch := edits(29, 1800)
	checkIn := &veiligv1.Mutation{Id: uuid.NewString(), HouseholdId: hid, Change: &veiligv1.Mutation_CheckIn{CheckIn: &veiligv1.CheckInAppend{
		Channel: veiligv1.Channel_CHANNEL_HOME_VISIT, Outcome: veiligv1.Outcome_OUTCOME_SAFE, Stamp: uint64(hlc.New(testNow, 0))}}}
	res := b.push(t, other, append(batch, checkIn)...)
	applied, rejected := 0, 0
	for _, r := range res[:len(batch)] {
		switch {
		case r.GetOutcome() == veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED:
			applied++
		case strings.Contains(r.GetDetail(), "--max-household-bytes"):
			rejected++
		default:
			t.Errorf("edit result %v", r)
		}
	}
	if applied == 0 || rejected == 0 {
		t.Errorf("household quota: %d applied, %d rejected; want both", applied, rejected)
	}
	if res[len(batch)].GetOutcome() != veiligv1.MutationOutcome_MUTATION_OUTCOME_APPLIED {
		t.Errorf("a check-in beside quota rejections: %v", res[len(batch)])
	}
	size, err := b.store.HouseholdSize(context.Background(), hid)
	if err != nil {
		t.Fatal(err)
	}
	if size > 32<<10 {
		t.Errorf("household is %d bytes, quota %d", size, 32<<10)
	}
}
