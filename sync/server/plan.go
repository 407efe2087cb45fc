package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
	"github.com/veilig/veilig/sync/merge"
)

// Record is a plan entry's header.
type Record struct {
	ID          string
	HouseholdID string
	Section     change.Section
	Deleted     bool
	Version     int64
	UpdatedBy   string
}

// WriteRow is one stored field write.
type WriteRow struct {
	HouseholdID, RecordID, Field, MutationID, Value string
	Stamp, Seen                                     hlc.Timestamp
	DeviceID, AuthorID                              string
	Current                                         bool
	Version                                         int64
}

// DeleteRow is one stored delete.
type DeleteRow struct {
	MutationID, HouseholdID, RecordID string
	Stamp, Seen                       hlc.Timestamp
	DeviceID, AuthorID                string
	Version                           int64
}

// State is what a push needs of the database, loaded in its transaction after the households
// of the push were bumped (which locks them).
type State struct {
	// Versions maps each existing household of the push to its version after the bump.
	Versions map[string]int64
	// Known holds the mutation log entries of the push's ids: mutations already applied by an
	// earlier push, with whom each id belongs to.
	Known map[string]Logged
	// Records, Writes and Deletes cover every record the push names.
	Records map[string]Record
	Writes  []WriteRow
	Deletes []DeleteRow
	// Conflicts covers those records and every conflict a resolve names.
	Conflicts map[string]change.Conflict
}

// WriteKey names one stored write: its primary key.
type WriteKey struct {
	RecordID, Field, MutationID string
}

// Changes is everything a push writes.
type Changes struct {
	// Results has one entry per mutation, in request order.
	Results []change.Result
	// Mutations are the new entries of the mutation log (duplicates are not repeated).
	Mutations []MutationRow
	Writes    []WriteRow
	// Superseded names the stored current writes that lost their place to a write of this
	// push, which Writes inserts with its current flag set: each is no longer current. It
	// never names a write of this push, so the engines update only rows stored before it,
	// each by its primary key.
	Superseded []WriteKey
	Deletes    []DeleteRow
	// Records are the headers to insert or update.
	Records []Record
	// Revived names the stored current writes of records that were deleted and are alive
	// again: their fields must be sent again, so each moves to the version given.
	Revived   []WriteVersion
	Conflicts []change.Conflict
	CheckIns  []change.CheckIn
	// Versions holds, for each household whose rows take more than one version (their
	// pulled size passes VersionBytes), the last of them: its rows carry State.Versions'
	// version up to this one, and the engine raises the household's version to it.
	Versions map[string]int64
}

// WriteVersion is a stored write and the version it moves to.
type WriteVersion struct {
	WriteKey
	Version int64
}

// MutationRow is one entry of the mutation log, the idempotency record of a push.
type MutationRow struct {
	change.Result
	HouseholdID, DeviceID, ProfessionalID string
	Version                               int64
}

// Logged is a mutation log entry as a push reads it: the first result of a mutation id and
// the professional and household it was sent by and for. Its fields are, column for column,
// the engines' mutation log lookup, so a generated row converts to it.
type Logged struct {
	MutationID     string
	Outcome        change.Outcome
	Reason         change.Reason
	Detail         string
	HouseholdID    string
	ProfessionalID string
}

// Result is the logged result.
func (l Logged) Result() change.Result {
	return change.Result{MutationID: l.MutationID, Outcome: l.Outcome, Reason: l.Reason, Detail: l.Detail}
}

// answer is what a mutation whose id is already taken gets: the first result when it is a
// re-send (the same professional, for the same household), else a rejection that quotes
// nothing of the first mutation, whose result and detail belong to someone else.
func (l Logged) answer(m change.Mutation) change.Result {
	if l.ProfessionalID == m.ProfessionalID && l.HouseholdID == m.HouseholdID {
		return l.Result()
	}
	return reject(m, change.ReasonIDInUse, "the mutation id is already used; send the mutation under a new id")
}

