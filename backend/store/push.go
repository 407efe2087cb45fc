package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/server"
)

// SyncPush applies a batch of sync mutations in one transaction and returns one result per
// mutation, in order. A mutation id applied before is answered with its first result when
// its professional re-sends it for the same household; any other use of the id is rejected
// (change.ReasonIDInUse) and writes nothing.
// One transaction that locks and bumps the households of the new
// mutations (in id order, so concurrent pushes queue instead of deadlocking), loads what the
// batch touches, lets package sync/server decide every outcome and row, and writes them with
// set-based statements. Re-sent mutation ids are answered from the mutation log and bump
// nothing; an id logged for another professional or household is rejected
// (change.ReasonIDInUse, decided by package sync/server for every engine).
func (db *DB) SyncPush(ctx context.Context, p SyncPushParams) ([]change.Result, error) {
	var results []change.Result
	err := db.InHouseholdTx(ctx, func(ctx context.Context, tx *Tx) (err error) {
		results, err = tx.SyncPush(ctx, p)
		return err
	})
	return results, err
}

// SyncPush is DB.SyncPush in tx, which may be an InHouseholdTx: it locks the households of
// the batch (unless p.Locked) before it reads anything.
func (tx *Tx) SyncPush(ctx context.Context, p SyncPushParams) ([]change.Result, error) {
	if !p.Locked {
		if err := tx.HouseholdLock(ctx, server.Households(p.Mutations)); err != nil {
			return nil, err
		}
	}
	st, err := loadSyncState(ctx, tx.ex, p.Mutations, p.Now)
	if err != nil {
		return nil, err
	}
	ch := server.Plan(st, p.Mutations)
	return ch.Results, writeChanges(ctx, tx.ex, ch, p.Now)
}

// loadSyncState reads the mutation log of the batch, bumps the households with new mutations
// (locked by the caller: the log is read under the lock, so a concurrent re-send of the same
// batch waits and then finds it logged), and loads the records the batch names with their
// writes, deletes and conflicts. Writes and deletes are looked up only for records that
// exist: a new record has none.
func loadSyncState(ctx context.Context, tx Executor, muts []change.Mutation, now time.Time) (server.State, error) {
	records, conflicts, mutations := server.Keys(muts)
	st := server.State{Versions: map[string]int64{}, Known: map[string]server.Logged{},
		Records: map[string]server.Record{}, Conflicts: map[string]change.Conflict{}}
	if len(mutations) == 0 {
		return st, nil
	}
	known, err := tx.MutationLogGetMany(ctx, mutations)
	if err != nil {
		return st, err
	}
	for _, r := range known {
		st.Known[r.MutationID] = r
	}
	if pending := server.PendingHouseholds(muts, st.Known); len(pending) > 0 {
		versions, err := tx.HouseholdBumpMany(ctx, HouseholdLockBumpParams{IDs: pending, Now: now})
		if err != nil {
			return st, err
		}
		for _, v := range versions {
			st.Versions[v.HouseholdID] = v.Version
		}
	}
	if len(records) > 0 {
		headers, err := tx.PlanEntryHeaderGetMany(ctx, records)
		if err != nil {
			return st, err
		}
		existing := make([]string, 0, len(headers))
		for _, r := range headers {
			st.Records[r.ID] = r
			existing = append(existing, r.ID)
		}
		records = existing
	}
	if len(records) > 0 {
		var err error
		if st.Writes, err = tx.FieldWriteListByRecords(ctx, records); err != nil {
			return st, err
		}
		if st.Deletes, err = tx.RecordDeleteListByRecords(ctx, records); err != nil {
			return st, err
		}
	}
	if len(records)+len(conflicts) > 0 {
		cs, err := tx.ConflictListByRecordsOrIDs(ctx, records, conflicts)
		if err != nil {
			return st, err
		}
		for _, c := range cs {
			st.Conflicts[c.ID] = *c
		}
	}
	return st, nil
}

