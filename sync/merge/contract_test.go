package merge

// These tests hold the merge to the sync contract (docs: /work/shared/architecture.md, "The
// sync contract"). They keep their own helpers, so that they do not depend on the helpers of
// merge_test.go and can be read on their own.

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/sync/hlc"
)

var contractT0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// cst is the stamp n seconds after contractT0; 0 stays the zero stamp ("never saw one").
func cst(n int) hlc.Timestamp {
	if n == 0 {
		return 0
	}
	return hlc.New(contractT0.Add(time.Duration(n)*time.Second), 0)
}

// cop is one edit as it travels: a write, a delete or a resolve.
type cop struct {
	w *Write
	d *Delete
	x *Resolve
}

func (o cop) addTo(r *Replica) {
	switch {
	case o.w != nil:
		r.Add(*o.w)
	case o.d != nil:
		r.AddDelete(*o.d)
	default:
		r.AddResolve(*o.x)
	}
}

func (o cop) String() string {
	switch {
	case o.w != nil:
		return fmt.Sprintf("W%+v", *o.w)
	case o.d != nil:
		return fmt.Sprintf("D%+v", *o.d)
	default:
		return fmt.Sprintf("R%+v", *o.x)
	}
}

// applyOps is Apply of a multiset of ops.
func applyOps(ops []cop) map[string]*RecordState {
	var ws []Write
	var ds []Delete
	var xs []Resolve
	for _, o := range ops {
		switch {
		case o.w != nil:
			ws = append(ws, *o.w)
		case o.d != nil:
			ds = append(ds, *o.d)
		default:
			xs = append(xs, *o.x)
		}
	}
	return normalize(Apply(ws, ds, xs))
}

func opsOf(ws []Write, ds []Delete, xs []Resolve) []cop {
	var ops []cop
	for i := range ws {
		ops = append(ops, cop{w: &ws[i]})
	}
	for i := range ds {
		ops = append(ops, cop{d: &ds[i]})
	}
	for i := range xs {
		ops = append(ops, cop{x: &xs[i]})
	}
	return ops
}

// replicaState reads every record of a replica.
func replicaState(r *Replica) map[string]*RecordState {
	out := map[string]*RecordState{}
	ids := r.Records()
	if !slices.IsSorted(ids) {
		panic(fmt.Sprintf("Records() not sorted: %v", ids))
	}
	for _, id := range ids {
		out[id] = r.State(id)
	}
	return normalize(out)
}

// normalize maps the representations that mean the same state (nil or empty maps and
// slices) to one, so that DeepEqual compares meaning only.
func normalize(m map[string]*RecordState) map[string]*RecordState {
	for _, st := range m {
		if st.Fields == nil {
			st.Fields = map[string]FieldState{}
		}
		if len(st.Conflicts) == 0 {
			st.Conflicts = nil
		}
	}
	return m
}

func show(m map[string]*RecordState) string {
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(m)) {
		st := m[id]
		fmt.Fprintf(&b, "\n  %s deleted=%v", id, st.Deleted)
		for _, f := range slices.Sorted(maps.Keys(st.Fields)) {
			v := st.Fields[f]
			fmt.Fprintf(&b, "\n    %s=%q (%v %s %s)", f, v.Value, v.Stamp, v.Device, v.MutationID)
		}
		for _, c := range st.Conflicts {
			fmt.Fprintf(&b, "\n    conflict %s/%s=%q (%v %s) by %s", c.MutationID, c.Field, c.Value, c.Stamp, c.Device, c.OverwrittenBy)
		}
	}
	return b.String()
}

// permutations calls f with every order of ops (ops must be short).
func permutations(ops []cop, f func([]cop)) {
	var rec func(k int)
	rec = func(k int) {
		if k == len(ops) {
			f(ops)
			return
		}
		for i := k; i < len(ops); i++ {
			ops[k], ops[i] = ops[i], ops[k]
			rec(k + 1)
			ops[k], ops[i] = ops[i], ops[k]
		}
	}
	rec(0)
}

