package merge

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/sync/hlc"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// at is the stamp n seconds after t0.
func at(n int) hlc.Timestamp { return hlc.New(t0.Add(time.Duration(n)*time.Second), 0) }

type edits struct {
	writes   []Write
	deletes  []Delete
	resolves []Resolve
}

func TestRules(t *testing.T) {
	w := func(mut, field, value string, stamp, seen int, device string) Write {
		s := hlc.Timestamp(0)
		if seen > 0 {
			s = at(seen)
		}
		return Write{MutationID: mut, Record: "r", Field: field, Value: value, Stamp: at(stamp), Device: device, Seen: s}
	}
	tests := []struct {
		name      string
		in        edits
		values    map[string]string
		deleted   bool
		conflicts []string // Conflict.ID() + ">" + OverwrittenBy
	}{
		{
			name:   "sequential edits: the later wins, no conflict",
			in:     edits{writes: []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "phone", "0622", 2, 1, "b")}},
			values: map[string]string{"phone": "0622"},
		},
		{
			name:      "concurrent edits: the later wins, the other is kept as a conflict",
			in:        edits{writes: []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "phone", "0622", 2, 0, "b")}},
			values:    map[string]string{"phone": "0622"},
			conflicts: []string{"m1/phone>m2"},
		},
		{
			name:      "a late, older concurrent edit loses and is kept",
			in:        edits{writes: []Write{w("m2", "phone", "0622", 5, 1, "b"), w("m1", "phone", "0611", 1, 0, "a"), w("m3", "phone", "0633", 3, 1, "c")}},
			values:    map[string]string{"phone": "0622"},
			conflicts: []string{"m3/phone>m2"},
		},
		{
			name:      "equal stamps: the device id decides",
			in:        edits{writes: []Write{w("m1", "phone", "from b", 1, 0, "b"), w("m2", "phone", "from a", 1, 0, "a")}},
			values:    map[string]string{"phone": "from b"},
			conflicts: []string{"m2/phone>m1"},
		},
		{
			name:   "different fields of one record merge without conflict",
			in:     edits{writes: []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "name", "Oma", 2, 0, "b")}},
			values: map[string]string{"phone": "0611", "name": "Oma"},
		},
		{
			name: "edit beats a concurrent delete",
			in: edits{writes: []Write{w("m1", "name", "Oma", 1, 0, "a"), w("m3", "name", "Opa", 3, 1, "a")},
				deletes: []Delete{{MutationID: "m2", Record: "r", Stamp: at(2), Device: "b", Seen: at(1)}}},
			values: map[string]string{"name": "Opa"},
		},
		{
			name: "a delete that saw every edit deletes",
			in: edits{writes: []Write{w("m1", "name", "Oma", 1, 0, "a")},
				deletes: []Delete{{MutationID: "m2", Record: "r", Stamp: at(2), Device: "b", Seen: at(1)}}},
			values:  map[string]string{"name": "Oma"},
			deleted: true,
		},
		{
			name: "an edit made after seeing the delete revives the record",
			in: edits{writes: []Write{w("m1", "name", "Oma", 1, 0, "a"), w("m3", "name", "Oma Truus", 4, 1, "c")},
				deletes: []Delete{{MutationID: "m2", Record: "r", Stamp: at(2), Device: "b", Seen: at(1)}}},
			values: map[string]string{"name": "Oma Truus"},
		},
		{
			name: "a resolve hides its conflict",
			in: edits{writes: []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "phone", "0622", 2, 0, "b")},
				resolves: []Resolve{{MutationID: "m9", ConflictID: "m1/phone"}}},
			values: map[string]string{"phone": "0622"},
		},
		{
			name: "a resolve naming an unknown conflict changes nothing",
			in: edits{writes: []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "phone", "0622", 2, 0, "b")},
				resolves: []Resolve{{MutationID: "m9", ConflictID: "m2/phone"}}},
			values:    map[string]string{"phone": "0622"},
			conflicts: []string{"m1/phone>m2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(how string, st *RecordState) {
				t.Helper()
				got := map[string]string{}
				for f, v := range st.Fields {
					got[f] = v.Value
				}
				var conflicts []string
				for _, c := range st.Conflicts {
					conflicts = append(conflicts, c.ID()+">"+c.OverwrittenBy)
				}
				if !reflect.DeepEqual(got, tt.values) || st.Deleted != tt.deleted || !reflect.DeepEqual(conflicts, tt.conflicts) {
					t.Errorf("%s: values %v deleted %v conflicts %v; want %v %v %v", how, got, st.Deleted, conflicts, tt.values, tt.deleted, tt.conflicts)
				}
			}
			check("Apply", Apply(tt.in.writes, tt.in.deletes, tt.in.resolves)["r"])
			// The replica, fed in reverse order to exercise late arrivals.
			r := NewReplica()
			for _, x := range tt.in.resolves {
				r.AddResolve(x)
			}
			for i := len(tt.in.writes) - 1; i >= 0; i-- {
				r.Add(tt.in.writes[i])
			}
			for _, d := range tt.in.deletes {
				r.AddDelete(d)
			}
			check("Replica", r.State("r"))
		})
	}
}

