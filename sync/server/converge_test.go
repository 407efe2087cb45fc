package server_test

// Convergence of the server half: the same mutations, pushed in different orders, batches
// and with re-sends, leave the same current values, deleted flags, conflicts and check-ins in
// storage. Each push of each order also runs the checks of stored.push (determinism, versions,
// agreement with sync/merge's Apply).

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/veilig/veilig/sync/change"
)

// fuzzRecords are the plan entries the fuzz edits, two per household. The first push of every
// order creates them (seedBatch): a mutation that names a record before it exists is rejected,
// and which mutations are rejected must not depend on the order for the sets to compare.
var fuzzRecords = []struct {
	id, household string
	section       change.Section
}{
	{"r0", "h1", change.SectionDanger}, {"r1", "h1", change.SectionAgreement},
	{"r2", "h2", change.SectionNetworkPerson}, {"r3", "h2", change.SectionReview},
}

var seedBatch = func() []change.Mutation {
	var out []change.Mutation
	for _, r := range fuzzRecords {
		out = append(out, change.Mutation{ID: "seed-" + r.id, HouseholdID: r.household, DeviceID: "s", ProfessionalID: "pro-s",
			Kind: change.KindEdit, RecordID: r.id, Section: r.section, Writes: []change.FieldWrite{fw("f0", "seed", 1, 0)}})
	}
	return out
}()

// decodeMutations turns fuzz input into mutations with unique ids, four bytes each:
//
//	b0 % 10: edit (0-5), delete (6-7), resolve (8), check-in (9);
//	b0 / 10: no fault (0-19), another household (20), an unknown household (21),
//	  a second write, perhaps of the same field (22, 23), an invalid mutation (24, 25);
//	b1: record (% 4) and device (/ 4 % 3);
//	b2: field (% 3) and whether an edit names its section (/ 3 % 2);
//	b3: stamp (2 + b3 % 12, after the seed's 1) and seen (b3 / 12, at most the stamp); a
//	  resolve names the conflict of the mutation b3 % n (of its field, in its household) or,
//	  when b3 % 5 == 0, that of the seed write of its record.
func decodeMutations(data []byte) []change.Mutation {
	n := min(len(data)/4, 40)
	var out []change.Mutation
	for i := range n {
		b0, b1, b2, b3 := data[4*i], data[4*i+1], data[4*i+2], data[4*i+3]
		rec := fuzzRecords[b1%4]
		d := string(rune('a' + b1/4%3))
		field := fmt.Sprintf("f%d", b2%3)
		stamp := 2 + int(b3%12)
		seen := int(b3/12) % (stamp + 1)
		m := change.Mutation{ID: fmt.Sprintf("m%d", i), HouseholdID: rec.household, DeviceID: d, ProfessionalID: "pro-" + d, RecordID: rec.id}
		switch b0 % 10 {
		case 0, 1, 2, 3, 4, 5:
			m.Kind = change.KindEdit
			if b2/3%2 == 0 {
				m.Section = rec.section
			}
			m.Writes = []change.FieldWrite{fw(field, fmt.Sprintf("v%d", i), stamp, seen)}
		case 6, 7:
			m.Kind, m.Stamp, m.Seen = change.KindDelete, at(stamp), at(seen)
		case 8:
			m.Kind, m.RecordID = change.KindResolve, ""
			m.ConflictID = "seed-" + rec.id + "/f0" // see below
		case 9:
			m.Kind, m.RecordID, m.Stamp = change.KindCheckIn, "", at(stamp)
			m.CheckIn = change.CheckIn{Channel: "home_visit", Outcome: "safe", RecordedBy: m.ProfessionalID, RecordedAt: t0}
		}
		switch b0 / 10 {
		case 20:
			m.HouseholdID = map[string]string{"h1": "h2", "h2": "h1"}[m.HouseholdID]
		case 21:
			m.HouseholdID = "h9"
		case 22, 23:
			if m.Kind == change.KindEdit {
				m.Writes = append(m.Writes, fw(fmt.Sprintf("f%d", (int(b2)+int(b3))%3), fmt.Sprintf("w%d", i), stamp, seen))
			} else if m.Kind == change.KindDelete {
				m.Seen = m.Stamp + 1
			}
		case 24, 25:
			switch {
			case m.Kind == change.KindEdit && b3%2 == 0:
				m.Section = change.SectionCrisisContact // no fuzz record is in this section
			case m.Kind == change.KindEdit:
				m.Writes[0].Stamp, m.Writes[0].Seen = 0, 0
			case m.Kind == change.KindDelete:
				m.Stamp, m.Seen = 0, 0
			default:
				m.Kind = 7
			}
		}
		out = append(out, m)
	}
	// A resolve names a write of any mutation of the input, earlier or later.
	for i, m := range out {
		b3 := data[4*i+3]
		if m.Kind != change.KindResolve || b3%5 == 0 {
			continue
		}
		if target := out[int(b3)%n]; len(target.Writes) > 0 {
			if out[i].HouseholdID == fuzzRecords[data[4*i+1]%4].household { // no household fault
				out[i].HouseholdID = target.HouseholdID
			}
			out[i].ConflictID = target.ID + "/" + target.Writes[0].Field
		}
	}
	return out
}

