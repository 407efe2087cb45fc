package storepgx

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/server"
)

// SyncPush implements store.Store: one transaction, a fixed number of statements whatever
// the batch size (bump, load, then one set-based statement per kind of row).
func (s *Store) SyncPush(ctx context.Context, p store.SyncPushParams) ([]change.Result, error) {
	var results []change.Result
	err := s.tx(ctx, func(tx pgx.Tx) error {
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

// loadSyncState bumps the households with new mutations (locking them, in id order) and
// loads what the push touches.
func loadSyncState(ctx context.Context, tx pgx.Tx, muts []change.Mutation, now time.Time) (server.State, error) {
	records, conflicts, mutations := server.Keys(muts)
	st := server.State{Versions: map[string]int64{}, Known: map[string]change.Result{},
		Records: map[string]server.Record{}, Conflicts: map[string]change.Conflict{}}
	if records == nil {
		records = []string{}
	}
	if conflicts == nil {
		conflicts = []string{}
	}
	rows, _ := tx.Query(ctx, `SELECT id, outcome, reason, detail FROM sync_mutations WHERE id = ANY($1)`, mutations)
	if err := forEach(rows, func(r pgx.CollectableRow) error {
		var m change.Result
		err := r.Scan(&m.MutationID, &m.Outcome, &m.Reason, &m.Detail)
		st.Known[m.MutationID] = m
		return err
	}); err != nil {
		return st, fmt.Errorf("load mutation log: %w", err)
	}
	households := server.PendingHouseholds(muts, st.Known)
	// Row locks are taken in the order of the ids, so pushes that touch several households
	// cannot deadlock each other.
	if _, err := tx.Exec(ctx, `SELECT id FROM households WHERE id = ANY($1) ORDER BY id FOR UPDATE`, households); err != nil {
		return st, fmt.Errorf("lock households: %w", err)
	}
	// The same statement records the households for the devices' "please sync" pokes.
	rows, err := tx.Query(ctx, `WITH b AS (UPDATE households SET version = version + 1, updated_at = $2
		  WHERE id = ANY($1) RETURNING id, version),
		p AS (INSERT INTO sync_pokes (household_id, version) SELECT id, version FROM b
		  ON CONFLICT (household_id) DO UPDATE SET version = excluded.version)
		SELECT id, version FROM b`, households, now.UTC())
	if err != nil {
		return st, fmt.Errorf("bump households: %w", err)
	}
	if err := forEach(rows, func(r pgx.CollectableRow) error {
		var id string
		var v int64
		err := r.Scan(&id, &v)
		st.Versions[id] = v
		return err
	}); err != nil {
		return st, fmt.Errorf("bump households: %w", err)
	}
	rows, _ = tx.Query(ctx, `SELECT id, household_id, section, deleted, version, updated_by FROM plan_entries WHERE id = ANY($1)`, records)
	if err := forEach(rows, func(r pgx.CollectableRow) error {
		var rec server.Record
		err := r.Scan(&rec.ID, &rec.HouseholdID, &rec.Section, &rec.Deleted, &rec.Version, &rec.UpdatedBy)
		st.Records[rec.ID] = rec
		return err
	}); err != nil {
		return st, fmt.Errorf("load records: %w", err)
	}
	if st.Writes, err = queryWrites(ctx, tx, `WHERE record_id = ANY($1)`, records); err != nil {
		return st, err
	}
	rows, _ = tx.Query(ctx, `SELECT mutation_id, household_id, record_id, stamp, seen, device_id, author_id, version
		FROM record_deletes WHERE record_id = ANY($1)`, records)
	if st.Deletes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.DeleteRow, error) {
		var d server.DeleteRow
		err := r.Scan(&d.MutationID, &d.HouseholdID, &d.RecordID, &d.Stamp, &d.Seen, &d.DeviceID, &d.AuthorID, &d.Version)
		return d, err
	}); err != nil {
		return st, fmt.Errorf("load deletes: %w", err)
	}
	cs, err := queryConflicts(ctx, tx, `WHERE record_id = ANY($1) OR id = ANY($2)`, records, conflicts)
	if err != nil {
		return st, err
	}
	for _, c := range cs {
		st.Conflicts[c.ID] = *c
	}
	return st, nil
}

func forEach(rows pgx.Rows, f func(pgx.CollectableRow) error) error {
	_, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) { return struct{}{}, f(r) })
	return err
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryWrites(ctx context.Context, q querier, where string, args ...any) ([]server.WriteRow, error) {
	rows, _ := q.Query(ctx, `SELECT household_id, record_id, field, mutation_id, value, stamp, seen, device_id, author_id, is_current, version
		FROM field_writes `+where, args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.WriteRow, error) {
		var w server.WriteRow
		err := r.Scan(&w.HouseholdID, &w.RecordID, &w.Field, &w.MutationID, &w.Value, &w.Stamp, &w.Seen, &w.DeviceID, &w.AuthorID, &w.Current, &w.Version)
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("load field writes: %w", err)
	}
	return out, nil
}