func TestAddReportsCreatedConflictsOnce(t *testing.T) {
	r := NewReplica()
	m1 := Write{MutationID: "m1", Record: "r", Field: "phone", Value: "0611", Stamp: at(1), Device: "a"}
	m2 := Write{MutationID: "m2", Record: "r", Field: "phone", Value: "0622", Stamp: at(2), Device: "b"}
	if applied, created := r.Add(m1); !applied || len(created) != 0 {
		t.Fatalf("first write: %v %v", applied, created)
	}
	applied, created := r.Add(m2)
	if !applied || len(created) != 1 || created[0].MutationID != "m1" || created[0].OverwrittenBy != "m2" {
		t.Fatalf("concurrent overwrite: %v %+v", applied, created)
	}
	if applied, created := r.Add(m2); applied || created != nil {
		t.Fatalf("duplicate: %v %v", applied, created)
	}
	m3 := Write{MutationID: "m3", Record: "r", Field: "phone", Value: "0633", Stamp: at(3), Device: "a", Seen: at(2)}
	if _, created := r.Add(m3); len(created) != 0 {
		t.Fatalf("a sequential edit created conflicts %+v", created)
	}
}

func TestValidate(t *testing.T) {
	good := Write{MutationID: "m", Record: "r", Field: "f", Value: "secret value", Stamp: at(2), Seen: at(1)}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Write{
		{Record: "r", Field: "f", Stamp: at(1)},
		{MutationID: "m", Field: "f", Stamp: at(1)},
		{MutationID: "m", Record: "r", Stamp: at(1)},
		{MutationID: "m", Record: "r", Field: "f"},
		{MutationID: "m", Record: "r", Field: "f", Value: "secret value", Stamp: at(1), Seen: at(2)},
	}
	for _, w := range bad {
		err := w.Validate()
		if err == nil {
			t.Errorf("Validate(%+v) accepted", w)
		} else if w.Value != "" && strings.Contains(err.Error(), w.Value) {
			t.Errorf("error quotes the value: %v", err)
		}
	}
	if err := (Delete{MutationID: "m", Record: "r", Stamp: at(1), Seen: at(2)}).Validate(); err == nil {
		t.Error("a delete that saw its own future was accepted")
	}
}

// randomEdits draws a set over small id spaces, so that fields, records, stamps and devices
// collide often.
func randomEdits(rng *rand.Rand, n int) edits {
	var e edits
	for i := range n {
		stamp := 1 + rng.IntN(12)
		seen := 0
		if rng.IntN(2) == 0 {
			seen = rng.IntN(stamp + 1)
		}
		rec := fmt.Sprintf("r%d", rng.IntN(3))
		mut := fmt.Sprintf("m%d", i)
		switch k := rng.IntN(10); {
		case k < 7:
			e.writes = append(e.writes, Write{MutationID: mut, Record: rec, Field: fmt.Sprintf("f%d", rng.IntN(3)),
				Value: fmt.Sprintf("v%d", i), Stamp: at(stamp), Device: fmt.Sprintf("d%d", rng.IntN(3)), Seen: stampOrZero(seen)})
		case k < 9:
			e.deletes = append(e.deletes, Delete{MutationID: mut, Record: rec, Stamp: at(stamp), Device: fmt.Sprintf("d%d", rng.IntN(3)), Seen: stampOrZero(seen)})
		default:
			e.resolves = append(e.resolves, Resolve{MutationID: mut, ConflictID: fmt.Sprintf("m%d/f%d", rng.IntN(n), rng.IntN(3))})
		}
	}
	return e
}