func TestContractRules(t *testing.T) {
	// w is a write to record "r"; stamps and seen are in seconds after contractT0.
	w := func(mut, field, value string, stamp, seen int, device string) Write {
		return Write{MutationID: mut, Record: "r", Field: field, Value: value, Stamp: cst(stamp), Device: device, Seen: cst(seen)}
	}
	del := func(mut string, stamp, seen int, device string) Delete {
		return Delete{MutationID: mut, Record: "r", Stamp: cst(stamp), Device: device, Seen: cst(seen)}
	}
	res := func(mut, conflictMutation, field string) Resolve {
		return Resolve{MutationID: mut, ConflictID: Conflict{MutationID: conflictMutation, Field: field}.ID()}
	}
	tests := []struct {
		name     string
		writes   []Write
		deletes  []Delete
		resolves []Resolve
		// want: the value of each field, "deleted" when the record is deleted, and every
		// unresolved conflict as "mutation/field=value>winner".
		values    map[string]string
		deleted   bool
		conflicts []string
	}{
		{
			name:   "sequential edits: the later wins, no conflict",
			writes: []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "phone", "0622", 2, 1, "b"), w("m3", "phone", "0633", 3, 2, "a")},
			values: map[string]string{"phone": "0633"},
		},
		{
			name:      "concurrent edits: the later wins and the loser is kept with its overwriter",
			writes:    []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "phone", "0622", 2, 0, "b")},
			values:    map[string]string{"phone": "0622"},
			conflicts: []string{"m1/phone=0611>m2"},
		},
		{
			name:      "concurrent edits on top of a common value",
			writes:    []Write{w("m0", "phone", "0600", 1, 0, "a"), w("m1", "phone", "0611", 2, 1, "a"), w("m2", "phone", "0622", 3, 1, "b")},
			values:    map[string]string{"phone": "0622"},
			conflicts: []string{"m1/phone=0611>m2"},
		},
		{
			name:      "equal stamps: the higher device id wins",
			writes:    []Write{w("m1", "phone", "from z", 1, 0, "z"), w("m2", "phone", "from a", 1, 0, "a")},
			values:    map[string]string{"phone": "from z"},
			conflicts: []string{"m2/phone=from a>m1"},
		},
		{
			name:      "equal stamps and device: the mutation id makes the order total",
			writes:    []Write{w("m2", "phone", "second", 1, 0, "a"), w("m1", "phone", "first", 1, 0, "a")},
			values:    map[string]string{"phone": "second"},
			conflicts: []string{"m1/phone=first>m2"},
		},
		{
			name: "two unseen overwriters: the one with the lowest Seen is named",
			writes: []Write{w("m1", "phone", "0611", 2, 0, "a"), w("m2", "phone", "0622", 3, 1, "b"),
				w("m3", "phone", "0633", 4, 0, "c"), w("m0", "phone", "0600", 1, 0, "d")},
			values: map[string]string{"phone": "0633"},
			// m0 was seen by m2 (Seen 1) only: of m1 and m3, which had not, the lower (m1) is named.
			conflicts: []string{"m0/phone=0600>m1", "m1/phone=0611>m3", "m2/phone=0622>m3"},
		},
		{
			name:   "fields merge independently",
			writes: []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "name", "Oma", 2, 0, "b")},
			values: map[string]string{"phone": "0611", "name": "Oma"},
		},
		{
			name:    "edit beats a concurrent delete",
			writes:  []Write{w("m1", "name", "Oma", 1, 0, "a"), w("m3", "name", "Opa", 3, 1, "a")},
			deletes: []Delete{del("d1", 4, 1, "b")},
			values:  map[string]string{"name": "Opa"},
		},
		{
			name:    "edit beats a concurrent delete even when the delete has the later stamp",
			writes:  []Write{w("m1", "name", "Oma", 1, 0, "a"), w("m2", "phone", "0622", 5, 0, "a")},
			deletes: []Delete{del("d1", 9, 1, "b")},
			values:  map[string]string{"name": "Oma", "phone": "0622"},
		},
		{
			name:    "a delete that saw every edit deletes",
			writes:  []Write{w("m1", "name", "Oma", 1, 0, "a"), w("m2", "phone", "0622", 2, 0, "b")},
			deletes: []Delete{del("d1", 3, 2, "c")},
			values:  map[string]string{"name": "Oma", "phone": "0622"},
			deleted: true,
		},
		{
			name:    "one of two deletes saw everything: deleted",
			writes:  []Write{w("m1", "name", "Oma", 1, 0, "a"), w("m2", "name", "Opa", 3, 1, "b")},
			deletes: []Delete{del("d1", 2, 1, "c"), del("d2", 4, 3, "c")},
			values:  map[string]string{"name": "Opa"},
			deleted: true,
		},
		{
			name:    "a delete of a record nobody wrote deletes it",
			deletes: []Delete{del("d1", 3, 0, "c")},
			values:  map[string]string{},
			deleted: true,
		},
		{
			name:    "an edit made after seeing the delete revives the record with all its fields",
			writes:  []Write{w("m1", "name", "Oma", 1, 0, "a"), w("m2", "phone", "0611", 1, 0, "a"), w("m3", "name", "Oma Truus", 4, 1, "c")},
			deletes: []Delete{del("d1", 2, 1, "b")},
			values:  map[string]string{"name": "Oma Truus", "phone": "0611"},
		},
		{
			name:     "a resolve hides its conflict and nothing else",
			writes:   []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "phone", "0622", 2, 0, "b"), w("m3", "name", "x", 1, 0, "a"), w("m4", "name", "y", 2, 0, "b")},
			resolves: []Resolve{res("x1", "m1", "phone")},
			values:   map[string]string{"phone": "0622", "name": "y"},
			// The resolve names the phone conflict; the name conflict stays.
			conflicts: []string{"m3/name=x>m4"},
		},
		{
			name:     "resolves are idempotent: a repeat and a second resolve of one conflict",
			writes:   []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "phone", "0622", 2, 0, "b")},
			resolves: []Resolve{res("x1", "m1", "phone"), res("x1", "m1", "phone"), res("x2", "m1", "phone")},
			values:   map[string]string{"phone": "0622"},
		},
		{
			name:      "a resolve naming the same mutation but another field leaves the conflict",
			writes:    []Write{w("m1", "phone", "0611", 1, 0, "a"), w("m2", "phone", "0622", 2, 0, "b")},
			resolves:  []Resolve{res("x1", "m1", "name")},
			values:    map[string]string{"phone": "0622"},
			conflicts: []string{"m1/phone=0611>m2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(how string, st *RecordState) {
				t.Helper()
				if st == nil {
					t.Fatalf("%s: no state for the record", how)
				}
				got := map[string]string{}
				for f, v := range st.Fields {
					got[f] = v.Value
				}
				var conflicts []string
				for _, c := range st.Conflicts {
					conflicts = append(conflicts, fmt.Sprintf("%s/%s=%s>%s", c.MutationID, c.Field, c.Value, c.OverwrittenBy))
				}
				if !reflect.DeepEqual(got, tt.values) || st.Deleted != tt.deleted || !slices.Equal(conflicts, tt.conflicts) {
					t.Fatalf("%s:\n got values %v deleted %v conflicts %q\nwant values %v deleted %v conflicts %q",
						how, got, st.Deleted, conflicts, tt.values, tt.deleted, tt.conflicts)
				}
			}
			want := Apply(tt.writes, tt.deletes, tt.resolves)
			if len(want) != 1 {
				t.Fatalf("Apply returned records %v, want only r", slices.Sorted(maps.Keys(want)))
			}
			check("Apply", want["r"])
			// Every arrival order must give the same answer.
			ops := opsOf(tt.writes, tt.deletes, tt.resolves)
			n := 0
			permutations(ops, func(order []cop) {
				r := NewReplica()
				for _, o := range order {
					o.addTo(r)
				}
				n++
				check(fmt.Sprintf("Replica, order %d %v", n, order), r.State("r"))
			})
		})
	}
}

