package server

import (
	"slices"
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

// Keys lists what a push touches, for the engine to load: the records it names, the conflicts
// its resolves name and its mutation ids.
func Keys(muts []change.Mutation) (records, conflicts, mutations []string) {
	seen := map[string]bool{}
	add := func(list *[]string, kind, v string) {
		if v != "" && !seen[kind+v] {
			seen[kind+v] = true
			*list = append(*list, v)
		}
	}
	for _, m := range muts {
		add(&mutations, "m", m.ID)
		switch m.Kind {
		case change.KindEdit, change.KindDelete:
			add(&records, "r", m.RecordID)
		case change.KindResolve:
			add(&conflicts, "c", m.ConflictID)
		}
	}
	return records, conflicts, mutations
}

// ServerDevice is the device id of edits made through the server's own API (not a phone).
const ServerDevice = "server"

// serverStamp is a stamp for a server-side edit: now, or just after the newest of current
// when a phone's clock ran ahead, so that the edit is never older than what it replaces.
func serverStamp(now time.Time, current []WriteRow) hlc.Timestamp {
	ts := hlc.New(now, 0)
	for _, w := range current {
		if w.Stamp >= ts {
			ts = w.Stamp + 1
		}
	}
	return ts
}

// currentOf returns the current writes of a record.
func currentOf(st State, record string) []WriteRow {
	var out []WriteRow
	for _, w := range st.Writes {
		if w.RecordID == record && w.Current {
			out = append(out, w)
		}
	}
	return out
}

// Replace is a PlanService write of a whole entry's content.
type Replace struct {
	MutationID  string
	HouseholdID string
	RecordID    string
	Section     change.Section
	Fields      map[string]string
	Author      string
	Now         time.Time
}

// EntryReplace is the mutation by which the PlanService API replaces an entry's content. Its
// author has seen every current value (the API replaces the whole entry), so it is a
// sequential edit: fields absent from the entry are cleared.
func EntryReplace(st State, p Replace) change.Mutation {
	current := currentOf(st, p.RecordID)
	stamp := serverStamp(p.Now, current)
	m := change.Mutation{ID: p.MutationID, HouseholdID: p.HouseholdID, DeviceID: ServerDevice, ProfessionalID: p.Author,
		Kind: change.KindEdit, RecordID: p.RecordID, Section: p.Section}
	seen := map[string]hlc.Timestamp{}
	for _, w := range current {
		seen[w.Field] = w.Stamp
	}
	fields := make([]string, 0, len(p.Fields)+len(seen))
	for f := range p.Fields {
		fields = append(fields, f)
	}
	for f := range seen {
		if _, kept := p.Fields[f]; !kept {
			fields = append(fields, f)
		}
	}
	slices.Sort(fields)
	for _, f := range fields {
		m.Writes = append(m.Writes, change.FieldWrite{Field: f, Value: p.Fields[f], Stamp: stamp, Seen: seen[f]})
	}
	return m
}

// Remove is a PlanService delete of an entry its author has seen.
type Remove struct {
	MutationID  string
	HouseholdID string
	RecordID    string
	Author      string
	Now         time.Time
}

// EntryDelete is the mutation by which the PlanService API deletes an entry, having seen it.
func EntryDelete(st State, p Remove) change.Mutation {
	current := currentOf(st, p.RecordID)
	var seen hlc.Timestamp
	for _, w := range st.Writes {
		if w.RecordID == p.RecordID && w.Stamp > seen {
			seen = w.Stamp
		}
	}
	stamp := serverStamp(p.Now, current)
	if stamp <= seen {
		stamp = seen + 1
	}
	return change.Mutation{ID: p.MutationID, HouseholdID: p.HouseholdID, DeviceID: ServerDevice, ProfessionalID: p.Author,
		Kind: change.KindDelete, RecordID: p.RecordID, Stamp: stamp, Seen: seen}
}

// OtherHousehold reports whether a rejection says the record belongs to another household:
// the API answers such an entry id as if it did not exist.
func OtherHousehold(r change.Result) bool { return r.Detail == detailOtherHousehold }

// Households lists the distinct households of a batch, in order of first appearance.
func Households(muts []change.Mutation) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range muts {
		if !seen[m.HouseholdID] {
			seen[m.HouseholdID] = true
			out = append(out, m.HouseholdID)
		}
	}
	return out
}

// PendingHouseholds lists, sorted, the households of the mutations Plan may apply: those
// whose id is neither known nor used earlier in the batch. A push bumps (and locks) only
// those, so a re-sent batch changes no version, and neither does a mutation that re-uses an
// id, which Plan answers or rejects without writing.
func PendingHouseholds(muts []change.Mutation, known map[string]Logged) []string {
	seen, ids := map[string]bool{}, make(map[string]bool, len(muts))
	var out []string
	for _, m := range muts {
		if _, done := known[m.ID]; done || ids[m.ID] {
			continue
		}
		ids[m.ID] = true
		if !seen[m.HouseholdID] {
			seen[m.HouseholdID] = true
			out = append(out, m.HouseholdID)
		}
	}
	slices.Sort(out)
	return out
}
