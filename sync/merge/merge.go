// Package merge is Veilig's deterministic merge of offline edits: given the same set of edits,
// it computes the same records, whatever order, duplication or batching the edits arrived in.
//
// # Who merges
//
// The server, once per push: package sync/server loads a record's stored writes and deletes
// into a Replica, adds the push's, and stores the outcome. A phone does not run this package
// (see sync/client): it holds the records the server merged, shows its own edits on top until
// a pull brings them back, and supplies what the rules below read: each write's Stamp, from
// its hybrid logical clock, and Seen, the stamp of the value it showed when the user edited.
// So phones converge through the server: every phone that has pulled a household to the same
// version holds the same records, and the order-independence of this package is what lets
// the server apply pushes in whatever order they arrive.
//
// # Rules, and why
//
// Order. A write A beats B when (A.Stamp, A.Device, A.MutationID) > (B.Stamp, B.Device,
// B.MutationID). Stamps are hybrid logical clock values (sync/hlc), so the later edit wins,
// the device id breaks ties between devices, and the mutation id breaks ties within one
// device, making the order total. A field's value is that of the write that beats all others.
//
// Conflicts. A write L becomes a conflict record when some write W on the same field beats L
// although W's author had not seen L (W.Seen < L.Stamp): a true concurrent overwrite. The
// losing value is kept, with the winner's mutation id, until a person resolves it, because in
// a safety plan a silently lost edit (a new phone number of the safety network, a changed
// agreement) can cost a child's safety. Sequential edits (the author saw the old value) are
// not conflicts: that is just editing. The definition looks only at the set of writes, so it
// is order-independent. When several writes overwrote L unseen, OverwrittenBy names the one
// with the lowest Seen (ties: the lowest in write order), again a function of the set.
//
// Deletes. A record is deleted when a Delete D exists whose author had seen every write of
// the record (every write's Stamp <= D.Seen). An edit the deleter had not seen keeps the
// record alive with all its fields: edit beats concurrent delete, so data is never dropped by
// a race; the delete can simply be repeated by someone who has seen the edit.
//
// Resolutions. A Resolve names a conflict by Conflict.ID and hides it. A resolve may arrive
// before the conflict it names and applies once the conflict exists, so that the rules stay a
// function of the set. The server does not use them: it keeps a resolution as a flag on its
// stored conflict record and rejects a resolve of a conflict it does not hold, which a phone
// never sends (it resolves only conflicts it has pulled).
//
// Duplicates. A write is identified by (MutationID, Field), a delete and a resolve by
// MutationID; a repeat is ignored. Should two different writes share an identity (a client
// bug), the one that sorts highest is kept on every replica, so that replicas still agree.
//
// Check-ins are facts, appended and never merged: they are not handled here.
package merge

import (
	"cmp"
	"errors"
	"slices"

	"github.com/veilig/veilig/sync/hlc"
)

// Write is one field write by a mutation.
type Write struct {
	// MutationID is the client-generated id of the mutation that carries the write.
	MutationID string
	// Record is the id of the record (a plan entry, a schedule).
	Record string
	// Field is the field's name; a record is deleted with a Delete, never with a Write.
	Field string
	Value string
	// Stamp is when the author made the edit, already clamped by the server.
	Stamp hlc.Timestamp
	// Device breaks ties between equal stamps.
	Device string
	// Seen is the stamp of this field's value the author had when editing; 0 if none.
	Seen hlc.Timestamp
}

// Delete deletes a whole record.
type Delete struct {
	MutationID string
	Record     string
	Stamp      hlc.Timestamp
	Device     string
	// Seen is the highest field stamp of the record the author had seen.
	Seen hlc.Timestamp
}

// Resolve marks a conflict record as handled by a person.
type Resolve struct {
	MutationID string
	// ConflictID is the Conflict.ID of the conflict to resolve.
	ConflictID string
}

// FieldState is a field's current value and the write it came from.
type FieldState struct {
	Value      string
	Stamp      hlc.Timestamp
	Device     string
	MutationID string
}

// Conflict is a value that lost to a concurrent edit.
type Conflict struct {
	Record     string
	Field      string
	MutationID string
	Value      string
	Stamp      hlc.Timestamp
	Device     string
	// OverwrittenBy is the mutation id of the write that overwrote this value unseen.
	OverwrittenBy string
}

// ID identifies a conflict: one write of one field.
func (c Conflict) ID() string { return c.MutationID + "/" + c.Field }

// RecordState is the merged state of one record.
type RecordState struct {
	ID      string
	Fields  map[string]FieldState
	Deleted bool
	// Conflicts lists the unresolved conflicts, ordered by field, then write order.
	Conflicts []Conflict
}