// batches delivers muts as a phone fleet might: every mutation at least once, some re-sent
// (a lost answer), in a random order, cut into pushes of one to six.
func batches(rng *rand.Rand, muts []change.Mutation) [][]change.Mutation {
	all := slices.Clone(muts)
	for range rng.IntN(len(muts)/2 + 1) {
		all = append(all, muts[rng.IntN(len(muts))])
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	var out [][]change.Mutation
	for len(all) > 0 {
		n := min(1+rng.IntN(6), len(all))
		out = append(out, all[:n])
		all = all[n:]
	}
	return out
}

// outcome is what must agree between orders, read from a store.
type outcome struct {
	Current   map[string]string // record/field → mutation id: value
	Deleted   map[string]bool
	Conflicts map[string]string // id → what the conflict says, resolution aside
	CheckIns  []string
	Logged    []string
	Rejected  map[string]change.Reason // rejections other than of resolves
}

func outcomeOf(s *stored, muts []change.Mutation) outcome {
	o := outcome{Current: map[string]string{}, Deleted: map[string]bool{}, Conflicts: map[string]string{}, Rejected: map[string]change.Reason{}}
	for _, w := range s.writes {
		if w.Current {
			o.Current[w.RecordID+"/"+w.Field] = w.MutationID + ": " + w.Value
		}
	}
	for id, r := range s.records {
		o.Deleted[id] = r.Deleted
	}
	for id, c := range s.conflicts {
		// Whether a resolve found its conflict depends on the order (a resolve that arrives
		// before its conflict is rejected; a phone only resolves conflicts it has pulled),
		// so the flag is left out.
		o.Conflicts[id] = fmt.Sprintf("%s %s/%s %q %v %s by %s, overwritten by %s", c.HouseholdID, c.RecordID, c.Field, c.Value, c.Stamp, c.DeviceID, c.AuthorID, c.OverwrittenBy)
	}
	o.CheckIns = slices.Sorted(maps.Keys(s.checkIns))
	o.Logged = slices.Sorted(maps.Keys(s.log))
	kinds := map[string]change.Kind{}
	for _, m := range muts {
		kinds[m.ID] = m.Kind
	}
	for id, row := range s.log {
		if row.Outcome == change.OutcomeRejected && kinds[id] != change.KindResolve {
			o.Rejected[id] = row.Reason
		}
	}
	return o
}

// checkConvergence pushes muts in one batch and in two random deliveries and compares what
// is stored.
func checkConvergence(t *testing.T, muts []change.Mutation, order uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(order, order^0x5eed))
	deliveries := [][][]change.Mutation{{muts}, batches(rng, muts), batches(rng, muts)}
	var first outcome
	for i, pushes := range deliveries {
		s := newStored()
		s.push(t, seedBatch)
		for _, p := range pushes {
			s.push(t, p)
		}
		o := outcomeOf(s, muts)
		if i == 0 {
			first = o
			continue
		}
		if !reflect.DeepEqual(o, first) {
			t.Fatalf("delivery %d diverges from one batch\nmutations %+v\npushes %v\n got %+v\nwant %+v", i, muts, pushIDs(pushes), o, first)
		}
	}
}

func pushIDs(pushes [][]change.Mutation) [][]string {
	out := make([][]string, len(pushes))
	for i, p := range pushes {
		out[i] = ids(p)
	}
	return out
}

// TestPlanConvergesOnRandomBatches runs the property of FuzzPlanConverges on a fixed set of
// random inputs, so that plain `go test` covers more than the seed corpus.
func TestPlanConvergesOnRandomBatches(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0xc0ffee))
		data := make([]byte, 4*(1+rng.IntN(30)))
		for i := range data {
			data[i] = byte(rng.UintN(256))
		}
		muts := decodeMutations(data)
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkConvergence(t, muts, seed) })
	}
}

// FuzzPlanConverges decodes the input into mutations over four records, three fields and
// three devices (see decodeMutations) and checks that pushing them in one batch and in two
// random deliveries (the order seed) stores the same state.
func FuzzPlanConverges(f *testing.F) {
	// Concurrent edits of one field by three devices.
	f.Add([]byte{0, 0, 0, 2, 1, 4, 0, 3, 2, 8, 0, 4}, uint64(1))
	// An edit, a delete that had not seen it, and an edit that saw the delete.
	f.Add([]byte{0, 1, 1, 3, 6, 5, 0, 4, 1, 9, 1, 29}, uint64(2))
	// A conflict, its resolve and a later, better overwriter.
	f.Add([]byte{0, 0, 0, 2, 0, 8, 0, 30, 8, 0, 0, 1, 0, 4, 0, 5}, uint64(3))
	// Faults: another household, an unknown one, a field written twice, invalid mutations.
	f.Add([]byte{200, 0, 0, 5, 210, 1, 1, 6, 220, 2, 2, 2, 240, 3, 0, 4, 246, 3, 0, 4, 249, 0, 0, 0}, uint64(4))
	f.Add([]byte("check-ins are facts, deletes lose to edits"), uint64(5))
	f.Fuzz(func(t *testing.T, data []byte, order uint64) {
		muts := decodeMutations(data)
		if len(muts) == 0 {
			return
		}
		checkConvergence(t, muts, order)
	})
}
