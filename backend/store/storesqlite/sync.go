package storesqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/server"
)

// jsonList encodes ids for `IN (SELECT value FROM json_each(?))`: one parameter for any
// number of ids.
func jsonList(ids []string) string {
	if ids == nil {
		ids = []string{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

const inList = `(SELECT value FROM json_each(?))`

// SyncPush implements store.Store.
func (s *Store) SyncPush(ctx context.Context, p store.SyncPushParams) ([]change.Result, error) {
	var results []change.Result
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := loadSyncState(ctx, tx, p.Mutations, p.Now)
		if err != nil {
			return err
		}
		ch := server.Plan(st, p.Mutations)
		results = ch.Results
		return writeChanges(ctx, tx, ch, p.Now)
	})
	return results, err
}

// loadSyncState bumps the households with new mutations and loads what the push touches.
func loadSyncState(ctx context.Context, tx *sql.Tx, muts []change.Mutation, now time.Time) (server.State, error) {
	records, conflicts, mutations := server.Keys(muts)
	st := server.State{Versions: map[string]int64{}, Known: map[string]change.Result{},
		Records: map[string]server.Record{}, Conflicts: map[string]change.Conflict{}}
	rows, err := tx.QueryContext(ctx, `SELECT id, outcome, reason, detail FROM sync_mutations WHERE id IN `+inList, jsonList(mutations))
	if err != nil {
		return st, fmt.Errorf("load mutation log: %w", err)
	}
	if _, err := collect(rows, func(r *sql.Rows) (bool, error) {
		var m change.Result
		err := r.Scan(&m.MutationID, &m.Outcome, &m.Reason, &m.Detail)
		st.Known[m.MutationID] = m
		return true, err
	}); err != nil {
		return st, err
	}
	for _, h := range server.PendingHouseholds(muts, st.Known) {
		v, err := bumpHousehold(ctx, tx, h, now)
		if err == nil {
			st.Versions[h] = v
		} else if !isNotFound(err) {
			return st, err
		}
	}
	recs, err := tx.QueryContext(ctx, `SELECT id, household_id, section, deleted, version, updated_by FROM plan_entries WHERE id IN `+inList, jsonList(records))
	if err != nil {
		return st, fmt.Errorf("load records: %w", err)
	}
	if _, err := collect(recs, func(r *sql.Rows) (bool, error) {
		var rec server.Record
		err := r.Scan(&rec.ID, &rec.HouseholdID, &rec.Section, &rec.Deleted, &rec.Version, &rec.UpdatedBy)
		st.Records[rec.ID] = rec
		return true, err
	}); err != nil {
		return st, err
	}
	if st.Writes, err = queryWrites(ctx, tx, `WHERE record_id IN `+inList, jsonList(records)); err != nil {
		return st, err
	}
	dels, err := tx.QueryContext(ctx, `SELECT mutation_id, household_id, record_id, stamp, seen, device_id, author_id, version
		FROM record_deletes WHERE record_id IN `+inList, jsonList(records))
	if err != nil {
		return st, fmt.Errorf("load deletes: %w", err)
	}
	if st.Deletes, err = collect(dels, func(r *sql.Rows) (server.DeleteRow, error) {
		var d server.DeleteRow
		err := r.Scan(&d.MutationID, &d.HouseholdID, &d.RecordID, &d.Stamp, &d.Seen, &d.DeviceID, &d.AuthorID, &d.Version)
		return d, err
	}); err != nil {
		return st, err
	}
	cs, err := queryConflicts(ctx, tx, `WHERE record_id IN `+inList+` OR id IN `+inList, jsonList(records), jsonList(conflicts))
	if err != nil {
		return st, err
	}
	for _, c := range cs {
		st.Conflicts[c.ID] = *c
	}
	return st, nil
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func queryWrites(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]server.WriteRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT household_id, record_id, field, mutation_id, value, stamp, seen, device_id, author_id, is_current, version
		FROM field_writes `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("load field writes: %w", err)
	}
	return collect(rows, func(r *sql.Rows) (server.WriteRow, error) {
		var w server.WriteRow
		err := r.Scan(&w.HouseholdID, &w.RecordID, &w.Field, &w.MutationID, &w.Value, &w.Stamp, &w.Seen, &w.DeviceID, &w.AuthorID, &w.Current, &w.Version)
		return w, err
	})
}

func queryConflicts(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]*change.Conflict, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, household_id, record_id, field, mutation_id, value, stamp, device_id, author_id,
		overwritten_by, resolved, version FROM conflicts `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("load conflicts: %w", err)
	}
	return collect(rows, func(r *sql.Rows) (*change.Conflict, error) {
		var c change.Conflict
		err := r.Scan(&c.ID, &c.HouseholdID, &c.RecordID, &c.Field, &c.MutationID, &c.Value, &c.Stamp, &c.DeviceID, &c.AuthorID,
			&c.OverwrittenBy, &c.Resolved, &c.Version)
		return &c, err
	})
}

