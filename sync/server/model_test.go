package server_test

// This file holds what the tests of this package share: a tiny in-memory model of the rows a
// storage engine keeps (what backend/store/storesqlite and storepgx do with State and Changes,
// without SQL), the invariants every push must keep, and builders for mutations.

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
	"github.com/veilig/veilig/sync/merge"
	"github.com/veilig/veilig/sync/server"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// at is the stamp n seconds after t0; 0 stays the zero stamp ("never saw one").
func at(n int) hlc.Timestamp {
	if n == 0 {
		return 0
	}
	return hlc.New(t0.Add(time.Duration(n)*time.Second), 0)
}

// writeKey is the primary key of a stored field write.
type writeKey struct{ record, field, mutation string }

// stored is a storage engine in miniature: the households with their versions, the mutation
// log, plan entry headers, field writes, deletes, conflicts and check-ins. It loads a State the
// way the engines do (loadSyncState) and writes Changes the way they do (writeChanges), so
// that a test can run a sequence of pushes through Plan and read what is stored.
type stored struct {
	versions  map[string]int64
	log       map[string]server.MutationRow
	records   map[string]server.Record
	writes    []server.WriteRow
	deletes   []server.DeleteRow
	conflicts map[string]change.Conflict
	checkIns  map[string]change.CheckIn
}

// newStored returns a store holding households h1 (version 10) and h2 (version 20), so that a
// row stamped with the wrong household's version shows.
func newStored() *stored {
	return &stored{versions: map[string]int64{"h1": 10, "h2": 20}, log: map[string]server.MutationRow{},
		records: map[string]server.Record{}, conflicts: map[string]change.Conflict{}, checkIns: map[string]change.CheckIn{}}
}

// load bumps the households with new mutations and returns what a push of muts needs.
func (s *stored) load(muts []change.Mutation) server.State {
	records, conflicts, mutations := server.Keys(muts)
	st := server.State{Versions: map[string]int64{}, Known: map[string]server.Logged{},
		Records: map[string]server.Record{}, Conflicts: map[string]change.Conflict{}}
	for _, id := range mutations {
		if row, ok := s.log[id]; ok {
			st.Known[id] = server.Logged{MutationID: row.MutationID, Outcome: row.Outcome, Reason: row.Reason,
				Detail: row.Detail, HouseholdID: row.HouseholdID, ProfessionalID: row.ProfessionalID}
		}
	}
	for _, h := range server.PendingHouseholds(muts, st.Known) {
		if v, ok := s.versions[h]; ok {
			s.versions[h] = v + 1
			st.Versions[h] = v + 1
		}
	}
	for _, id := range records {
		if r, ok := s.records[id]; ok {
			st.Records[id] = r
		}
	}
	for _, w := range s.writes {
		if slices.Contains(records, w.RecordID) {
			st.Writes = append(st.Writes, w)
		}
	}
	for _, d := range s.deletes {
		if slices.Contains(records, d.RecordID) {
			st.Deletes = append(st.Deletes, d)
		}
	}
	for id, c := range s.conflicts {
		if slices.Contains(records, c.RecordID) || slices.Contains(conflicts, id) {
			st.Conflicts[id] = c
		}
	}
	return st
}

