package client

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

// savedBeforeSharedTypes is a state as the replica saved it while it had its own Kind,
// Outcome, FieldWrite and Result types (int kinds, outcomes and reasons, string sections),
// encoded by that code.
const savedBeforeSharedTypes = `{"DeviceID":"phone-1","Clock":0,"Cursors":{"h1":3},
 "Households":{"h1":{"Code":"HH-1","Records":{"r1":{"Section":"danger","Deleted":false,
  "Fields":{"what":{"Value":"ruzie","Stamp":5,"DeviceID":"phone-2"}}}},"Conflicts":{},"CheckIns":null,"Schedules":null}},
 "Outbox":[{"ID":"m1","HouseholdID":"h1","Kind":1,"RecordID":"r1","Section":"","Writes":[{"Field":"what","Value":"ruzie over geld","Stamp":6,"Seen":5}],
  "Stamp":0,"Seen":0,"ConflictID":"","CheckIn":{"ScheduleID":"","Channel":"","Outcome":"","Note":""}},
  {"ID":"m2","HouseholdID":"h1","Kind":2,"RecordID":"r9","Section":"","Writes":null,"Stamp":7,"Seen":0,"ConflictID":"",
  "CheckIn":{"ScheduleID":"","Channel":"","Outcome":"","Note":""}}],
 "Rejected":[{"MutationID":"m0","Outcome":4,"Reason":2,"Detail":"a new record needs a valid section"}]}`

// TestStateSavedBeforeTheSharedTypesStillLoads pins the stored form: the replica's state
// lives on phones across app updates, so the move to package change's types must not change
// its JSON.
func TestStateSavedBeforeTheSharedTypesStillLoads(t *testing.T) {
	storage := &MemoryStorage{saved: []byte(savedBeforeSharedTypes)}
	r, err := Open(context.Background(), "ignored", storage, nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Entries("h1"); !reflect.DeepEqual(got, map[string]map[string]string{"r1": {"what": "ruzie over geld"}}) {
		t.Errorf("entries %v: want the queued edit on top of the server's value", got)
	}
	r.mu.Lock()
	outbox := r.st.Outbox
	section := r.st.Households["h1"].Records["r1"].Section
	r.mu.Unlock()
	if len(outbox) != 2 || outbox[0].Kind != change.KindEdit || outbox[1].Kind != change.KindDelete || section != change.SectionDanger {
		t.Errorf("outbox %+v, section %q", outbox, section)
	}
	want := []change.Result{{MutationID: "m0", Outcome: change.OutcomeRejected, Reason: change.ReasonInvalid, Detail: "a new record needs a valid section"}}
	if got := r.Rejected(); !reflect.DeepEqual(got, want) {
		t.Errorf("rejected %+v, want %+v", got, want)
	}
	// Saved again, it is byte for byte what the old types saved.
	if err := r.save(context.Background()); err != nil {
		t.Fatal(err)
	}
	var old bytes.Buffer
	if err := json.Compact(&old, []byte(savedBeforeSharedTypes)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(storage.saved, old.Bytes()) {
		t.Errorf("the stored form changed:\n got %s\nwant %s", storage.saved, old.Bytes())
	}
	again, err := Open(context.Background(), "ignored", storage, nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !reflect.DeepEqual(again.st, r.st) {
		t.Errorf("a save and load changed the state:\n%+v\n%+v", again.st, r.st)
	}
}

// repeatingServer answers every pull with the same household and the same check-ins, as a
// server does for a device that pulls again from an older cursor.
type repeatingServer struct{}

func (repeatingServer) Push(context.Context, []Mutation) ([]change.Result, hlc.Timestamp, error) {
	return nil, 0, nil
}

func (repeatingServer) Pull(context.Context, map[string]int64, int) (*PullPage, error) {
	return &PullPage{Households: []HouseholdChanges{{HouseholdID: "h1", Code: "HH-1", Version: 1, CheckInIDs: []string{"c1", "c2", "c1"}}}}, nil
}

func TestACheckInPulledTwiceIsHeldOnce(t *testing.T) {
	r, err := Open(context.Background(), "phone-1", &MemoryStorage{}, repeatingServer{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.CheckIns("h1"); !reflect.DeepEqual(got, []string{"c1", "c2"}) {
		t.Fatalf("check-ins %v, want each once", got)
	}
	if r.Code("h1") != "HH-1" {
		t.Fatalf("code %q", r.Code("h1"))
	}
}

func TestUniqueInOrder(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
		want []string
	}{
		{"nothing stays nothing", nil, nil},
		{"an empty list is stored as none", []string{}, nil},
		{"ids without repeats are kept as they are", []string{"c2", "c1", "c3"}, []string{"c2", "c1", "c3"}},
		{"a repeat keeps its first place", []string{"c1", "c2", "c1", "c3", "c2"}, []string{"c1", "c2", "c3"}},
		{"one id many times is one id", []string{"c1", "c1", "c1"}, []string{"c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uniqueInOrder(tt.ids); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("uniqueInOrder(%q) = %q, want %q", tt.ids, got, tt.want)
			}
		})
	}
}

// savedWithRepeatedCheckIns is a state as a version that stored every check-in id a pull
// brought saved it, repeats included.
const savedWithRepeatedCheckIns = `{"DeviceID":"phone-1","Clock":0,"Cursors":{"h1":3},
 "Households":{"h1":{"Code":"HH-1","Records":{},"Conflicts":{},"CheckIns":["c1","c2","c1","c3","c2"],"Schedules":null}},
 "Outbox":null,"Rejected":null}`

func TestAStateWithRepeatedCheckInsLoadsEachOnceInOrder(t *testing.T) {
	ctx := context.Background()
	storage := &MemoryStorage{saved: []byte(savedWithRepeatedCheckIns)}
	r, err := Open(ctx, "ignored", storage, repeatingServer{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.CheckIns("h1"), []string{"c1", "c2", "c3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("check-ins after load %v, want %v", got, want)
	}
	// A pull that brings known and repeated ids adds none of them again.
	if _, err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := r.CheckIns("h1"), []string{"c1", "c2", "c3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("check-ins after a pull %v, want %v", got, want)
	}
	// What is saved again holds each id once (read raw: Open would mend it anyway).
	var saved State
	if err := json.Unmarshal(storage.saved, &saved); err != nil {
		t.Fatal(err)
	}
	if got, want := saved.Households["h1"].CheckIns, []string{"c1", "c2", "c3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("check-ins saved %v, want %v", got, want)
	}
}