// writeChanges writes a planned push. SQLite runs in-process, so a prepared statement per
// row costs microseconds and no round trip; the PostgreSQL engine writes the same rows with
// set-based statements.
func writeChanges(ctx context.Context, tx *sql.Tx, ch server.Changes, now time.Time) error {
	type stmt struct {
		q    string
		rows [][]any
	}
	var stmts []stmt
	add := func(q string, rows [][]any) { stmts = append(stmts, stmt{q, rows}) }
	var rows [][]any
	for _, m := range ch.Mutations {
		rows = append(rows, []any{m.MutationID, m.HouseholdID, m.DeviceID, m.ProfessionalID, m.Outcome, m.Reason, m.Detail, m.Version})
	}
	add(`INSERT INTO sync_mutations (id, household_id, device_id, professional_id, outcome, reason, detail, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, rows)
	rows = nil
	for _, w := range ch.Writes {
		rows = append(rows, []any{w.HouseholdID, w.RecordID, w.Field, w.MutationID, w.Value, w.Stamp.Int64(), w.Seen.Int64(), w.DeviceID, w.AuthorID, boolInt(w.Current), w.Version})
	}
	add(`INSERT INTO field_writes (household_id, record_id, field, mutation_id, value, stamp, seen, device_id, author_id, is_current, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, rows)
	rows = nil
	for _, c := range ch.Current {
		rows = append(rows, []any{c.MutationID, c.Version, c.MutationID, c.RecordID, c.Field})
	}
	add(`UPDATE field_writes SET version = CASE WHEN mutation_id = ? AND is_current = 0 THEN ? ELSE version END,
		is_current = (mutation_id = ?) WHERE record_id = ? AND field = ?`, rows)
	rows = nil
	for _, d := range ch.Deletes {
		rows = append(rows, []any{d.MutationID, d.HouseholdID, d.RecordID, d.Stamp.Int64(), d.Seen.Int64(), d.DeviceID, d.AuthorID, d.Version})
	}
	add(`INSERT INTO record_deletes (mutation_id, household_id, record_id, stamp, seen, device_id, author_id, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, rows)
	rows = nil
	for _, r := range ch.Records {
		rows = append(rows, []any{r.ID, r.HouseholdID, string(r.Section), boolInt(r.Deleted), r.Version, micros(now), micros(now), r.UpdatedBy})
	}
	add(`INSERT INTO plan_entries (id, household_id, section, deleted, version, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, version = excluded.version, updated_at = excluded.updated_at,
		  updated_by = excluded.updated_by`, rows)
	rows = nil
	for _, id := range ch.Revived {
		rows = append(rows, []any{id, id})
	}
	add(`UPDATE field_writes SET version = (SELECT version FROM plan_entries WHERE id = ?) WHERE record_id = ? AND is_current = 1`, rows)
	rows = nil
	for _, c := range ch.Conflicts {
		rows = append(rows, []any{c.ID, c.HouseholdID, c.RecordID, c.Field, c.MutationID, c.Value, c.Stamp.Int64(), c.DeviceID, c.AuthorID, c.OverwrittenBy, boolInt(c.Resolved), c.Version})
	}
	add(`INSERT INTO conflicts (id, household_id, record_id, field, mutation_id, value, stamp, device_id, author_id, overwritten_by, resolved, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET overwritten_by = excluded.overwritten_by, resolved = excluded.resolved, version = excluded.version`, rows)
	rows = nil
	for _, c := range ch.CheckIns {
		rows = append(rows, []any{c.ID, c.HouseholdID, c.ScheduleID, c.Channel, c.Outcome, c.Note, c.RecordedBy, micros(c.RecordedAt), c.Version})
	}
	add(`INSERT INTO check_ins (`+checkInColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, rows)

	for _, st := range stmts {
		if len(st.rows) == 0 {
			continue
		}
		prep, err := tx.PrepareContext(ctx, st.q)
		if err != nil {
			return fmt.Errorf("prepare sync write: %w", err)
		}
		for _, args := range st.rows {
			if _, err := prep.ExecContext(ctx, args...); err != nil {
				prep.Close()
				return fmt.Errorf("sync write: %w", err)
			}
		}
		prep.Close()
	}
	return checkInEffects(ctx, tx, ch.CheckIns, now)
}

// PlanEntryUpsert implements store.Store as a sync edit by the server.
func (s *Store) PlanEntryUpsert(ctx context.Context, p store.PlanEntryUpsertParams) (*store.PlanEntry, error) {
	return s.entryMutation(ctx, p.Entry.HouseholdID, p.Entry.ID, p.Now, func(st server.State, id string) change.Mutation {
		return server.EntryReplace(st, server.Replace{MutationID: id, HouseholdID: p.Entry.HouseholdID, RecordID: p.Entry.ID, Section: p.Entry.Section, Fields: p.Entry.Fields, Author: p.UpdatedBy, Now: p.Now})
	})
}

// PlanEntryDelete implements store.Store as a sync delete by the server.
func (s *Store) PlanEntryDelete(ctx context.Context, p store.PlanEntryDeleteParams) (*store.PlanEntry, error) {
	return s.entryMutation(ctx, p.HouseholdID, p.EntryID, p.Now, func(st server.State, id string) change.Mutation {
		return server.EntryDelete(st, server.Remove{MutationID: id, HouseholdID: p.HouseholdID, RecordID: p.EntryID, Author: p.UpdatedBy, Now: p.Now})
	})
}

func (s *Store) entryMutation(ctx context.Context, householdID, entryID string, now time.Time, build func(server.State, string) change.Mutation) (*store.PlanEntry, error) {
	var out *store.PlanEntry
	err := s.tx(ctx, func(tx *sql.Tx) error {
		probe := []change.Mutation{{ID: uuid.NewString(), HouseholdID: householdID, Kind: change.KindEdit, RecordID: entryID}}
		st, err := loadSyncState(ctx, tx, probe, now)
		if err != nil {
			return err
		}
		m := build(st, probe[0].ID)
		ch := server.Plan(st, []change.Mutation{m})
		if err := store.EntryResultError(ch.Results[0]); err != nil {
			return err
		}
		if err := writeChanges(ctx, tx, ch, now); err != nil {
			return err
		}
		entries, err := listEntries(ctx, tx, `WHERE e.id = ?`, entryID)
		if err != nil {
			return err
		}
		if len(entries) != 1 {
			return fmt.Errorf("plan entry %s: %w", entryID, store.ErrNotFound)
		}
		out = entries[0]
		return nil
	})
	return out, err
}

// PlanEntryList implements store.Store.
func (s *Store) PlanEntryList(ctx context.Context, p store.PlanEntryListParams) ([]*store.PlanEntry, error) {
	where := `WHERE e.household_id = ?`
	if !p.IncludeDeleted {
		where += ` AND e.deleted = 0`
	}
	return listEntries(ctx, s.read, where, p.HouseholdID)
}

// listEntries loads entries with their current, non-empty fields, ordered by id.
func listEntries(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]*store.PlanEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT e.id, e.household_id, e.section, e.deleted, e.version, e.created_at, e.updated_at, e.updated_by,
		f.field, f.value FROM plan_entries e LEFT JOIN field_writes f ON f.record_id = e.id AND f.is_current = 1 AND f.value <> ''
		`+where+` ORDER BY e.id, f.field`, args...)
	if err != nil {
		return nil, fmt.Errorf("list plan entries: %w", err)
	}
	defer rows.Close()
	var out []*store.PlanEntry
	for rows.Next() {
		var e store.PlanEntry
		var created, updated int64
		var field, value sql.NullString
		if err := rows.Scan(&e.ID, &e.HouseholdID, &e.Section, &e.Deleted, &e.Version, &created, &updated, &e.UpdatedBy, &field, &value); err != nil {
			return nil, fmt.Errorf("scan plan entry: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != e.ID {
			e.CreatedAt, e.UpdatedAt, e.Fields = fromMicros(created), fromMicros(updated), map[string]string{}
			out = append(out, &e)
		}
		if field.Valid {
			out[len(out)-1].Fields[field.String] = value.String
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list plan entries: %w", err)
	}
	return out, nil
}

// SyncPull implements store.Store.
func (s *Store) SyncPull(ctx context.Context, p store.SyncPullParams) (*store.SyncPage, error) {
	return store.Pull(ctx, p, s.HouseholdListVisible, func(ctx context.Context, h *store.Household, after int64) (*store.HouseholdChanges, error) {
		return s.householdChanges(ctx, h, after)
	})
}

func (s *Store) householdChanges(ctx context.Context, h *store.Household, after int64) (*store.HouseholdChanges, error) {
	hc := &store.HouseholdChanges{Household: h}
	rows, err := s.read.QueryContext(ctx, `SELECT id, section, deleted, version FROM plan_entries WHERE household_id = ? AND version > ? ORDER BY id`, h.ID, after)
	if err != nil {
		return nil, fmt.Errorf("pull records of %s: %w", h.ID, err)
	}
	if hc.Records, err = collect(rows, func(r *sql.Rows) (*store.SyncRecord, error) {
		var rec store.SyncRecord
		err := r.Scan(&rec.ID, &rec.Section, &rec.Deleted, &rec.Version)
		return &rec, err
	}); err != nil {
		return nil, err
	}
	fields, err := queryWrites(ctx, s.read, `WHERE household_id = ? AND version > ? AND is_current = 1 ORDER BY record_id, field`, h.ID, after)
	if err != nil {
		return nil, err
	}
	byID := map[string]*store.SyncRecord{}
	for _, r := range hc.Records {
		byID[r.ID] = r
	}
	for _, f := range fields {
		if r := byID[f.RecordID]; r != nil {
			r.Fields = append(r.Fields, store.FieldState{Field: f.Field, Value: f.Value, Stamp: f.Stamp, DeviceID: f.DeviceID})
		}
	}
	if hc.Conflicts, err = queryConflicts(ctx, s.read, `WHERE household_id = ? AND version > ?`, h.ID, after); err != nil {
		return nil, err
	}
	cis, err := s.read.QueryContext(ctx, `SELECT `+checkInColumns+` FROM check_ins WHERE household_id = ? AND version > ? ORDER BY version, id`, h.ID, after)
	if err != nil {
		return nil, fmt.Errorf("pull check-ins of %s: %w", h.ID, err)
	}
	if hc.CheckIns, err = collect(cis, func(r *sql.Rows) (*change.CheckIn, error) { return scanCheckIn(r) }); err != nil {
		return nil, err
	}
	scs, err := s.read.QueryContext(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE household_id = ? AND version > ? ORDER BY version, id`, h.ID, after)
	if err != nil {
		return nil, fmt.Errorf("pull schedules of %s: %w", h.ID, err)
	}
	if hc.Schedules, err = collect(scs, func(r *sql.Rows) (*store.Schedule, error) { return scanSchedule(r) }); err != nil {
		return nil, err
	}
	return hc, nil
}

// SyncMutationLog implements store.Store.
func (s *Store) SyncMutationLog(ctx context.Context, ids []string) (map[string]change.Result, error) {
	out := map[string]change.Result{}
	for start := 0; start < len(ids); start += 10000 {
		rows, err := s.read.QueryContext(ctx, `SELECT id, outcome, reason, detail FROM sync_mutations WHERE id IN `+inList, jsonList(ids[start:min(start+10000, len(ids))]))
		if err != nil {
			return nil, fmt.Errorf("read mutation log: %w", err)
		}
		if _, err := collect(rows, func(r *sql.Rows) (bool, error) {
			var m change.Result
			err := r.Scan(&m.MutationID, &m.Outcome, &m.Reason, &m.Detail)
			out[m.MutationID] = m
			return true, err
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