// write stores a planned push, statement by statement as the engines do, and reports every
// row that an engine would refuse (a duplicate key, an unknown household) or that breaks a
// rule of the package doc.
func (s *stored) write(st server.State, ch server.Changes) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	// A row carries its household's version after the bump, or one of the versions the push
	// spread its rows over (Changes.Versions), which then become the household's.
	version := func(what, household string, v int64) {
		want, ok := st.Versions[household]
		last := max(want, ch.Versions[household])
		if !ok {
			fail("%s is of household %q, which the push does not hold", what, household)
		} else if v < want || v > last {
			fail("%s carries version %d, want its household's %d..%d", what, v, want, last)
		}
	}
	for h, v := range ch.Versions {
		if base, ok := st.Versions[h]; !ok || v <= base {
			fail("household %s is raised to %d from %d", h, v, base)
		}
		s.versions[h] = v
	}
	for _, m := range ch.Mutations {
		if _, dup := s.log[m.MutationID]; dup {
			fail("mutation %s is logged twice", m.MutationID)
		}
		if v, ok := st.Versions[m.HouseholdID]; ok && m.Version != v || !ok && m.Version != 0 {
			fail("log entry %s carries version %d, want %d", m.MutationID, m.Version, v)
		}
		s.log[m.MutationID] = m
	}
	have := map[writeKey]int{}
	stored := len(s.writes) // writes before this push: the only ones Superseded may name
	for i, w := range s.writes {
		have[writeKey{w.RecordID, w.Field, w.MutationID}] = i
	}
	for _, w := range ch.Writes {
		k := writeKey{w.RecordID, w.Field, w.MutationID}
		if _, dup := have[k]; dup {
			fail("write %v is stored twice", k)
			continue
		}
		version("write "+w.MutationID+"/"+w.Field, w.HouseholdID, w.Version)
		have[k] = len(s.writes)
		s.writes = append(s.writes, w)
	}
	for _, c := range ch.Superseded {
		i, ok := have[writeKey{c.RecordID, c.Field, c.MutationID}]
		if !ok || i >= stored || !s.writes[i].Current {
			fail("superseded %s/%s names %s, which is not a stored current write of the field", c.RecordID, c.Field, c.MutationID)
			continue
		}
		s.writes[i].Current = false
	}
	for _, d := range ch.Deletes {
		if slices.ContainsFunc(s.deletes, func(x server.DeleteRow) bool { return x.MutationID == d.MutationID }) {
			fail("delete %s is stored twice", d.MutationID)
			continue
		}
		version("delete "+d.MutationID, d.HouseholdID, d.Version)
		s.deletes = append(s.deletes, d)
	}
	for _, r := range ch.Records {
		version("record "+r.ID, r.HouseholdID, r.Version)
		if old, ok := s.records[r.ID]; ok {
			// ON CONFLICT (id) DO UPDATE changes deleted, version and updated_by only.
			old.Deleted, old.Version, old.UpdatedBy = r.Deleted, r.Version, r.UpdatedBy
			r = old
		}
		s.records[r.ID] = r
	}
	for _, r := range ch.Revived {
		i, ok := have[writeKey{r.RecordID, r.Field, r.MutationID}]
		if !ok || i >= stored || !s.writes[i].Current {
			fail("revived %v is not a stored current write", r.WriteKey)
			continue
		}
		version("revived "+r.MutationID+"/"+r.Field, s.writes[i].HouseholdID, r.Version)
		s.writes[i].Version = r.Version
	}
	// A revived record sends every current field again: none may keep a version from
	// before the push.
	for _, r := range ch.Records {
		if was, ok := st.Records[r.ID]; ok && was.Deleted && !r.Deleted {
			for _, w := range s.writes {
				if w.RecordID == r.ID && w.Current && w.Version < st.Versions[r.HouseholdID] {
					fail("revived record %s keeps field %s at version %d", r.ID, w.Field, w.Version)
				}
			}
		}
	}
	for _, c := range ch.Conflicts {
		version("conflict "+c.ID, c.HouseholdID, c.Version)
		if old, ok := s.conflicts[c.ID]; ok {
			if old.Resolved && !c.Resolved {
				fail("conflict %s was resolved and is open again", c.ID)
			}
			old.OverwrittenBy, old.Resolved, old.Version = c.OverwrittenBy, c.Resolved, c.Version
			c = old
		}
		s.conflicts[c.ID] = c
	}
	for _, c := range ch.CheckIns {
		version("check-in "+c.ID, c.HouseholdID, c.Version)
		if _, dup := s.checkIns[c.ID]; !dup {
			s.checkIns[c.ID] = c
		}
	}
	// Only a mutation this push logs as applied writes rows. (By its log entry, not by its
	// results: a batch may repeat an applied id, and the repetition may be rejected.)
	logged := map[string]change.Outcome{}
	for _, m := range ch.Mutations {
		logged[m.MutationID] = m.Outcome
	}
	wrote := func(id, what string) {
		if o, ok := logged[id]; !ok {
			fail("mutation %s wrote %s but this push does not log it", id, what)
		} else if o == change.OutcomeRejected {
			fail("rejected mutation %s wrote %s", id, what)
		}
	}
	for _, w := range ch.Writes {
		wrote(w.MutationID, "field "+w.Field)
	}
	for _, d := range ch.Deletes {
		wrote(d.MutationID, "a delete")
	}
	for _, c := range ch.CheckIns {
		wrote(c.ID, "a check-in")
	}
	bad = append(bad, spreadFaults(st, ch)...)
	return append(bad, s.agreesWithMerge()...)
}