// TestAddReportsItsConflicts pins down what Add returns: both directions of a new conflict,
// nothing for a duplicate or a sequential edit, nothing for a conflict resolved in advance.
func TestAddReportsItsConflicts(t *testing.T) {
	w := func(mut, value string, stamp, seen int, device string) Write {
		return Write{MutationID: mut, Record: "r", Field: "phone", Value: value, Stamp: cst(stamp), Device: device, Seen: cst(seen)}
	}
	ids := func(cs []Conflict) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID()+">"+c.OverwrittenBy)
		}
		return out
	}
	type step struct {
		add         Write
		resolve     *Resolve
		applied     bool
		wantCreated []string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"the new write lost to a write that had not seen it", []step{
			{add: w("m2", "0622", 2, 0, "b"), applied: true},
			{add: w("m1", "0611", 1, 0, "a"), applied: true, wantCreated: []string{"m1/phone>m2"}},
		}},
		{"the new write overwrote writes it had not seen", []step{
			{add: w("m1", "0611", 1, 0, "a"), applied: true},
			{add: w("m2", "0622", 2, 1, "b"), applied: true},
			{add: w("m3", "0633", 3, 0, "c"), applied: true, wantCreated: []string{"m1/phone>m3", "m2/phone>m3"}},
		}},
		{"a sequential edit creates nothing; a duplicate is not applied", []step{
			{add: w("m1", "0611", 1, 0, "a"), applied: true},
			{add: w("m2", "0622", 2, 1, "b"), applied: true},
			{add: w("m2", "0622", 2, 1, "b"), applied: false},
			{add: w("m1", "0611", 1, 0, "a"), applied: false},
		}},
		{"a conflict resolved before it exists is never reported", []step{
			{resolve: &Resolve{MutationID: "x1", ConflictID: "m1/phone"}},
			{add: w("m1", "0611", 1, 0, "a"), applied: true},
			{add: w("m2", "0622", 2, 0, "b"), applied: true},
		}},
		{"a later, better overwriter does not report the conflict again", []step{
			{add: w("m1", "0611", 1, 0, "a"), applied: true},
			{add: w("m3", "0633", 3, 0, "c"), applied: true, wantCreated: []string{"m1/phone>m3"}},
			{add: w("m2", "0622", 2, 0, "b"), applied: true, wantCreated: []string{"m2/phone>m3"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReplica()
			for i, s := range tt.steps {
				if s.resolve != nil {
					if !r.AddResolve(*s.resolve) {
						t.Fatalf("step %d: resolve not applied", i)
					}
					continue
				}
				applied, created := r.Add(s.add)
				if applied != s.applied || !slices.Equal(ids(created), s.wantCreated) {
					t.Fatalf("step %d: Add(%s) = %v, %q; want %v, %q", i, s.add.MutationID, applied, ids(created), s.applied, s.wantCreated)
				}
			}
		})
	}
}

