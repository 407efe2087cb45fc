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

// MutationLogInsertMany implements store.Executor.
func (e *executor) MutationLogInsertMany(ctx context.Context, rows []server.MutationRow) error {
	return each("append mutation log", rows, func(m server.MutationRow) error {
		return e.q.MutationLogInsert(ctx, dbsqlc.MutationLogInsertParams{ID: m.MutationID, HouseholdID: m.HouseholdID,
			DeviceID: m.DeviceID, ProfessionalID: m.ProfessionalID, Outcome: m.Outcome, Reason: m.Reason,
			Detail: m.Detail, Version: m.Version})
	})
}

// PlanEntryHeaderGetMany implements store.Executor.
func (e *executor) PlanEntryHeaderGetMany(ctx context.Context, ids []string) ([]server.Record, error) {
	return store.All(res, "read plan entry headers", func(r dbsqlc.PlanEntryHeaderGetManyRow) server.Record { return server.Record(r) })(e.q.PlanEntryHeaderGetMany(ctx, jsonList(ids)))
}

// PlanEntryHeaderUpsertMany implements store.Executor.
func (e *executor) PlanEntryHeaderUpsertMany(ctx context.Context, p store.PlanEntryHeaderUpsertManyParams) error {
	return each("upsert plan entry header", p.Records, func(r server.Record) error {
		return e.q.PlanEntryHeaderUpsert(ctx, dbsqlc.PlanEntryHeaderUpsertParams{ID: r.ID, HouseholdID: r.HouseholdID,
			Section: r.Section, Deleted: r.Deleted, Version: r.Version, Now: micros(p.Now), UpdatedBy: r.UpdatedBy})
	})
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

// FieldWriteInsertMany implements store.Executor.
func (e *executor) FieldWriteInsertMany(ctx context.Context, rows []server.WriteRow) error {
	return each("insert field write", rows, func(w server.WriteRow) error {
		return e.q.FieldWriteInsert(ctx, dbsqlc.FieldWriteInsertParams{HouseholdID: w.HouseholdID, RecordID: w.RecordID,
			Field: w.Field, MutationID: w.MutationID, Value: w.Value, Stamp: w.Stamp.Int64(), Seen: w.Seen.Int64(),
			DeviceID: w.DeviceID, AuthorID: w.AuthorID, Current: w.Current, Version: w.Version})
	})
}

// FieldWriteSupersedeMany implements store.Executor.
func (e *executor) FieldWriteSupersedeMany(ctx context.Context, rows []server.WriteKey) error {
	return each("supersede field write", rows, func(k server.WriteKey) error {
		return e.q.FieldWriteSupersede(ctx, dbsqlc.FieldWriteSupersedeParams{RecordID: k.RecordID, Field: k.Field, MutationID: k.MutationID})
	})
}

// FieldWriteReviveMany implements store.Executor.
func (e *executor) FieldWriteReviveMany(ctx context.Context, recordIDs []string) error {
	return res.Err("revive field writes", e.q.FieldWriteReviveMany(ctx, jsonList(recordIDs)))
}

// RecordDeleteListByRecords implements store.Executor.
func (e *executor) RecordDeleteListByRecords(ctx context.Context, recordIDs []string) ([]server.DeleteRow, error) {
	return store.All(res, "read record deletes", func(d dbsqlc.RecordDelete) server.DeleteRow {
		return server.DeleteRow{MutationID: d.MutationID, HouseholdID: d.HouseholdID, RecordID: d.RecordID,
			Stamp: hlc.Timestamp(d.Stamp), Seen: hlc.Timestamp(d.Seen), DeviceID: d.DeviceID, AuthorID: d.AuthorID, Version: d.Version}
	})(e.q.RecordDeleteListByRecords(ctx, jsonList(recordIDs)))
}

// RecordDeleteInsertMany implements store.Executor.
func (e *executor) RecordDeleteInsertMany(ctx context.Context, rows []server.DeleteRow) error {
	return each("insert record delete", rows, func(d server.DeleteRow) error {
		return e.q.RecordDeleteInsert(ctx, dbsqlc.RecordDeleteInsertParams{MutationID: d.MutationID, HouseholdID: d.HouseholdID,
			RecordID: d.RecordID, Stamp: d.Stamp.Int64(), Seen: d.Seen.Int64(), DeviceID: d.DeviceID, AuthorID: d.AuthorID,
			Version: d.Version})
	})
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

// ConflictUpsertMany implements store.Executor.
func (e *executor) ConflictUpsertMany(ctx context.Context, rows []change.Conflict) error {
	return each("upsert conflict", rows, func(c change.Conflict) error {
		return e.q.ConflictUpsert(ctx, dbsqlc.ConflictUpsertParams{ID: c.ID, HouseholdID: c.HouseholdID, RecordID: c.RecordID,
			Field: c.Field, MutationID: c.MutationID, Value: c.Value, Stamp: c.Stamp.Int64(), DeviceID: c.DeviceID,
			AuthorID: c.AuthorID, OverwrittenBy: c.OverwrittenBy, Resolved: c.Resolved, Version: c.Version})
	})
}

// ChangeSizeList implements store.Executor.
func (e *executor) ChangeSizeList(ctx context.Context, p store.ChangedParams) ([]store.VersionSize, error) {
	return store.All(res, "size changes", func(r dbsqlc.ChangeSizeListRow) store.VersionSize { return store.VersionSize(r) })(e.q.ChangeSizeList(ctx, dbsqlc.ChangeSizeListParams{
		HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}