// Plan decides a push. Mutations apply in request order; a mutation id seen before (in an
// earlier push or earlier in this one) changes nothing: a re-send by the same professional for
// the same household is answered with its first result, any other use of the id is rejected
// (change.ReasonIDInUse).
func Plan(st State, muts []change.Mutation) Changes {
	pl := planner{st: st, replicas: map[string]*merge.Replica{}, records: map[string]Record{},
		conflicts: map[string]change.Conflict{}, touched: map[[2]string]bool{}, seen: map[string]int{}, isDirty: map[string]bool{},
		writesOf: map[string][]WriteRow{}, deletesOf: map[string][]DeleteRow{}}
	for _, w := range st.Writes {
		pl.writesOf[w.RecordID] = append(pl.writesOf[w.RecordID], w)
	}
	for _, d := range st.Deletes {
		pl.deletesOf[d.RecordID] = append(pl.deletesOf[d.RecordID], d)
	}
	for id, r := range st.Records {
		pl.records[id] = r
	}
	for id, c := range st.Conflicts {
		pl.conflicts[id] = c
	}
	var ch Changes
	for _, m := range muts {
		if l, ok := st.Known[m.ID]; ok {
			ch.Results = append(ch.Results, l.answer(m))
			continue
		}
		if j, ok := pl.seen[m.ID]; ok {
			first, r := muts[j], ch.Results[j]
			l := Logged{MutationID: r.MutationID, Outcome: r.Outcome, Reason: r.Reason, Detail: r.Detail,
				HouseholdID: first.HouseholdID, ProfessionalID: first.ProfessionalID}
			ch.Results = append(ch.Results, l.answer(m))
			continue
		}
		r := pl.apply(&ch, m)
		pl.seen[m.ID] = len(ch.Results)
		ch.Results = append(ch.Results, r)
		row := MutationRow{Result: r, HouseholdID: m.HouseholdID, DeviceID: m.DeviceID, ProfessionalID: m.ProfessionalID}
		row.Version = st.Versions[m.HouseholdID]
		ch.Mutations = append(ch.Mutations, row)
	}
	pl.finish(&ch)
	return ch
}

type planner struct {
	st        State
	replicas  map[string]*merge.Replica // by record, built from history on first touch
	records   map[string]Record
	conflicts map[string]change.Conflict
	changed   []string // conflict ids created or changed, in order
	touched   map[[2]string]bool
	fields    [][2]string // touched (record, field), in order
	seen      map[string]int
	writes    []WriteRow
	dirty     []string // records whose header changes, in order
	isDirty   map[string]bool
	// writesOf and deletesOf hold the stored history by record, so building a record's
	// replica reads its own rows only.
	writesOf  map[string][]WriteRow
	deletesOf map[string][]DeleteRow
}

const detailOtherHousehold = "the record belongs to another household"