// TestClampedFutureClockCannotWin joins hlc.Clamp and the merge: a phone whose clock is a year
// ahead wins only until the rest of the world's clocks pass the clamp bound, not for a year.
func TestClampedFutureClockCannotWin(t *testing.T) {
	server := contractT0
	yearAhead := hlc.New(server.AddDate(1, 0, 0), 0)
	stamp, clamped := hlc.Clamp(yearAhead, server, hlc.DefaultMaxSkew)
	if !clamped {
		t.Fatal("a stamp a year ahead was not clamped")
	}
	bad := Write{MutationID: "m-bad", Record: "r", Field: "phone", Value: "from the bad clock", Stamp: stamp, Device: "z-bad"}
	later := server.Add(hlc.DefaultMaxSkew + time.Second)
	good := Write{MutationID: "m-good", Record: "r", Field: "phone", Value: "from a good clock", Stamp: hlc.New(later, 0), Device: "a-good"}
	st := Apply([]Write{bad, good}, nil, nil)["r"]
	if st.Fields["phone"].MutationID != "m-good" {
		t.Fatalf("the clamped bad clock still wins: %+v", st.Fields["phone"])
	}
	if len(st.Conflicts) != 1 || st.Conflicts[0].MutationID != "m-bad" {
		t.Fatalf("the overwritten bad-clock value must be kept as a conflict: %+v", st.Conflicts)
	}
}

// contractEdits draws a random set of edits over tiny id spaces. With collide, different
// writes may share a (MutationID, Field) identity and different deletes or resolves a
// MutationID — a client bug that must still converge.
func contractEdits(rng *rand.Rand, n int, collide bool) []cop {
	mutation := func(i int) string {
		if collide {
			return fmt.Sprintf("m%d", rng.IntN(n/2+1))
		}
		return fmt.Sprintf("m%d", i)
	}
	var ops []cop
	for i := range n {
		stamp := 1 + rng.IntN(10)
		seen := 0
		if rng.IntN(2) == 0 {
			seen = rng.IntN(stamp + 1)
		}
		rec, dev := fmt.Sprintf("r%d", rng.IntN(3)), fmt.Sprintf("d%d", rng.IntN(3))
		switch k := rng.IntN(10); {
		case k < 7:
			ops = append(ops, cop{w: &Write{MutationID: mutation(i), Record: rec, Field: fmt.Sprintf("f%d", rng.IntN(3)),
				Value: fmt.Sprintf("v%d", i), Stamp: cst(stamp), Device: dev, Seen: cst(seen)}})
		case k < 9:
			ops = append(ops, cop{d: &Delete{MutationID: "d" + mutation(i), Record: rec, Stamp: cst(stamp), Device: dev, Seen: cst(seen)}})
		default:
			ops = append(ops, cop{x: &Resolve{MutationID: "x" + mutation(i), ConflictID: fmt.Sprintf("m%d/f%d", rng.IntN(n), rng.IntN(3))}})
		}
	}
	return ops
}