func queryConflicts(ctx context.Context, q querier, where string, args ...any) ([]*change.Conflict, error) {
	rows, _ := q.Query(ctx, `SELECT id, household_id, record_id, field, mutation_id, value, stamp, device_id, author_id,
		overwritten_by, resolved, version FROM conflicts `+where+` ORDER BY id`, args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*change.Conflict, error) {
		var c change.Conflict
		err := r.Scan(&c.ID, &c.HouseholdID, &c.RecordID, &c.Field, &c.MutationID, &c.Value, &c.Stamp, &c.DeviceID, &c.AuthorID,
			&c.OverwrittenBy, &c.Resolved, &c.Version)
		return &c, err
	})
	if err != nil {
		return nil, fmt.Errorf("load conflicts: %w", err)
	}
	return out, nil
}

// column collects one column of a set-based statement.
func column[T, R any](rows []T, f func(T) R) []R {
	out := make([]R, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

// writeChanges writes a planned push with one set-based statement per kind of row, sent as
// one pipelined batch.
func writeChanges(ctx context.Context, tx pgx.Tx, ch server.Changes, now time.Time) error {
	b := &pgx.Batch{}
	if m := ch.Mutations; len(m) > 0 {
		b.Queue(`INSERT INTO sync_mutations (id, household_id, device_id, professional_id, outcome, reason, detail, version)
			SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::INT4[], $6::INT4[], $7::TEXT[], $8::BIGINT[])`,
			column(m, func(r server.MutationRow) string { return r.MutationID }),
			column(m, func(r server.MutationRow) string { return r.HouseholdID }),
			column(m, func(r server.MutationRow) string { return r.DeviceID }),
			column(m, func(r server.MutationRow) string { return r.ProfessionalID }),
			column(m, func(r server.MutationRow) int32 { return int32(r.Outcome) }),
			column(m, func(r server.MutationRow) int32 { return int32(r.Reason) }),
			column(m, func(r server.MutationRow) string { return r.Detail }),
			column(m, func(r server.MutationRow) int64 { return r.Version }))
	}
	if w := ch.Writes; len(w) > 0 {
		b.Queue(`INSERT INTO field_writes (household_id, record_id, field, mutation_id, value, stamp, seen, device_id, author_id, is_current, version)
			SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], $7::BIGINT[], $8::TEXT[], $9::TEXT[], $10::BOOL[], $11::BIGINT[])`,
			column(w, func(r server.WriteRow) string { return r.HouseholdID }),
			column(w, func(r server.WriteRow) string { return r.RecordID }),
			column(w, func(r server.WriteRow) string { return r.Field }),
			column(w, func(r server.WriteRow) string { return r.MutationID }),
			column(w, func(r server.WriteRow) string { return r.Value }),
			column(w, func(r server.WriteRow) int64 { return r.Stamp.Int64() }),
			column(w, func(r server.WriteRow) int64 { return r.Seen.Int64() }),
			column(w, func(r server.WriteRow) string { return r.DeviceID }),
			column(w, func(r server.WriteRow) string { return r.AuthorID }),
			column(w, func(r server.WriteRow) bool { return r.Current }),
			column(w, func(r server.WriteRow) int64 { return r.Version }))
	}
	if c := ch.Current; len(c) > 0 {
		b.Queue(`UPDATE field_writes AS f SET
			  version = CASE WHEN f.mutation_id = u.winner AND NOT f.is_current THEN u.version ELSE f.version END,
			  is_current = (f.mutation_id = u.winner)
			FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[]) AS u (record_id, field, winner, version)
			WHERE f.record_id = u.record_id AND f.field = u.field AND (f.is_current OR f.mutation_id = u.winner)`,
			column(c, func(r server.Current) string { return r.RecordID }),
			column(c, func(r server.Current) string { return r.Field }),
			column(c, func(r server.Current) string { return r.MutationID }),
			column(c, func(r server.Current) int64 { return r.Version }))
	}
	if d := ch.Deletes; len(d) > 0 {
		b.Queue(`INSERT INTO record_deletes (mutation_id, household_id, record_id, stamp, seen, device_id, author_id, version)
			SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[], $6::TEXT[], $7::TEXT[], $8::BIGINT[])`,
			column(d, func(r server.DeleteRow) string { return r.MutationID }),
			column(d, func(r server.DeleteRow) string { return r.HouseholdID }),
			column(d, func(r server.DeleteRow) string { return r.RecordID }),
			column(d, func(r server.DeleteRow) int64 { return r.Stamp.Int64() }),
			column(d, func(r server.DeleteRow) int64 { return r.Seen.Int64() }),
			column(d, func(r server.DeleteRow) string { return r.DeviceID }),
			column(d, func(r server.DeleteRow) string { return r.AuthorID }),
			column(d, func(r server.DeleteRow) int64 { return r.Version }))
	}
	if r := ch.Records; len(r) > 0 {
		b.Queue(`INSERT INTO plan_entries (id, household_id, section, deleted, version, created_at, updated_at, updated_by)
			SELECT u.id, u.household_id, u.section, u.deleted, u.version, $6, $6, u.updated_by
			FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BOOL[], $5::BIGINT[], $7::TEXT[]) AS u (id, household_id, section, deleted, version, updated_by)
			ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, version = excluded.version, updated_at = excluded.updated_at,
			  updated_by = excluded.updated_by`,
			column(r, func(x server.Record) string { return x.ID }),
			column(r, func(x server.Record) string { return x.HouseholdID }),
			column(r, func(x server.Record) string { return string(x.Section) }),
			column(r, func(x server.Record) bool { return x.Deleted }),
			column(r, func(x server.Record) int64 { return x.Version }),
			now.UTC(),
			column(r, func(x server.Record) string { return x.UpdatedBy }))
	}
	if len(ch.Revived) > 0 {
		b.Queue(`UPDATE field_writes AS f SET version = e.version FROM plan_entries AS e
			WHERE e.id = ANY($1) AND f.record_id = e.id AND f.is_current`, ch.Revived)
	}
	if c := ch.Conflicts; len(c) > 0 {
		b.Queue(`INSERT INTO conflicts (id, household_id, record_id, field, mutation_id, value, stamp, device_id, author_id, overwritten_by, resolved, version)
			SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::BIGINT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::BOOL[], $12::BIGINT[])
			ON CONFLICT (id) DO UPDATE SET overwritten_by = excluded.overwritten_by, resolved = excluded.resolved, version = excluded.version`,
			column(c, func(x change.Conflict) string { return x.ID }),
			column(c, func(x change.Conflict) string { return x.HouseholdID }),
			column(c, func(x change.Conflict) string { return x.RecordID }),
			column(c, func(x change.Conflict) string { return x.Field }),
			column(c, func(x change.Conflict) string { return x.MutationID }),
			column(c, func(x change.Conflict) string { return x.Value }),
			column(c, func(x change.Conflict) int64 { return x.Stamp.Int64() }),
			column(c, func(x change.Conflict) string { return x.DeviceID }),
			column(c, func(x change.Conflict) string { return x.AuthorID }),
			column(c, func(x change.Conflict) string { return x.OverwrittenBy }),
			column(c, func(x change.Conflict) bool { return x.Resolved }),
			column(c, func(x change.Conflict) int64 { return x.Version }))
	}
	if c := ch.CheckIns; len(c) > 0 {
		b.Queue(`INSERT INTO check_ins (`+checkInColumns+`)
			SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TIMESTAMPTZ[], $9::BIGINT[])
			ON CONFLICT (id) DO NOTHING`,
			column(c, func(x change.CheckIn) string { return x.ID }),
			column(c, func(x change.CheckIn) string { return x.HouseholdID }),
			column(c, func(x change.CheckIn) string { return x.ScheduleID }),
			column(c, func(x change.CheckIn) string { return x.Channel }),
			column(c, func(x change.CheckIn) string { return x.Outcome }),
			column(c, func(x change.CheckIn) string { return x.Note }),
			column(c, func(x change.CheckIn) string { return x.RecordedBy }),
			column(c, func(x change.CheckIn) time.Time { return x.RecordedAt.UTC() }),
			column(c, func(x change.CheckIn) int64 { return x.Version }))
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("sync write: %w", err)
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
	mutationID := uuid.NewString()
	err := s.tx(ctx, func(tx pgx.Tx) error {
		probe := []change.Mutation{{ID: mutationID, HouseholdID: householdID, Kind: change.KindEdit, RecordID: entryID}}
		st, err := loadSyncState(ctx, tx, probe, now)
		if err != nil {
			return err
		}
		ch := server.Plan(st, []change.Mutation{build(st, mutationID)})
		if err := store.EntryResultError(ch.Results[0]); err != nil {
			return err
		}
		if err := writeChanges(ctx, tx, ch, now); err != nil {
			return err
		}
		entries, err := listEntries(ctx, tx, `WHERE e.id = $1`, entryID)
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
	where := `WHERE e.household_id = $1`
	if !p.IncludeDeleted {
		where += ` AND NOT e.deleted`
	}
	return listEntries(ctx, s.pool, where, p.HouseholdID)
}

// listEntries loads entries with their current, non-empty fields, ordered by id.
func listEntries(ctx context.Context, q querier, where string, args ...any) ([]*store.PlanEntry, error) {
	rows, err := q.Query(ctx, `SELECT e.id, e.household_id, e.section, e.deleted, e.version, e.created_at, e.updated_at, e.updated_by,
		f.field, f.value FROM plan_entries e LEFT JOIN field_writes f ON f.record_id = e.id AND f.is_current AND f.value <> ''
		`+where+` ORDER BY e.id, f.field`, args...)
	if err != nil {
		return nil, fmt.Errorf("list plan entries: %w", err)
	}
	var out []*store.PlanEntry
	err = forEach(rows, func(r pgx.CollectableRow) error {
		var e store.PlanEntry
		var field, value *string
		if err := r.Scan(&e.ID, &e.HouseholdID, &e.Section, &e.Deleted, &e.Version, &e.CreatedAt, &e.UpdatedAt, &e.UpdatedBy, &field, &value); err != nil {
			return err
		}
		if len(out) == 0 || out[len(out)-1].ID != e.ID {
			e.CreatedAt, e.UpdatedAt, e.Fields = utc(e.CreatedAt), utc(e.UpdatedAt), map[string]string{}
			out = append(out, &e)
		}
		if field != nil {
			out[len(out)-1].Fields[*field] = *value
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list plan entries: %w", err)
	}
	return out, nil
}

// SyncPull implements store.Store.
func (s *Store) SyncPull(ctx context.Context, p store.SyncPullParams) (*store.SyncPage, error) {
	return store.Pull(ctx, p, s.HouseholdListVisible, s.householdChanges)
}

func (s *Store) householdChanges(ctx context.Context, h *store.Household, after int64) (*store.HouseholdChanges, error) {
	hc := &store.HouseholdChanges{Household: h}
	rows, _ := s.pool.Query(ctx, `SELECT id, section, deleted, version FROM plan_entries WHERE household_id = $1 AND version > $2 ORDER BY id`, h.ID, after)
	var err error
	if hc.Records, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.SyncRecord, error) {
		var rec store.SyncRecord
		err := r.Scan(&rec.ID, &rec.Section, &rec.Deleted, &rec.Version)
		return &rec, err
	}); err != nil {
		return nil, fmt.Errorf("pull records of %s: %w", h.ID, err)
	}
	fields, err := queryWrites(ctx, s.pool, `WHERE household_id = $1 AND version > $2 AND is_current ORDER BY record_id, field`, h.ID, after)
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
	if hc.Conflicts, err = queryConflicts(ctx, s.pool, `WHERE household_id = $1 AND version > $2`, h.ID, after); err != nil {
		return nil, err
	}
	rows, _ = s.pool.Query(ctx, `SELECT `+checkInColumns+` FROM check_ins WHERE household_id = $1 AND version > $2 ORDER BY version, id`, h.ID, after)
	if hc.CheckIns, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*change.CheckIn, error) { return scanCheckIn(r) }); err != nil {
		return nil, fmt.Errorf("pull check-ins of %s: %w", h.ID, err)
	}
	rows, _ = s.pool.Query(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE household_id = $1 AND version > $2 ORDER BY version, id`, h.ID, after)
	if hc.Schedules, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.Schedule, error) { return scanSchedule(r) }); err != nil {
		return nil, fmt.Errorf("pull schedules of %s: %w", h.ID, err)
	}
	return hc, nil
}

// SyncMutationLog implements store.Store.
func (s *Store) SyncMutationLog(ctx context.Context, ids []string) (map[string]change.Result, error) {
	out := map[string]change.Result{}
	for start := 0; start < len(ids); start += 10000 {
		rows, _ := s.pool.Query(ctx, `SELECT id, outcome, reason, detail FROM sync_mutations WHERE id = ANY($1)`, ids[start:min(start+10000, len(ids))])
		if err := forEach(rows, func(r pgx.CollectableRow) error {
			var m change.Result
			err := r.Scan(&m.MutationID, &m.Outcome, &m.Reason, &m.Detail)
			out[m.MutationID] = m
			return err
		}); err != nil {
			return nil, fmt.Errorf("read mutation log: %w", err)
		}
	}
	return out, nil
}