// writeChanges writes a planned push, one set-based operation per kind of row, then the
// check-ins' effects on the scheduler.
func writeChanges(ctx context.Context, tx Executor, ch server.Changes, now time.Time) error {
	steps := []struct {
		rows  int
		write func() error
	}{
		{len(ch.Versions), func() error { return tx.HouseholdAdvanceMany(ctx, advances(ch.Versions)) }},
		{len(ch.Mutations), func() error { return tx.MutationLogInsertMany(ctx, ch.Mutations) }},
		{len(ch.Writes), func() error { return tx.FieldWriteInsertMany(ctx, ch.Writes) }},
		{len(ch.Superseded), func() error { return tx.FieldWriteSupersedeMany(ctx, ch.Superseded) }},
		{len(ch.Deletes), func() error { return tx.RecordDeleteInsertMany(ctx, ch.Deletes) }},
		{len(ch.Records), func() error {
			return tx.PlanEntryHeaderUpsertMany(ctx, PlanEntryHeaderUpsertManyParams{Records: ch.Records, Now: now})
		}},
		{len(ch.Revived), func() error { return tx.FieldWriteReviveMany(ctx, ch.Revived) }},
		{len(ch.Conflicts), func() error { return tx.ConflictUpsertMany(ctx, ch.Conflicts) }},
		{len(ch.CheckIns), func() error { return tx.CheckInInsertMany(ctx, ch.CheckIns) }},
		{len(ch.CheckIns), func() error { return checkInEffects(ctx, tx, ch.CheckIns, now) }},
	}
	for _, step := range steps {
		// A …Many operation on nothing costs no statement: the core never sends one.
		if step.rows == 0 {
			continue
		}
		if err := step.write(); err != nil {
			return err
		}
	}
	return nil
}

// advances lists a push's spread households (server.Changes.Versions) in id order, the order
// in which they were locked.
func advances(versions map[string]int64) []HouseholdVersion {
	out := make([]HouseholdVersion, 0, len(versions))
	for _, id := range slices.Sorted(maps.Keys(versions)) {
		out = append(out, HouseholdVersion{HouseholdID: id, Version: versions[id]})
	}
	return out
}

// PlanEntryUpsert inserts or replaces one plan entry, bumps the household version and
// returns the stored entry. The entry must belong to the named household: upserting an
// existing entry id under another household is ErrNotFound.
// As a sync edit by the server (package sync/server's
// EntryReplace): the API's author has seen every current value, so fields absent from the
// entry are cleared.
func (db *DB) PlanEntryUpsert(ctx context.Context, p PlanEntryUpsertParams) (*PlanEntry, error) {
	var out *PlanEntry
	err := db.InTx(ctx, func(ctx context.Context, tx *Tx) (err error) {
		out, err = tx.PlanEntryUpsert(ctx, p)
		return err
	})
	return out, err
}

// PlanEntryUpsert is DB.PlanEntryUpsert in tx.
func (tx *Tx) PlanEntryUpsert(ctx context.Context, p PlanEntryUpsertParams) (*PlanEntry, error) {
	e := p.Entry
	return tx.entryMutation(ctx, e.HouseholdID, e.ID, p.Now, func(st server.State, id string) change.Mutation {
		return server.EntryReplace(st, server.Replace{MutationID: id, HouseholdID: e.HouseholdID, RecordID: e.ID,
			Section: e.Section, Fields: e.Fields, Author: p.UpdatedBy, Now: p.Now})
	})
}

// PlanEntryDelete marks an entry deleted (a tombstone) and bumps the household version.
// As a sync delete by the server.
func (db *DB) PlanEntryDelete(ctx context.Context, p PlanEntryDeleteParams) (*PlanEntry, error) {
	var out *PlanEntry
	err := db.InTx(ctx, func(ctx context.Context, tx *Tx) (err error) {
		out, err = tx.PlanEntryDelete(ctx, p)
		return err
	})
	return out, err
}

