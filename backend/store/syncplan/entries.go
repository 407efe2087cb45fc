package syncplan

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/hlc"
)

// Keys lists what a push touches, for the engine to load: the records it names, the conflicts
// its resolves name and its mutation ids.
func Keys(muts []store.SyncMutation) (records, conflicts, mutations []string) {
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
		case store.MutationEdit, store.MutationDelete:
			add(&records, "r", m.RecordID)
		case store.MutationResolve:
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

// EntryReplace is the mutation by which the PlanService API replaces an entry's content. Its
// author has seen every current value (the API replaces the whole entry), so it is a
// sequential edit: fields absent from the entry are cleared.
func EntryReplace(st State, p store.PlanEntryUpsertParams, mutationID string) store.SyncMutation {
	current := currentOf(st, p.Entry.ID)
	stamp := serverStamp(p.Now, current)
	m := store.SyncMutation{ID: mutationID, HouseholdID: p.Entry.HouseholdID, DeviceID: ServerDevice, ProfessionalID: p.UpdatedBy,
		Kind: store.MutationEdit, RecordID: p.Entry.ID, Section: p.Entry.Section}
	seen := map[string]hlc.Timestamp{}
	for _, w := range current {
		seen[w.Field] = w.Stamp
	}
	fields := make([]string, 0, len(p.Entry.Fields)+len(seen))
	for f := range p.Entry.Fields {
		fields = append(fields, f)
	}
	for f := range seen {
		if _, kept := p.Entry.Fields[f]; !kept {
			fields = append(fields, f)
		}
	}
	slices.Sort(fields)
	for _, f := range fields {
		m.Writes = append(m.Writes, store.FieldWrite{Field: f, Value: p.Entry.Fields[f], Stamp: stamp, Seen: seen[f]})
	}
	return m
}

// EntryDelete is the mutation by which the PlanService API deletes an entry, having seen it.
func EntryDelete(st State, p store.PlanEntryDeleteParams, mutationID string) store.SyncMutation {
	current := currentOf(st, p.EntryID)
	var seen hlc.Timestamp
	for _, w := range st.Writes {
		if w.RecordID == p.EntryID && w.Stamp > seen {
			seen = w.Stamp
		}
	}
	stamp := serverStamp(p.Now, current)
	if stamp <= seen {
		stamp = seen + 1
	}
	return store.SyncMutation{ID: mutationID, HouseholdID: p.HouseholdID, DeviceID: ServerDevice, ProfessionalID: p.UpdatedBy,
		Kind: store.MutationDelete, RecordID: p.EntryID, Stamp: stamp, Seen: seen}
}

// ResultError turns a rejected result of a server-side edit into a store error.
func ResultError(r store.MutationResult) error {
	if r.Outcome != store.OutcomeRejected {
		return nil
	}
	// An entry id of another household answers as if it did not exist.
	if r.Reason == store.ReasonNotFound || r.Reason == store.ReasonForbidden || r.Detail == detailOtherHousehold {
		return fmt.Errorf("plan entry: %s: %w", r.Detail, store.ErrNotFound)
	}
	return errors.New("invalid plan entry: " + r.Detail)
}

// PendingHouseholds lists, sorted, the households of the mutations not yet applied: a push
// bumps (and locks) only those, so a re-sent batch changes no version.
func PendingHouseholds(muts []store.SyncMutation, known map[string]store.MutationResult) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range muts {
		if _, done := known[m.ID]; !done && !seen[m.HouseholdID] {
			seen[m.HouseholdID] = true
			out = append(out, m.HouseholdID)
		}
	}
	slices.Sort(out)
	return out
}