func stampOrZero(n int) hlc.Timestamp {
	if n == 0 {
		return 0
	}
	return at(n)
}

// feed adds the edits to a replica in a random order, with random duplicates.
func feed(rng *rand.Rand, e edits) *Replica {
	type op func(*Replica)
	var ops []op
	for _, w := range e.writes {
		ops = append(ops, func(r *Replica) { r.Add(w) })
	}
	for _, d := range e.deletes {
		ops = append(ops, func(r *Replica) { r.AddDelete(d) })
	}
	for _, x := range e.resolves {
		ops = append(ops, func(r *Replica) { r.AddResolve(x) })
	}
	for i, n := 0, len(ops); i < n/3; i++ {
		ops = append(ops, ops[rng.IntN(n)])
	}
	rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
	r := NewReplica()
	for _, o := range ops {
		o(r)
	}
	return r
}

func states(r *Replica) map[string]*RecordState {
	out := map[string]*RecordState{}
	for _, id := range r.Records() {
		out[id] = r.State(id)
	}
	return out
}

// TestConvergence is the property of the package: any order and duplication of a set gives
// Apply of the set.
func TestConvergence(t *testing.T) {
	for seed := uint64(1); seed <= 400; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		e := randomEdits(rng, 1+rng.IntN(30))
		want := Apply(e.writes, e.deletes, e.resolves)
		for perm := range 5 {
			if got := states(feed(rng, e)); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d, permutation %d: replica diverges from Apply\n got %s\nwant %s", seed, perm, dump(got), dump(want))
			}
		}
	}
}

func dump(m map[string]*RecordState) string {
	s := ""
	for id, r := range m {
		s += fmt.Sprintf("%s:%+v ", id, *r)
	}
	return s
}

// FuzzConvergence decodes the input into a set of edits and an arrival order.
func FuzzConvergence(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, uint64(1))
	f.Add([]byte{1, 1, 1, 1, 1, 1, 200, 200, 200, 9, 9, 9, 3, 3, 3}, uint64(2))
	f.Add([]byte("concurrent edits of one field"), uint64(3))
	f.Add([]byte{8, 0, 0, 5, 0, 9, 0, 0, 9, 2, 8, 1, 0, 4, 0, 9}, uint64(4))
	f.Fuzz(func(t *testing.T, data []byte, order uint64) {
		var e edits
		for i := 0; i+4 <= len(data) && i < 4*40; i += 4 {
			kind, rec, field, stamp := data[i]%10, fmt.Sprintf("r%d", data[i+1]%3), fmt.Sprintf("f%d", data[i+2]%3), 1+int(data[i+3]%12)
			seen := int(data[i+1]/3) % (stamp + 1)
			mut, dev := fmt.Sprintf("m%d", i/4), fmt.Sprintf("d%d", data[i+2]/3%3)
			switch {
			case kind < 7:
				e.writes = append(e.writes, Write{MutationID: mut, Record: rec, Field: field, Value: mut, Stamp: at(stamp), Device: dev, Seen: stampOrZero(seen)})
			case kind < 9:
				e.deletes = append(e.deletes, Delete{MutationID: mut, Record: rec, Stamp: at(stamp), Device: dev, Seen: stampOrZero(seen)})
			default:
				e.resolves = append(e.resolves, Resolve{MutationID: mut, ConflictID: fmt.Sprintf("m%d/%s", int(data[i+3])%(len(data)/4+1), field)})
			}
		}
		want := Apply(e.writes, e.deletes, e.resolves)
		rng := rand.New(rand.NewPCG(order, order>>32))
		if got := states(feed(rng, e)); !reflect.DeepEqual(got, want) {
			t.Fatalf("replica diverges from Apply\n got %s\nwant %s", dump(got), dump(want))
		}
	})
}
