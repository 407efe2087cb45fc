package client

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

// oneFieldServer answers every push as applied and keeps, per record, the last value of each
// field and whether it was deleted; its pulls fail while offline is set.
type oneFieldServer struct {
	version int64
	records map[string]*Record
	offline bool
}

func (s *oneFieldServer) Push(_ context.Context, batch []Mutation) ([]change.Result, hlc.Timestamp, error) {
	var out []change.Result
	s.version++
	for _, m := range batch {
		rec := s.records[m.RecordID]
		if rec == nil {
			rec = &Record{ID: m.RecordID, Section: m.Section, Fields: map[string]Field{}}
			s.records[m.RecordID] = rec
		}
		for _, w := range m.Writes {
			rec.Fields[w.Field] = Field{Value: w.Value, Stamp: w.Stamp, DeviceID: "phone-a"}
		}
		rec.Deleted = m.Kind == change.KindDelete
		out = append(out, change.Result{MutationID: m.ID, Outcome: change.OutcomeApplied})
	}
	return out, 0, nil
}

func (s *oneFieldServer) Pull(_ context.Context, cursors map[string]int64, _ int) (*PullPage, error) {
	if s.offline {
		return nil, errors.New("offline")
	}
	hc := HouseholdChanges{HouseholdID: "h1", Version: s.version}
	for _, rec := range s.records {
		hc.Records = append(hc.Records, *rec)
	}
	return &PullPage{Households: []HouseholdChanges{hc}}, nil
}

// TestAnAnsweredEditStaysInViewUntilAPullBringsItBack: between a push's answer and the pull
// that follows (a pull that fails, or an edit made while it runs) the phone must still show
// its edit and, above all, stamp its next edit as having seen it. Otherwise the server takes
// the next edit for a concurrent one (a conflict with the phone's own earlier value) and a
// delete for one that had not seen the edit (the entry stays).
func TestAnAnsweredEditStaysInViewUntilAPullBringsItBack(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	server := &oneFieldServer{records: map[string]*Record{}, offline: true}
	r, err := Open(ctx, "phone-a", &MemoryStorage{}, server, func() time.Time { now = now.Add(time.Second); return now })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Edit(ctx, "h1", "r1", change.SectionDanger, map[string]string{"what": "ruzie"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Edit(ctx, "h1", "r2", change.SectionReview, map[string]string{"when": "maandag"}); err != nil {
		t.Fatal(err)
	}
	first := slices.Clone(r.st.Outbox)
	if _, err := r.Sync(ctx); err == nil || r.Pending() != 0 {
		t.Fatalf("sync: %v, pending %d; want the push answered and the pull failed", err, r.Pending())
	}
	if got := r.Entries("h1"); got["r1"]["what"] != "ruzie" || got["r2"]["when"] != "maandag" {
		t.Fatalf("after the push, before a pull, the view is %v: the phone's own edits vanished", got)
	}

	if _, err := r.Edit(ctx, "h1", "r1", "", map[string]string{"what": "ruzie over geld"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Delete(ctx, "h1", "r2"); err != nil {
		t.Fatal(err)
	}
	if seen, want := r.st.Outbox[0].Writes[0].Seen, first[0].Writes[0].Stamp; seen != want {
		t.Errorf("the next edit has seen %v, want the answered edit's stamp %v", seen, want)
	}
	if seen, want := r.st.Outbox[1].Seen, first[1].Writes[0].Stamp; seen != want {
		t.Errorf("the delete has seen %v, want the answered edit's stamp %v", seen, want)
	}

	server.offline = false
	if _, err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if len(r.st.Sent) != 0 || r.Pending() != 0 {
		t.Fatalf("after a pull of the household: %d sent, %d pending; want none", len(r.st.Sent), r.Pending())
	}
	if got := r.Entries("h1"); len(got) != 1 || got["r1"]["what"] != "ruzie over geld" {
		t.Fatalf("after the pull the view is %v", got)
	}
}