// deliveries is how a set travels: every op at least once, some twice or more, in a random
// order, cut into random batches that different replicas receive in different orders.
func deliveries(rng *rand.Rand, ops []cop) []cop {
	out := slices.Clone(ops)
	for range rng.IntN(len(ops) + 1) {
		out = append(out, ops[rng.IntN(len(ops))])
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestConvergenceProperty checks the contract's convergence: replicas that received the same
// set, in any order, batches, and with any duplicates, hold Apply of that set — and not only at
// the end: after every single op, a replica holds Apply of what it has received so far.
func TestConvergenceProperty(t *testing.T) {
	for _, collide := range []bool{false, true} {
		for seed := uint64(1); seed <= 300; seed++ {
			rng := rand.New(rand.NewPCG(seed, 0xc0ffee))
			ops := contractEdits(rng, 1+rng.IntN(24), collide)
			want := applyOps(ops)

			// Three replicas (say two phones and the server) each get a random part of the set
			// first, then all of it again in batches of random size and order.
			replicas := []*Replica{NewReplica(), NewReplica(), NewReplica()}
			for i, r := range replicas {
				var got []cop
				first := deliveries(rng, ops)[:rng.IntN(len(ops)+1)]
				rest := deliveries(rng, ops)
				for j, o := range append(first, rest...) {
					o.addTo(r)
					got = append(got, o)
					if j%3 == 0 || j == len(first)+len(rest)-1 {
						if have, ref := replicaState(r), applyOps(got); !reflect.DeepEqual(have, ref) {
							t.Fatalf("collide=%v seed %d replica %d after %d ops: replica diverges from Apply of what it received\nreceived %v\n got %s\nwant %s",
								collide, seed, i, j+1, got, show(have), show(ref))
						}
					}
				}
				if have := replicaState(r); !reflect.DeepEqual(have, want) {
					t.Fatalf("collide=%v seed %d replica %d: final state diverges\n got %s\nwant %s", collide, seed, i, show(have), show(want))
				}
			}
		}
	}
}

// TestAddConflictReports checks, over random sets with unique identities, that Add reports
// exactly the unresolved conflicts that appear because of the write — each once — and that
// conflicts are monotone: a conflict, once there, stays (only a resolve hides it), so the
// server never has to take back a conflict record it has stored.
func TestAddConflictReports(t *testing.T) {
	unresolved := func(r *Replica) map[string]Conflict {
		out := map[string]Conflict{}
		for _, id := range r.Records() {
			for _, c := range r.State(id).Conflicts {
				out[c.ID()] = c
			}
		}
		return out
	}
	for seed := uint64(1); seed <= 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		ops := deliveries(rng, contractEdits(rng, 1+rng.IntN(24), false))
		r := NewReplica()
		reported := map[string]bool{}
		var writes []Write
		allBefore := map[string]bool{}
		for _, o := range ops {
			before := unresolved(r)
			if o.w == nil {
				o.addTo(r)
				continue
			}
			_, created := r.Add(*o.w)
			writes = append(writes, *o.w)
			after := unresolved(r)
			appeared := map[string]Conflict{}
			for id, c := range after {
				if _, ok := before[id]; !ok {
					appeared[id] = c
				}
			}
			got := map[string]Conflict{}
			for _, c := range created {
				if reported[c.ID()] {
					t.Fatalf("seed %d: conflict %s reported twice", seed, c.ID())
				}
				reported[c.ID()] = true
				got[c.ID()] = c
			}
			if !reflect.DeepEqual(got, appeared) {
				t.Fatalf("seed %d: Add(%+v) reported %v, but these appeared: %v", seed, *o.w, got, appeared)
			}
			if !slices.IsSortedFunc(created, compareConflicts) {
				t.Fatalf("seed %d: reported conflicts are not sorted: %v", seed, created)
			}
			all := map[string]bool{}
			for _, st := range Apply(writes, nil, nil) {
				for _, c := range st.Conflicts {
					all[c.ID()] = true
				}
			}
			for id := range allBefore {
				if !all[id] {
					t.Fatalf("seed %d: conflict %s disappeared when %s arrived", seed, id, o.w.MutationID)
				}
			}
			allBefore = all
		}
	}
}

// TestValidateContract: every malformed write is refused with its own reason, and no error
// ever carries the value (values are personal data; errors end up in logs).
func TestValidateContract(t *testing.T) {
	const secret = "Oma Truus 06-12345678"
	good := Write{MutationID: "m", Record: "r", Field: "phone", Value: secret, Stamp: cst(2), Device: "d", Seen: cst(1)}
	if err := good.Validate(); err != nil {
		t.Fatalf("a good write was refused: %v", err)
	}
	if err := (Write{MutationID: "m", Record: "r", Field: "phone", Stamp: cst(2), Seen: cst(2)}).Validate(); err != nil {
		t.Fatalf("Seen == Stamp must be allowed (a write that saw itself is harmless): %v", err)
	}
	tests := []struct {
		name   string
		change func(*Write)
	}{
		{"no mutation id", func(w *Write) { w.MutationID = "" }},
		{"no record", func(w *Write) { w.Record = "" }},
		{"no field", func(w *Write) { w.Field = "" }},
		{"zero stamp", func(w *Write) { w.Stamp, w.Seen = 0, 0 }},
		{"seen after stamp", func(w *Write) { w.Seen = w.Stamp + 1 }},
	}
	reasons := map[string]string{}
	for _, tt := range tests {
		w := good
		tt.change(&w)
		err := w.Validate()
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "12345678") {
			t.Errorf("%s: the error quotes the value: %v", tt.name, err)
		}
		if other, dup := reasons[err.Error()]; dup {
			t.Errorf("%s and %s give the same error %q", tt.name, other, err)
		}
		reasons[err.Error()] = tt.name
	}
}

