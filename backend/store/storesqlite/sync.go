package storesqlite

import (
	"context"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storesqlite/internal/dbsqlc"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
	"github.com/veilig/veilig/sync/server"
)

func syncRecord(e dbsqlc.PlanEntryListChangedRow) *store.SyncRecord {
	return &store.SyncRecord{ID: e.ID, Section: e.Section, Deleted: e.Deleted, Version: e.Version}
}

func conflict(c dbsqlc.Conflict) *change.Conflict {
	return &change.Conflict{ID: c.ID, HouseholdID: c.HouseholdID, RecordID: c.RecordID, Field: c.Field, MutationID: c.MutationID,
		Value: c.Value, Stamp: hlc.Timestamp(c.Stamp), DeviceID: c.DeviceID, AuthorID: c.AuthorID,
		OverwrittenBy: c.OverwrittenBy, Resolved: c.Resolved, Version: c.Version}
}

func writeRow(w dbsqlc.FieldWrite) server.WriteRow {
	return server.WriteRow{HouseholdID: w.HouseholdID, RecordID: w.RecordID, Field: w.Field, MutationID: w.MutationID,
		Value: w.Value, Stamp: hlc.Timestamp(w.Stamp), Seen: hlc.Timestamp(w.Seen), DeviceID: w.DeviceID,
		AuthorID: w.AuthorID, Current: w.Current, Version: w.Version}
}

// MutationLogGetMany implements store.Executor.
func (e *executor) MutationLogGetMany(ctx context.Context, ids []string) ([]server.Logged, error) {
	return store.All(res, "read mutation log", func(r dbsqlc.MutationLogGetManyRow) server.Logged { return server.Logged(r) })(e.q.MutationLogGetMany(ctx, jsonList(ids)))
}

// MutationLogInsertMany implements store.Executor: one statement.
func (e *executor) MutationLogInsertMany(ctx context.Context, rows []server.MutationRow) error {
	return res.Err("append mutation log", e.q.MutationLogInsertMany(ctx, jsonRows(rows, func(m server.MutationRow) []any {
		return []any{m.MutationID, m.HouseholdID, m.DeviceID, m.ProfessionalID, m.Outcome, m.Reason, m.Detail, m.Version}
	})))
}

// PlanEntryHeaderGetMany implements store.Executor.
func (e *executor) PlanEntryHeaderGetMany(ctx context.Context, ids []string) ([]server.Record, error) {
	return store.All(res, "read plan entry headers", func(r dbsqlc.PlanEntryHeaderGetManyRow) server.Record { return server.Record(r) })(e.q.PlanEntryHeaderGetMany(ctx, jsonList(ids)))
}

// PlanEntryHeaderUpsertMany implements store.Executor: one statement.
func (e *executor) PlanEntryHeaderUpsertMany(ctx context.Context, p store.PlanEntryHeaderUpsertManyParams) error {
	return res.Err("upsert plan entry headers", e.q.PlanEntryHeaderUpsertMany(ctx, dbsqlc.PlanEntryHeaderUpsertManyParams{
		Rows: jsonRows(p.Records, func(r server.Record) []any {
			return []any{r.ID, r.HouseholdID, r.Section, r.Deleted, r.Version, r.UpdatedBy}
		}), Now: micros(p.Now)}))
}

// PlanEntryList implements store.Executor: the query returns one row per current field, which
// this gathers into one entry per id.
func (e *executor) PlanEntryList(ctx context.Context, p store.PlanEntryListParams) ([]*store.PlanEntry, error) {
	rows, err := e.q.PlanEntryList(ctx, dbsqlc.PlanEntryListParams{HouseholdID: p.HouseholdID,
		IncludeDeleted: p.IncludeDeleted, EntryID: p.EntryID})
	if err != nil {
		return nil, res.Err("list plan entries", err)
	}
	var out []*store.PlanEntry
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ID != r.PlanEntry.ID {
			out = append(out, planEntry(r.PlanEntry))
		}
		if r.Field != nil && r.Value != nil {
			out[len(out)-1].Fields[*r.Field] = *r.Value
		}
	}
	return out, nil
}

func planEntry(e dbsqlc.PlanEntry) *store.PlanEntry {
	return &store.PlanEntry{ID: e.ID, HouseholdID: e.HouseholdID, Section: change.Section(e.Section), Fields: map[string]string{},
		Deleted: e.Deleted, Version: e.Version, CreatedAt: fromMicros(e.CreatedAt), UpdatedAt: fromMicros(e.UpdatedAt),
		UpdatedBy: e.UpdatedBy}
}