func reject(m change.Mutation, reason change.Reason, format string, args ...any) change.Result {
	return change.Result{MutationID: m.ID, Outcome: change.OutcomeRejected, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

func (pl *planner) replica(record string) *merge.Replica {
	r := pl.replicas[record]
	if r != nil {
		return r
	}
	r = merge.NewReplica()
	for _, w := range pl.writesOf[record] {
		r.Add(merge.Write{MutationID: w.MutationID, Record: w.RecordID, Field: w.Field, Value: w.Value, Stamp: w.Stamp, Device: w.DeviceID, Seen: w.Seen})
	}
	for _, d := range pl.deletesOf[record] {
		r.AddDelete(merge.Delete{MutationID: d.MutationID, Record: d.RecordID, Stamp: d.Stamp, Device: d.DeviceID, Seen: d.Seen})
	}
	pl.replicas[record] = r
	return r
}

func (pl *planner) apply(ch *Changes, m change.Mutation) change.Result {
	version, ok := pl.st.Versions[m.HouseholdID]
	if !ok {
		return reject(m, change.ReasonNotFound, "household not found")
	}
	switch m.Kind {
	case change.KindEdit, change.KindDelete:
		rec, exists := pl.records[m.RecordID]
		switch {
		case exists && rec.HouseholdID != m.HouseholdID:
			return reject(m, change.ReasonInvalid, detailOtherHousehold)
		case exists && m.Kind == change.KindEdit && m.Section != "" && m.Section != rec.Section:
			return reject(m, change.ReasonInvalid, "the record's section cannot change")
		case !exists && m.Kind == change.KindDelete:
			return reject(m, change.ReasonNotFound, "no such record")
		case !exists && !m.Section.Valid():
			return reject(m, change.ReasonInvalid, "a new record needs a valid section")
		}
		if !exists {
			rec = Record{ID: m.RecordID, HouseholdID: m.HouseholdID, Section: m.Section}
		}
		if m.Kind == change.KindDelete {
			return pl.delete(ch, m, rec, version)
		}
		return pl.edit(ch, m, rec, version)
	case change.KindResolve:
		c, exists := pl.conflicts[m.ConflictID]
		if !exists || c.HouseholdID != m.HouseholdID {
			return reject(m, change.ReasonNotFound, "no such conflict")
		}
		if !c.Resolved {
			c.Resolved, c.Version = true, version
			pl.setConflict(c)
		}
		return change.Result{MutationID: m.ID, Outcome: change.OutcomeApplied}
	case change.KindCheckIn:
		c := m.CheckIn
		c.ID, c.HouseholdID, c.Version = m.ID, m.HouseholdID, version
		ch.CheckIns = append(ch.CheckIns, c)
		return change.Result{MutationID: m.ID, Outcome: change.OutcomeApplied}
	}
	return reject(m, change.ReasonInvalid, "unknown mutation kind")
}

func (pl *planner) edit(ch *Changes, m change.Mutation, rec Record, version int64) change.Result {
	if len(m.Writes) == 0 {
		return reject(m, change.ReasonInvalid, "an edit needs at least one field")
	}
	for i, w := range m.Writes {
		mw := merge.Write{MutationID: m.ID, Record: m.RecordID, Field: w.Field, Value: w.Value, Stamp: w.Stamp, Device: m.DeviceID, Seen: w.Seen}
		if err := mw.Validate(); err != nil {
			return reject(m, change.ReasonInvalid, "field %d: %v", i, err)
		}
		for _, other := range m.Writes[:i] {
			if other.Field == w.Field {
				return reject(m, change.ReasonInvalid, "field %d is written twice", i)
			}
		}
	}
	r := pl.replica(m.RecordID)
	outcome := change.OutcomeApplied
	for _, w := range m.Writes {
		mw := merge.Write{MutationID: m.ID, Record: m.RecordID, Field: w.Field, Value: w.Value, Stamp: w.Stamp, Device: m.DeviceID, Seen: w.Seen}
		_, created := r.Add(mw)
		pl.writes = append(pl.writes, WriteRow{HouseholdID: m.HouseholdID, RecordID: m.RecordID, Field: w.Field, MutationID: m.ID,
			Value: w.Value, Stamp: w.Stamp, Seen: w.Seen, DeviceID: m.DeviceID, AuthorID: m.ProfessionalID, Version: version})
		if len(created) > 0 {
			outcome = change.OutcomeConflictRecorded
		} else if r.State(m.RecordID).Fields[w.Field].MutationID != m.ID && outcome == change.OutcomeApplied {
			outcome = change.OutcomeMerged
		}
		pl.touch(m.RecordID, w.Field)
	}
	rec.UpdatedBy = m.ProfessionalID
	pl.header(rec, version)
	return change.Result{MutationID: m.ID, Outcome: outcome}
}

func (pl *planner) delete(ch *Changes, m change.Mutation, rec Record, version int64) change.Result {
	d := merge.Delete{MutationID: m.ID, Record: m.RecordID, Stamp: m.Stamp, Device: m.DeviceID, Seen: m.Seen}
	if err := d.Validate(); err != nil {
		return reject(m, change.ReasonInvalid, "%v", err)
	}
	r := pl.replica(m.RecordID)
	r.AddDelete(d)
	ch.Deletes = append(ch.Deletes, DeleteRow{MutationID: m.ID, HouseholdID: m.HouseholdID, RecordID: m.RecordID, Stamp: m.Stamp,
		Seen: m.Seen, DeviceID: m.DeviceID, AuthorID: m.ProfessionalID, Version: version})
	rec.UpdatedBy = m.ProfessionalID
	pl.header(rec, version)
	if !r.State(m.RecordID).Deleted {
		// An edit the deleter had not seen keeps the record: the delete is recorded, not applied.
		return change.Result{MutationID: m.ID, Outcome: change.OutcomeMerged, Detail: "the record has edits the delete had not seen"}
	}
	return change.Result{MutationID: m.ID, Outcome: change.OutcomeApplied}
}

func (pl *planner) touch(record, field string) {
	k := [2]string{record, field}
	if !pl.touched[k] {
		pl.touched[k] = true
		pl.fields = append(pl.fields, k)
	}
}

// header marks a record whose header must be written with version.
func (pl *planner) header(rec Record, version int64) {
	if !pl.isDirty[rec.ID] {
		pl.isDirty[rec.ID] = true
		pl.dirty = append(pl.dirty, rec.ID)
	}
	rec.Version = version
	pl.records[rec.ID] = rec
}

func (pl *planner) setConflict(c change.Conflict) {
	if !slices.Contains(pl.changed, c.ID) {
		pl.changed = append(pl.changed, c.ID)
	}
	pl.conflicts[c.ID] = c
}

// finish derives the rows from the merged replicas: current writes, headers, conflicts.
func (pl *planner) finish(ch *Changes) {
	authors := map[string]string{}
	for _, w := range pl.st.Writes {
		authors[w.MutationID] = w.AuthorID
	}
	for _, w := range pl.writes {
		authors[w.MutationID] = w.AuthorID
	}
	stored := map[[2]string]string{} // the stored current write of each field
	for _, w := range pl.st.Writes {
		if w.Current {
			stored[[2]string{w.RecordID, w.Field}] = w.MutationID
		}
	}
	winners := map[[2]string]string{}
	for _, k := range pl.fields {
		st := pl.replicas[k[0]].State(k[0])
		winners[k] = st.Fields[k[1]].MutationID
		// The writes this push inserts carry their current flag; only a stored current write
		// that lost its place must be changed (a new record's fields never are).
		if was, ok := stored[k]; ok && was != winners[k] {
			ch.Superseded = append(ch.Superseded, WriteKey{RecordID: k[0], Field: k[1], MutationID: was})
		}
		for _, c := range st.Conflicts {
			if c.Field != k[1] {
				continue
			}
			id := c.ID()
			old, exists := pl.conflicts[id]
			if exists && old.OverwrittenBy == c.OverwrittenBy {
				continue
			}
			rec := pl.records[c.Record]
			nc := change.Conflict{ID: id, HouseholdID: rec.HouseholdID, RecordID: c.Record, Field: c.Field, MutationID: c.MutationID,
				Value: c.Value, Stamp: c.Stamp, DeviceID: c.Device, AuthorID: authors[c.MutationID], OverwrittenBy: c.OverwrittenBy,
				Version: rec.Version}
			if exists {
				nc.Resolved = old.Resolved
			}
			pl.setConflict(nc)
		}
	}
	for _, w := range pl.writes {
		w.Current = winners[[2]string{w.RecordID, w.Field}] == w.MutationID
		ch.Writes = append(ch.Writes, w)
	}
	revived := map[string]bool{}
	for _, id := range pl.dirty {
		rec := pl.records[id]
		was, existed := pl.st.Records[id]
		rec.Deleted = pl.replicas[id].State(id).Deleted
		if existed && was.Deleted && !rec.Deleted {
			revived[id] = true
		}
		ch.Records = append(ch.Records, rec)
	}
	for _, id := range pl.changed {
		ch.Conflicts = append(ch.Conflicts, pl.conflicts[id])
	}
	pl.spread(ch, revived, winners)
}

// spread gives the rows of each household consecutive versions from State.Versions' on, each
// version holding at most VersionBytes of what a pull sends (or one larger row alone), so
// that a pull pages even a push larger than its page (issue 13, point 1). Until then every
// row carries its household's version.
//
// A record's header takes the version of its first row and its fields follow it; a version
// that continues a record also counts the record's header, which a pull sends along with
// any field of the record in its range. Rows a pull does not send (lost writes, deletes)
// take their record header's version. Conflicts follow their record, then the conflicts a
// resolve changed, then check-ins, each in the order the push made them, so the result
// depends on the push alone.
func (pl *planner) spread(ch *Changes, revived map[string]bool, winners map[[2]string]string) {
	type room struct {
		version int64
		used    int
	}
	rooms := map[string]*room{}
	place := func(household string, n, carry int) int64 {
		r := rooms[household]
		if r == nil {
			r = &room{version: pl.st.Versions[household]}
			rooms[household] = r
		}
		if r.used > 0 && r.used+n > VersionBytes {
			r.version, r.used = r.version+1, carry
		}
		r.used += n
		return r.version
	}
	writesOf, conflictsOf, deletesOf := map[string][]int{}, map[string][]int{}, map[string][]int{}
	for i, w := range ch.Writes {
		writesOf[w.RecordID] = append(writesOf[w.RecordID], i)
	}
	for i, c := range ch.Conflicts {
		conflictsOf[c.RecordID] = append(conflictsOf[c.RecordID], i)
	}
	for i, d := range ch.Deletes {
		deletesOf[d.RecordID] = append(deletesOf[d.RecordID], i)
	}
	placed := map[int]bool{} // conflicts placed with their record
	for ri := range ch.Records {
		rec := &ch.Records[ri]
		h, header := rec.HouseholdID, HeaderBytes(rec.ID, rec.Section)
		rec.Version = place(h, header, 0)
		for _, i := range writesOf[rec.ID] {
			if w := &ch.Writes[i]; w.Current {
				w.Version = place(h, FieldBytes(w.Field, w.Value, w.DeviceID), header)
			} else {
				w.Version = rec.Version
			}
		}
		if revived[rec.ID] {
			// The stored writes that stay current: those of fields the push did not write,
			// and those that won against it. By field, so the State's row order does not matter.
			var kept []WriteRow
			for _, w := range pl.writesOf[rec.ID] {
				if won, touched := winners[[2]string{w.RecordID, w.Field}]; w.Current && (!touched || won == w.MutationID) {
					kept = append(kept, w)
				}
			}
			slices.SortFunc(kept, func(a, b WriteRow) int { return strings.Compare(a.Field, b.Field) })
			for _, w := range kept {
				ch.Revived = append(ch.Revived, WriteVersion{WriteKey: WriteKey{RecordID: w.RecordID, Field: w.Field, MutationID: w.MutationID},
					Version: place(h, FieldBytes(w.Field, w.Value, w.DeviceID), header)})
			}
		}
		for _, i := range deletesOf[rec.ID] {
			ch.Deletes[i].Version = rec.Version
		}
		for _, i := range conflictsOf[rec.ID] {
			ch.Conflicts[i].Version = place(h, ConflictBytes(ch.Conflicts[i]), 0)
			placed[i] = true
		}
	}
	for i := range ch.Conflicts {
		if c := &ch.Conflicts[i]; !placed[i] {
			c.Version = place(c.HouseholdID, ConflictBytes(*c), 0)
		}
	}
	for i := range ch.CheckIns {
		c := &ch.CheckIns[i]
		c.Version = place(c.HouseholdID, CheckInBytes(*c), 0)
	}
	for h, r := range rooms {
		if r.version > pl.st.Versions[h] {
			if ch.Versions == nil {
				ch.Versions = map[string]int64{}
			}
			ch.Versions[h] = r.version
		}
	}
}