// PlanEntryDelete is DB.PlanEntryDelete in tx.
func (tx *Tx) PlanEntryDelete(ctx context.Context, p PlanEntryDeleteParams) (*PlanEntry, error) {
	return tx.entryMutation(ctx, p.HouseholdID, p.EntryID, p.Now, func(st server.State, id string) change.Mutation {
		return server.EntryDelete(st, server.Remove{MutationID: id, HouseholdID: p.HouseholdID, RecordID: p.EntryID,
			Author: p.UpdatedBy, Now: p.Now})
	})
}

// entryMutation runs a server-side plan edit through the same plan as a phone's push, so an
// API write merges with offline edits by the same rules.
func (tx *Tx) entryMutation(ctx context.Context, householdID, entryID string, now time.Time,
	build func(server.State, string) change.Mutation) (*PlanEntry, error) {
	mutationID := uuid.NewString()
	probe := []change.Mutation{{ID: mutationID, HouseholdID: householdID, Kind: change.KindEdit, RecordID: entryID}}
	if err := tx.HouseholdLock(ctx, []string{householdID}); err != nil {
		return nil, err
	}
	st, err := loadSyncState(ctx, tx.ex, probe, now)
	if err != nil {
		return nil, err
	}
	ch := server.Plan(st, []change.Mutation{build(st, mutationID)})
	if err := EntryResultError(ch.Results[0]); err != nil {
		return nil, err
	}
	if err := writeChanges(ctx, tx.ex, ch, now); err != nil {
		return nil, err
	}
	entries, err := tx.ex.PlanEntryList(ctx, PlanEntryListParams{HouseholdID: householdID, IncludeDeleted: true, EntryID: entryID})
	if err != nil {
		return nil, err
	}
	if len(entries) != 1 {
		return nil, fmt.Errorf("plan entry %s: %w", entryID, ErrNotFound)
	}
	return entries[0], nil
}

// SyncMutationLog returns the recorded results of the given mutation ids (absent ids are
// missing from the map): the proof that an acknowledged mutation was applied.
func (db *DB) SyncMutationLog(ctx context.Context, ids []string) (map[string]change.Result, error) {
	out := make(map[string]change.Result, len(ids))
	const chunk = 10000
	for start := 0; start < len(ids); start += chunk {
		rs, err := db.read().MutationLogGetMany(ctx, ids[start:min(start+chunk, len(ids))])
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			out[r.MutationID] = r.Result()
		}
	}
	return out, nil
}

// checkInEffects keeps the scheduler's view of check-ins in the writing transaction: the
// households' schedules learn their latest check-in (which satisfies the current occurrence),
// and their open overdue alerts are acknowledged, which stops the escalation. A check-in that
// does not confirm contact (change.CheckIn.Confirms) has neither effect.
func checkInEffects(ctx context.Context, tx Executor, cs []change.CheckIn, now time.Time) error {
	var at []HouseholdInstant
	var households []string
	seen := map[string]bool{}
	for _, c := range cs {
		if !c.Confirms() {
			continue
		}
		at = append(at, HouseholdInstant{HouseholdID: c.HouseholdID, At: c.RecordedAt.UTC()})
		if !seen[c.HouseholdID] {
			seen[c.HouseholdID] = true
			households = append(households, c.HouseholdID)
		}
	}
	if len(at) == 0 {
		return nil
	}
	if err := tx.ScheduleCheckInMany(ctx, at); err != nil {
		return err
	}
	return tx.AlertAcknowledgeOverdueMany(ctx, AlertAcknowledgeOverdueManyParams{HouseholdIDs: households, By: AcknowledgedByCheckIn, Now: now})
}

// AcknowledgedByCheckIn is Alert.AcknowledgedBy of an overdue alert that a check-in stopped.
const AcknowledgedByCheckIn = "check-in"
