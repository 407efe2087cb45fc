package merge

import (
	"slices"
	"sort"
)

// Replica merges edits one at a time, as they arrive; the server builds one per push from a
// record's stored writes and deletes (sync/server). Adding any
// permutation of a set of edits, with any duplicates, yields exactly Apply of the set. Work
// per write is proportional to the writes of its one field, not to all writes. A Replica is
// not safe for concurrent use.
type Replica struct {
	writes   map[fieldKey][]Write // per field, in write order
	writeIDs map[writeID]Write
	deletes  map[string]Delete // by mutation id
	resolves map[string]Resolve
	resolved map[string]int // conflict id → number of resolves naming it
	records  map[string]*record
}

type fieldKey struct{ record, field string }

type writeID struct{ mutation, field string }

type record struct {
	fields    map[string]FieldState
	conflicts map[string]Conflict // by conflict id, resolved ones included
	maxStamp  Write               // the highest write of the record, for deletes
	hasWrites bool
	deletes   []Delete
}

// NewReplica returns an empty replica.
func NewReplica() *Replica {
	return &Replica{
		writes: map[fieldKey][]Write{}, writeIDs: map[writeID]Write{}, deletes: map[string]Delete{},
		resolves: map[string]Resolve{}, resolved: map[string]int{}, records: map[string]*record{},
	}
}

func (r *Replica) record(id string) *record {
	rec := r.records[id]
	if rec == nil {
		rec = &record{fields: map[string]FieldState{}, conflicts: map[string]Conflict{}}
		r.records[id] = rec
	}
	return rec
}

// Add merges one write. It reports false for a write already held, and returns the
// unresolved conflicts this write created: the write itself, when it lost to a write that had
// not seen it, or the values it overwrote unseen.
func (r *Replica) Add(w Write) (applied bool, created []Conflict) {
	id := writeID{w.MutationID, w.Field}
	k := fieldKey{w.Record, w.Field}
	if old, ok := r.writeIDs[id]; ok {
		keep := preferWrite(old, w)
		if keep == old {
			return false, nil
		}
		// A different write under a known identity that sorts higher replaces the old one on
		// every replica (see the package doc); rare enough to rebuild the affected fields.
		r.remove(old)
		w = keep
		k = fieldKey{w.Record, w.Field}
	}
	r.writeIDs[id] = w
	list := r.writes[k]
	i, _ := slices.BinarySearchFunc(list, w, compareWrites)
	r.writes[k] = slices.Insert(list, i, w)
	rec := r.record(w.Record)
	if !rec.hasWrites || compareWrites(w, rec.maxStamp) > 0 {
		rec.maxStamp, rec.hasWrites = w, true
	}
	return true, r.refreshField(k)
}

// remove takes a write out (only for a replaced duplicate identity).
func (r *Replica) remove(old Write) {
	k := fieldKey{old.Record, old.Field}
	r.writes[k] = slices.DeleteFunc(r.writes[k], func(x Write) bool { return x == old })
	delete(r.writeIDs, writeID{old.MutationID, old.Field})
	rec := r.record(old.Record)
	rec.hasWrites = false
	for fk, list := range r.writes {
		if fk.record == old.Record && len(list) > 0 {
			top := list[len(list)-1]
			if !rec.hasWrites || compareWrites(top, rec.maxStamp) > 0 {
				rec.maxStamp, rec.hasWrites = top, true
			}
		}
	}
	r.refreshField(k)
	if !rec.hasWrites && len(rec.deletes) == 0 {
		delete(r.records, old.Record)
	}
}

// refreshField recomputes a field's value and conflicts and returns the new, unresolved ones.
// Walking the writes from the highest down while tracking the lowest Seen among the writes
// above gives, for each write, whether some higher write had not seen it.
func (r *Replica) refreshField(k fieldKey) []Conflict {
	rec := r.record(k.record)
	list := r.writes[k]
	if len(list) == 0 {
		delete(rec.fields, k.field)
	} else {
		top := list[len(list)-1]
		rec.fields[k.field] = FieldState{Value: top.Value, Stamp: top.Stamp, Device: top.Device, MutationID: top.MutationID}
	}
	previous := map[string]bool{}
	for id, c := range rec.conflicts {
		if c.Field == k.field {
			previous[id] = true
			delete(rec.conflicts, id)
		}
	}
	var created []Conflict
	var by *Write
	for i := len(list) - 1; i >= 0; i-- {
		w := list[i]
		if by != nil && by.Seen < w.Stamp {
			c := Conflict{Record: w.Record, Field: w.Field, MutationID: w.MutationID, Value: w.Value, Stamp: w.Stamp, Device: w.Device, OverwrittenBy: by.MutationID}
			if !previous[c.ID()] && r.resolved[c.ID()] == 0 {
				created = append(created, c)
			}
			rec.conflicts[c.ID()] = c
		}
		// by tracks the write above with the lowest Seen, lowest in write order on ties; the
		// list runs downward, so a later candidate with equal Seen is lower and replaces it.
		if by == nil || w.Seen <= by.Seen {
			wc := w
			by = &wc
		}
	}
	sort.Slice(created, func(i, j int) bool { return compareConflicts(created[i], created[j]) < 0 })
	return created
}

// AddDelete merges a delete; false for one already held.
func (r *Replica) AddDelete(d Delete) bool {
	if old, ok := r.deletes[d.MutationID]; ok {
		keep := preferDelete(old, d)
		if keep == old {
			return false
		}
		rec := r.record(old.Record)
		rec.deletes = slices.DeleteFunc(rec.deletes, func(x Delete) bool { return x == old })
		if !rec.hasWrites && len(rec.deletes) == 0 {
			delete(r.records, old.Record)
		}
		d = keep
	}
	r.deletes[d.MutationID] = d
	rec := r.record(d.Record)
	rec.deletes = append(rec.deletes, d)
	return true
}

// AddResolve merges a resolution; false for one already held.
func (r *Replica) AddResolve(x Resolve) bool {
	if old, ok := r.resolves[x.MutationID]; ok {
		keep := preferResolve(old, x)
		if keep == old {
			return false
		}
		r.resolved[old.ConflictID]--
		x = keep
	}
	r.resolves[x.MutationID] = x
	r.resolved[x.ConflictID]++
	return true
}

// Deleted reports whether a record is deleted under the delete rule.
func (rec *record) deleted() bool {
	for _, d := range rec.deletes {
		if !rec.hasWrites || rec.maxStamp.Stamp <= d.Seen {
			return true
		}
	}
	return false
}

// State returns the merged state of a record, or nil when the replica knows nothing of it.
func (r *Replica) State(id string) *RecordState {
	rec := r.records[id]
	if rec == nil {
		return nil
	}
	st := &RecordState{ID: id, Fields: make(map[string]FieldState, len(rec.fields)), Deleted: rec.deleted()}
	for f, v := range rec.fields {
		st.Fields[f] = v
	}
	for cid, c := range rec.conflicts {
		if r.resolved[cid] == 0 {
			st.Conflicts = append(st.Conflicts, c)
		}
	}
	slices.SortFunc(st.Conflicts, compareConflicts)
	return st
}

// Records lists the ids of every record the replica knows, sorted.
func (r *Replica) Records() []string {
	ids := make([]string, 0, len(r.records))
	for id := range r.records {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