// FuzzReplicaMatchesApply decodes the input into a set of edits with colliding identities,
// duplicates and an arrival order, and checks the replica against Apply. (FuzzConvergence in
// merge_test.go covers sets with unique identities.)
func FuzzReplicaMatchesApply(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 2, 0})
	f.Add([]byte{0, 1, 1, 5, 0, 1, 9, 5, 7, 1, 1, 3, 9, 0, 1, 0})
	f.Add([]byte{8, 2, 0, 9, 0, 2, 0, 3, 0, 2, 1, 4, 8, 2, 9, 9, 9, 0, 0, 0})
	f.Add([]byte("same mutation id, other content"))
	f.Add([]byte{0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 10, 9, 0, 0, 0, 9, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var ops []cop
		var order []int
		for i := 0; i+4 <= len(data) && len(ops) < 40; i += 4 {
			b0, b1, b2, b3 := data[i], data[i+1], data[i+2], data[i+3]
			mut := fmt.Sprintf("m%d", b1%4) // four ids only: identities collide
			rec, field, dev := fmt.Sprintf("r%d", b1/4%2), fmt.Sprintf("f%d", b2%3), fmt.Sprintf("d%d", b2/3%3)
			stamp := 1 + int(b3%11)
			seen := int(b3/11) % (stamp + 1)
			switch {
			case b0%10 < 7:
				ops = append(ops, cop{w: &Write{MutationID: mut, Record: rec, Field: field, Value: fmt.Sprintf("v%d", b0/10),
					Stamp: cst(stamp), Device: dev, Seen: cst(seen)}})
			case b0%10 < 9:
				ops = append(ops, cop{d: &Delete{MutationID: mut, Record: rec, Stamp: cst(stamp), Device: dev, Seen: cst(seen)}})
			default:
				ops = append(ops, cop{x: &Resolve{MutationID: mut, ConflictID: fmt.Sprintf("m%d/%s", b3%4, field)}})
			}
			order = append(order, int(b0/10)+int(b2)*7)
		}
		if len(ops) == 0 {
			return
		}
		want := applyOps(ops)
		// Arrival: sorted by a key from the input, so the fuzzer controls the order; every op
		// arrives twice, the second round reversed.
		idx := make([]int, len(ops))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return order[a] - order[b] })
		r := NewReplica()
		for _, i := range idx {
			ops[i].addTo(r)
		}
		if got := replicaState(r); !reflect.DeepEqual(got, want) {
			t.Fatalf("replica diverges from Apply\nops %v\n got %s\nwant %s", ops, show(got), show(want))
		}
		for _, i := range slices.Backward(idx) {
			ops[i].addTo(r)
		}
		if got := replicaState(r); !reflect.DeepEqual(got, want) {
			t.Fatalf("replica diverges from Apply after duplicates\n got %s\nwant %s", show(got), show(want))
		}
	})
}