// agreesWithMerge checks the stored rows against sync/merge's reference: Apply of every stored
// write and delete gives each field's current write, each record's deleted flag and the set of
// conflicts (resolutions aside: the server keeps them as a flag on the conflict row).
func (s *stored) agreesWithMerge() []string {
	var bad []string
	var ws []merge.Write
	for _, w := range s.writes {
		ws = append(ws, merge.Write{MutationID: w.MutationID, Record: w.RecordID, Field: w.Field, Value: w.Value, Stamp: w.Stamp, Device: w.DeviceID, Seen: w.Seen})
	}
	var ds []merge.Delete
	for _, d := range s.deletes {
		ds = append(ds, merge.Delete{MutationID: d.MutationID, Record: d.RecordID, Stamp: d.Stamp, Device: d.DeviceID, Seen: d.Seen})
	}
	want := merge.Apply(ws, ds, nil)
	current := map[[2]string][]string{}
	for _, w := range s.writes {
		if w.Current {
			k := [2]string{w.RecordID, w.Field}
			current[k] = append(current[k], w.MutationID)
		}
	}
	wantConflicts := map[string]merge.Conflict{}
	for id, rs := range want {
		if r, ok := s.records[id]; !ok {
			bad = append(bad, fmt.Sprintf("record %s has writes or deletes but no header", id))
		} else if r.Deleted != rs.Deleted {
			bad = append(bad, fmt.Sprintf("record %s is stored deleted=%v, merge says %v", id, r.Deleted, rs.Deleted))
		}
		for f, fs := range rs.Fields {
			if got := current[[2]string{id, f}]; !slices.Equal(got, []string{fs.MutationID}) {
				bad = append(bad, fmt.Sprintf("field %s/%s has current writes %v, merge's winner is %s", id, f, got, fs.MutationID))
			}
		}
		for _, c := range rs.Conflicts {
			wantConflicts[c.ID()] = c
		}
	}
	for id, c := range s.conflicts {
		mc, ok := wantConflicts[id]
		if !ok {
			bad = append(bad, fmt.Sprintf("conflict %s is stored, merge has none", id))
			continue
		}
		delete(wantConflicts, id)
		got := merge.Conflict{Record: c.RecordID, Field: c.Field, MutationID: c.MutationID, Value: c.Value, Stamp: c.Stamp, Device: c.DeviceID, OverwrittenBy: c.OverwrittenBy}
		if got != mc {
			bad = append(bad, fmt.Sprintf("conflict %s is stored as %+v, merge says %+v", id, got, mc))
		}
		if r := s.records[c.RecordID]; c.HouseholdID != r.HouseholdID {
			bad = append(bad, fmt.Sprintf("conflict %s is of household %s, its record of %s", id, c.HouseholdID, r.HouseholdID))
		}
		if row, ok := s.log[c.MutationID]; ok && c.AuthorID != row.ProfessionalID {
			bad = append(bad, fmt.Sprintf("conflict %s has author %q, its mutation was by %q", id, c.AuthorID, row.ProfessionalID))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(wantConflicts)) {
		bad = append(bad, fmt.Sprintf("merge has conflict %s, which is not stored", id))
	}
	return bad
}

// spreadFaults checks how a push spread its rows over versions: every version from the
// household's bumped one to its last is used, and each holds at most server.VersionBytes of
// what a pull sends (counting a record's header again in each further version its fields
// reach, as a pull sends it along), unless it holds one row alone.
func spreadFaults(st server.State, ch server.Changes) []string {
	type key struct {
		household string
		version   int64
	}
	bytes, rows := map[key]int{}, map[key]int{}
	add := func(h string, v int64, n int) { bytes[key{h, v}] += n; rows[key{h, v}]++ }
	headers := map[string]server.Record{}
	carried := map[[2]any]bool{}
	carry := func(record string, v int64) {
		r := headers[record]
		if r.Version != v && !carried[[2]any{record, v}] {
			carried[[2]any{record, v}] = true
			bytes[key{r.HouseholdID, v}] += server.HeaderBytes(r.ID, r.Section)
		}
	}
	for _, r := range ch.Records {
		headers[r.ID] = r
		add(r.HouseholdID, r.Version, server.HeaderBytes(r.ID, r.Section))
	}
	for _, w := range ch.Writes {
		if w.Current {
			add(w.HouseholdID, w.Version, server.FieldBytes(w.Field, w.Value, w.DeviceID))
			carry(w.RecordID, w.Version)
		}
	}
	for _, r := range ch.Revived {
		h := headers[r.RecordID].HouseholdID
		for _, w := range st.Writes {
			if w.RecordID == r.RecordID && w.Field == r.Field && w.MutationID == r.MutationID {
				add(h, r.Version, server.FieldBytes(w.Field, w.Value, w.DeviceID))
			}
		}
		carry(r.RecordID, r.Version)
	}
	for _, c := range ch.Conflicts {
		add(c.HouseholdID, c.Version, server.ConflictBytes(c))
	}
	for _, c := range ch.CheckIns {
		add(c.HouseholdID, c.Version, server.CheckInBytes(c))
	}
	var bad []string
	for k, n := range bytes {
		if n > server.VersionBytes && rows[k] > 1 {
			bad = append(bad, fmt.Sprintf("version %d of %s sends %d bytes in %d rows", k.version, k.household, n, rows[k]))
		}
	}
	for h, base := range st.Versions {
		for v := base + 1; v <= ch.Versions[h]; v++ {
			if rows[key{h, v}] == 0 {
				bad = append(bad, fmt.Sprintf("version %d of %s is skipped", v, h))
			}
		}
	}
	return bad
}

// push runs one push through Plan as an engine would, checks that Plan is deterministic and
// that the rows it returns keep the invariants, and returns its Changes.
func (s *stored) push(t testing.TB, muts []change.Mutation) server.Changes {
	t.Helper()
	st := s.load(muts)
	ch := server.Plan(st, muts)
	if again := server.Plan(st, muts); !reflect.DeepEqual(ch, again) {
		t.Fatalf("Plan is not deterministic:\n%+v\n%+v", ch, again)
	}
	// An engine reads rows in no particular order: the order must not matter.
	reordered := st
	reordered.Writes, reordered.Deletes = slices.Clone(st.Writes), slices.Clone(st.Deletes)
	slices.Reverse(reordered.Writes)
	slices.Reverse(reordered.Deletes)
	if other := server.Plan(reordered, muts); !reflect.DeepEqual(ch, other) {
		t.Fatalf("Plan depends on the order of the loaded rows:\n%+v\n%+v", ch, other)
	}
	if len(ch.Results) != len(muts) {
		t.Fatalf("%d results for %d mutations", len(ch.Results), len(muts))
	}
	for i, r := range ch.Results {
		if r.MutationID != muts[i].ID {
			t.Fatalf("result %d is of mutation %s, want %s", i, r.MutationID, muts[i].ID)
		}
	}
	if bad := s.write(st, ch); len(bad) > 0 {
		t.Fatalf("push %v:\n  %s", ids(muts), strings.Join(bad, "\n  "))
	}
	return ch
}

func ids(muts []change.Mutation) []string {
	out := make([]string, len(muts))
	for i, m := range muts {
		out[i] = m.ID
	}
	return out
}

// current is the stored value of every field: "record/field" → value.
func (s *stored) current() map[string]string {
	out := map[string]string{}
	for _, w := range s.writes {
		if w.Current {
			out[w.RecordID+"/"+w.Field] = w.Value
		}
	}
	return out
}

// Builders. Devices are "a", "b", "c"; a mutation of device d is by professional "pro-"+d.

// fw is a field write with stamps in seconds after t0.
func fw(field, value string, stamp, seen int) change.FieldWrite {
	return change.FieldWrite{Field: field, Value: value, Stamp: at(stamp), Seen: at(seen)}
}

// edit is an edit of a record of household h1 by device d; section "" names none.
func edit(id, d, record string, section change.Section, writes ...change.FieldWrite) change.Mutation {
	return change.Mutation{ID: id, HouseholdID: "h1", DeviceID: d, ProfessionalID: "pro-" + d, Kind: change.KindEdit,
		RecordID: record, Section: section, Writes: writes}
}

// del is a delete of a record of household h1 by device d.
func del(id, d, record string, stamp, seen int) change.Mutation {
	return change.Mutation{ID: id, HouseholdID: "h1", DeviceID: d, ProfessionalID: "pro-" + d, Kind: change.KindDelete,
		RecordID: record, Stamp: at(stamp), Seen: at(seen)}
}

// resolve marks a conflict of household h1 handled.
func resolve(id, d, conflict string) change.Mutation {
	return change.Mutation{ID: id, HouseholdID: "h1", DeviceID: d, ProfessionalID: "pro-" + d, Kind: change.KindResolve, ConflictID: conflict}
}

// checkIn is a home visit of household h1 found safe.
func checkIn(id, d string, stamp int) change.Mutation {
	return change.Mutation{ID: id, HouseholdID: "h1", DeviceID: d, ProfessionalID: "pro-" + d, Kind: change.KindCheckIn, Stamp: at(stamp),
		CheckIn: change.CheckIn{Channel: "home_visit", Outcome: "safe", RecordedBy: "pro-" + d, RecordedAt: t0}}
}

// in moves a mutation to another household.
func in(household string, m change.Mutation) change.Mutation {
	m.HouseholdID = household
	return m
}

// outcomes renders results as "id applied", "id rejected not_found" and so on.
func outcomes(rs []change.Result) []string {
	names := map[change.Outcome]string{change.OutcomeApplied: "applied", change.OutcomeMerged: "merged",
		change.OutcomeConflictRecorded: "conflict_recorded", change.OutcomeRejected: "rejected"}
	reasons := map[change.Reason]string{change.ReasonForbidden: " forbidden", change.ReasonInvalid: " invalid", change.ReasonNotFound: " not_found",
		change.ReasonIDInUse: " id_in_use"}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.MutationID + " " + names[r.Outcome] + reasons[r.Reason]
		if names[r.Outcome] == "" {
			out[i] = fmt.Sprintf("%s outcome %d", r.MutationID, r.Outcome)
		}
	}
	return out
}