// PlanEntryListChanged implements store.Executor.
func (e *executor) PlanEntryListChanged(ctx context.Context, p store.ChangedParams) ([]*store.SyncRecord, error) {
	return store.All(res, "list changed plan entries", syncRecord)(e.q.PlanEntryListChanged(ctx, dbsqlc.PlanEntryListChangedParams{
		HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}

// FieldWriteListByRecords implements store.Executor.
func (e *executor) FieldWriteListByRecords(ctx context.Context, recordIDs []string) ([]server.WriteRow, error) {
	return store.All(res, "read field writes", writeRow)(e.q.FieldWriteListByRecords(ctx, jsonList(recordIDs)))
}

// FieldWriteListChanged implements store.Executor.
func (e *executor) FieldWriteListChanged(ctx context.Context, p store.ChangedParams) ([]store.RecordField, error) {
	return store.All(res, "list changed field writes", func(f dbsqlc.FieldWriteListChangedRow) store.RecordField {
		return store.RecordField{RecordID: f.RecordID, Field: f.Field, Value: f.Value, Stamp: hlc.Timestamp(f.Stamp), DeviceID: f.DeviceID}
	})(e.q.FieldWriteListChanged(ctx, dbsqlc.FieldWriteListChangedParams{
		HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}

// FieldWriteInsertMany implements store.Executor: one statement.
func (e *executor) FieldWriteInsertMany(ctx context.Context, rows []server.WriteRow) error {
	return res.Err("insert field writes", e.q.FieldWriteInsertMany(ctx, jsonRows(rows, func(w server.WriteRow) []any {
		return []any{w.HouseholdID, w.RecordID, w.Field, w.MutationID, w.Value, w.Stamp.Int64(), w.Seen.Int64(),
			w.DeviceID, w.AuthorID, w.Current, w.Version}
	})))
}

// FieldWriteSupersedeMany implements store.Executor: one statement.
func (e *executor) FieldWriteSupersedeMany(ctx context.Context, rows []server.WriteKey) error {
	return res.Err("supersede field writes", e.q.FieldWriteSupersedeMany(ctx, jsonRows(rows, func(k server.WriteKey) []any {
		return []any{k.RecordID, k.Field, k.MutationID}
	})))
}

// FieldWriteReviveMany implements store.Executor: one statement per write.
func (e *executor) FieldWriteReviveMany(ctx context.Context, rows []server.WriteVersion) error {
	return each("revive field write", rows, func(r server.WriteVersion) error {
		return e.q.FieldWriteRevive(ctx, dbsqlc.FieldWriteReviveParams{RecordID: r.RecordID, Field: r.Field, MutationID: r.MutationID, Version: r.Version})
	})
}

// RecordDeleteListByRecords implements store.Executor.
func (e *executor) RecordDeleteListByRecords(ctx context.Context, recordIDs []string) ([]server.DeleteRow, error) {
	return store.All(res, "read record deletes", func(d dbsqlc.RecordDelete) server.DeleteRow {
		return server.DeleteRow{MutationID: d.MutationID, HouseholdID: d.HouseholdID, RecordID: d.RecordID,
			Stamp: hlc.Timestamp(d.Stamp), Seen: hlc.Timestamp(d.Seen), DeviceID: d.DeviceID, AuthorID: d.AuthorID, Version: d.Version}
	})(e.q.RecordDeleteListByRecords(ctx, jsonList(recordIDs)))
}

// RecordDeleteInsertMany implements store.Executor: one statement.
func (e *executor) RecordDeleteInsertMany(ctx context.Context, rows []server.DeleteRow) error {
	return res.Err("insert record deletes", e.q.RecordDeleteInsertMany(ctx, jsonRows(rows, func(d server.DeleteRow) []any {
		return []any{d.MutationID, d.HouseholdID, d.RecordID, d.Stamp.Int64(), d.Seen.Int64(), d.DeviceID, d.AuthorID, d.Version}
	})))
}

// ConflictListByRecordsOrIDs implements store.Executor.
func (e *executor) ConflictListByRecordsOrIDs(ctx context.Context, recordIDs, ids []string) ([]*change.Conflict, error) {
	return store.All(res, "read conflicts", conflict)(e.q.ConflictListByRecordsOrIDs(ctx, dbsqlc.ConflictListByRecordsOrIDsParams{
		RecordIDs: jsonList(recordIDs), IDs: jsonList(ids)}))
}

// ConflictListChanged implements store.Executor.
func (e *executor) ConflictListChanged(ctx context.Context, p store.ChangedParams) ([]*change.Conflict, error) {
	return store.All(res, "list changed conflicts", conflict)(e.q.ConflictListChanged(ctx, dbsqlc.ConflictListChangedParams{
		HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}

// ConflictUpsertMany implements store.Executor: one statement.
func (e *executor) ConflictUpsertMany(ctx context.Context, rows []change.Conflict) error {
	return res.Err("upsert conflicts", e.q.ConflictUpsertMany(ctx, jsonRows(rows, func(c change.Conflict) []any {
		return []any{c.ID, c.HouseholdID, c.RecordID, c.Field, c.MutationID, c.Value, c.Stamp.Int64(), c.DeviceID,
			c.AuthorID, c.OverwrittenBy, c.Resolved, c.Version}
	})))
}

// ChangeSizeList implements store.Executor.
func (e *executor) ChangeSizeList(ctx context.Context, p store.ChangedParams) ([]store.VersionSize, error) {
	return store.All(res, "size changes", func(r dbsqlc.ChangeSizeListRow) store.VersionSize { return store.VersionSize(r) })(e.q.ChangeSizeList(ctx, dbsqlc.ChangeSizeListParams{
		HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}