// Validate checks a write from outside. Errors never quote the value.
func (w Write) Validate() error {
	switch {
	case w.MutationID == "":
		return errors.New("write without a mutation id")
	case w.Record == "":
		return errors.New("write without a record id")
	case w.Field == "":
		return errors.New("write without a field name")
	case w.Stamp.IsZero():
		return errors.New("write without a stamp")
	case w.Seen > w.Stamp:
		return errors.New("write claims to have seen a value from its own future")
	}
	return nil
}

// Validate checks a delete from outside.
func (d Delete) Validate() error {
	switch {
	case d.MutationID == "":
		return errors.New("delete without a mutation id")
	case d.Record == "":
		return errors.New("delete without a record id")
	case d.Stamp.IsZero():
		return errors.New("delete without a stamp")
	case d.Seen > d.Stamp:
		return errors.New("delete claims to have seen a value from its own future")
	}
	return nil
}

// compareWrites is the total write order of the package doc.
func compareWrites(a, b Write) int {
	return cmp.Or(cmp.Compare(a.Stamp, b.Stamp), cmp.Compare(a.Device, b.Device), cmp.Compare(a.MutationID, b.MutationID))
}

// preferWrite picks between two writes with one identity: the higher in write order, then
// by the remaining content, so that every replica keeps the same one.
func preferWrite(a, b Write) Write {
	c := cmp.Or(compareWrites(a, b), cmp.Compare(a.Seen, b.Seen), cmp.Compare(a.Value, b.Value), cmp.Compare(a.Record, b.Record))
	if c >= 0 {
		return a
	}
	return b
}

func preferDelete(a, b Delete) Delete {
	c := cmp.Or(cmp.Compare(a.Stamp, b.Stamp), cmp.Compare(a.Seen, b.Seen), cmp.Compare(a.Device, b.Device), cmp.Compare(a.Record, b.Record))
	if c >= 0 {
		return a
	}
	return b
}

func preferResolve(a, b Resolve) Resolve {
	if a.ConflictID >= b.ConflictID {
		return a
	}
	return b
}

func compareConflicts(a, b Conflict) int {
	return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Stamp, b.Stamp), cmp.Compare(a.Device, b.Device), cmp.Compare(a.MutationID, b.MutationID))
}

// Apply merges a set of edits from scratch, straight from the rules: the reference that the
// incremental Replica must always agree with.
func Apply(writes []Write, deletes []Delete, resolves []Resolve) map[string]*RecordState {
	type wkey struct{ mutation, field string }
	uniqueW := map[wkey]Write{}
	for _, w := range writes {
		k := wkey{w.MutationID, w.Field}
		if old, ok := uniqueW[k]; ok {
			w = preferWrite(old, w)
		}
		uniqueW[k] = w
	}
	uniqueD := map[string]Delete{}
	for _, d := range deletes {
		if old, ok := uniqueD[d.MutationID]; ok {
			d = preferDelete(old, d)
		}
		uniqueD[d.MutationID] = d
	}
	uniqueR := map[string]Resolve{}
	for _, r := range resolves {
		if old, ok := uniqueR[r.MutationID]; ok {
			r = preferResolve(old, r)
		}
		uniqueR[r.MutationID] = r
	}
	resolved := map[string]bool{}
	for _, r := range uniqueR {
		resolved[r.ConflictID] = true
	}

	out := map[string]*RecordState{}
	rec := func(id string) *RecordState {
		if out[id] == nil {
			out[id] = &RecordState{ID: id, Fields: map[string]FieldState{}}
		}
		return out[id]
	}
	for _, w := range uniqueW {
		r := rec(w.Record)
		if cur, ok := r.Fields[w.Field]; !ok || compareWrites(w, Write{Stamp: cur.Stamp, Device: cur.Device, MutationID: cur.MutationID}) > 0 {
			r.Fields[w.Field] = FieldState{Value: w.Value, Stamp: w.Stamp, Device: w.Device, MutationID: w.MutationID}
		}
		// L = w is a conflict if some W beats it without having seen it.
		var by *Write
		for _, other := range uniqueW {
			if other.Record != w.Record || other.Field != w.Field || compareWrites(other, w) <= 0 || other.Seen >= w.Stamp {
				continue
			}
			if by == nil || other.Seen < by.Seen || (other.Seen == by.Seen && compareWrites(other, *by) < 0) {
				o := other
				by = &o
			}
		}
		if by != nil {
			c := Conflict{Record: w.Record, Field: w.Field, MutationID: w.MutationID, Value: w.Value, Stamp: w.Stamp, Device: w.Device, OverwrittenBy: by.MutationID}
			if !resolved[c.ID()] {
				r.Conflicts = append(r.Conflicts, c)
			}
		}
	}
	for _, d := range uniqueD {
		r := rec(d.Record)
		sawAll := true
		for _, w := range uniqueW {
			if w.Record == d.Record && w.Stamp > d.Seen {
				sawAll = false
				break
			}
		}
		r.Deleted = r.Deleted || sawAll
	}
	for _, r := range out {
		slices.SortFunc(r.Conflicts, compareConflicts)
	}
	return out
}
