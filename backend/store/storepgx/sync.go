package storepgx

import (
	"context"
	"fmt"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storepgx/internal/dbsqlc"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/server"
)

// What sync stores: queries/sync.sql. Every …Many method is one statement whatever the
// length of its slice. Its rows are generated as sync/server's and sync/change's types
// (sqlc.yaml), so most convert by a plain Go conversion.

func syncRecord(r dbsqlc.PlanEntryListChangedRow) *store.SyncRecord {
	return &store.SyncRecord{ID: r.ID, Section: r.Section, Deleted: r.Deleted, Version: r.Version}
}

func fieldWrite(r dbsqlc.FieldWrite) server.WriteRow { return server.WriteRow(r) }

func conflict(r dbsqlc.Conflict) *change.Conflict { c := change.Conflict(r); return &c }

// planEntries folds the rows of PlanEntryList, one per current field, into entries.
func planEntries(rows []dbsqlc.PlanEntryListRow) []*store.PlanEntry {
	var out []*store.PlanEntry
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ID != r.ID {
			out = append(out, &store.PlanEntry{ID: r.ID, HouseholdID: r.HouseholdID, Section: change.Section(r.Section),
				Fields: map[string]string{}, Deleted: r.Deleted, Version: r.Version, CreatedAt: r.CreatedAt,
				UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy})
		}
		if r.Field != nil && r.Value != nil {
			out[len(out)-1].Fields[*r.Field] = *r.Value
		}
	}
	return out
}

func (e executor) MutationLogGetMany(ctx context.Context, ids []string) ([]server.Logged, error) {
	return store.All(res, "read mutation log", func(r dbsqlc.MutationLogGetManyRow) server.Logged { return server.Logged(r) })(q.MutationLogGetMany(ctx, e.db, ids))
}

func (e executor) MutationLogInsertMany(ctx context.Context, rows []server.MutationRow) error {
	return res.Err(fmt.Sprintf("log %d mutations", len(rows)), q.MutationLogInsertMany(ctx, e.db, dbsqlc.MutationLogInsertManyParams{
		ID:             store.Column(rows, func(r server.MutationRow) string { return r.MutationID }),
		HouseholdID:    store.Column(rows, func(r server.MutationRow) string { return r.HouseholdID }),
		DeviceID:       store.Column(rows, func(r server.MutationRow) string { return r.DeviceID }),
		ProfessionalID: store.Column(rows, func(r server.MutationRow) string { return r.ProfessionalID }),
		Outcome:        store.Column(rows, func(r server.MutationRow) int32 { return int32(r.Outcome) }),
		Reason:         store.Column(rows, func(r server.MutationRow) int32 { return int32(r.Reason) }),
		Detail:         store.Column(rows, func(r server.MutationRow) string { return r.Detail }),
		Version:        store.Column(rows, func(r server.MutationRow) int64 { return r.Version }),
	}))
}

func (e executor) PlanEntryHeaderGetMany(ctx context.Context, ids []string) ([]server.Record, error) {
	return store.All(res, "load plan entry headers", func(r dbsqlc.PlanEntryHeaderGetManyRow) server.Record { return server.Record(r) })(q.PlanEntryHeaderGetMany(ctx, e.db, ids))
}

func (e executor) PlanEntryHeaderUpsertMany(ctx context.Context, p store.PlanEntryHeaderUpsertManyParams) error {
	rs := p.Records
	return res.Err(fmt.Sprintf("write %d plan entry headers", len(rs)), q.PlanEntryHeaderUpsertMany(ctx, e.db, dbsqlc.PlanEntryHeaderUpsertManyParams{
		ID:          store.Column(rs, func(r server.Record) string { return r.ID }),
		HouseholdID: store.Column(rs, func(r server.Record) string { return r.HouseholdID }),
		Section:     store.Column(rs, func(r server.Record) string { return string(r.Section) }),
		Deleted:     store.Column(rs, func(r server.Record) bool { return r.Deleted }),
		Version:     store.Column(rs, func(r server.Record) int64 { return r.Version }),
		UpdatedBy:   store.Column(rs, func(r server.Record) string { return r.UpdatedBy }),
		Now:         p.Now,
	}))
}

func (e executor) PlanEntryList(ctx context.Context, p store.PlanEntryListParams) ([]*store.PlanEntry, error) {
	return store.One(res, "list plan entries of "+p.HouseholdID, planEntries)(q.PlanEntryList(ctx, e.db, dbsqlc.PlanEntryListParams{
		HouseholdID: p.HouseholdID, IncludeDeleted: p.IncludeDeleted, EntryID: p.EntryID}))
}

func (e executor) PlanEntryListChanged(ctx context.Context, p store.ChangedParams) ([]*store.SyncRecord, error) {
	return store.All(res, "pull records of "+p.HouseholdID, syncRecord)(q.PlanEntryListChanged(ctx, e.db,
		dbsqlc.PlanEntryListChangedParams{HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}

func (e executor) FieldWriteListByRecords(ctx context.Context, recordIDs []string) ([]server.WriteRow, error) {
	return store.All(res, "load field writes", fieldWrite)(q.FieldWriteListByRecords(ctx, e.db, recordIDs))
}

func (e executor) FieldWriteListChanged(ctx context.Context, p store.ChangedParams) ([]store.RecordField, error) {
	return store.All(res, "pull fields of "+p.HouseholdID, func(r dbsqlc.FieldWriteListChangedRow) store.RecordField { return store.RecordField(r) })(q.FieldWriteListChanged(ctx, e.db,
		dbsqlc.FieldWriteListChangedParams{HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}

func (e executor) FieldWriteInsertMany(ctx context.Context, rows []server.WriteRow) error {
	return res.Err(fmt.Sprintf("write %d fields", len(rows)), q.FieldWriteInsertMany(ctx, e.db, dbsqlc.FieldWriteInsertManyParams{
		HouseholdID: store.Column(rows, func(r server.WriteRow) string { return r.HouseholdID }),
		RecordID:    store.Column(rows, func(r server.WriteRow) string { return r.RecordID }),
		Field:       store.Column(rows, func(r server.WriteRow) string { return r.Field }),
		MutationID:  store.Column(rows, func(r server.WriteRow) string { return r.MutationID }),
		Value:       store.Column(rows, func(r server.WriteRow) string { return r.Value }),
		Stamp:       store.Column(rows, func(r server.WriteRow) int64 { return r.Stamp.Int64() }),
		Seen:        store.Column(rows, func(r server.WriteRow) int64 { return r.Seen.Int64() }),
		DeviceID:    store.Column(rows, func(r server.WriteRow) string { return r.DeviceID }),
		AuthorID:    store.Column(rows, func(r server.WriteRow) string { return r.AuthorID }),
		Current:     store.Column(rows, func(r server.WriteRow) bool { return r.Current }),
		Version:     store.Column(rows, func(r server.WriteRow) int64 { return r.Version }),
	}))
}

func (e executor) FieldWriteSupersedeMany(ctx context.Context, rows []server.WriteKey) error {
	return res.Err(fmt.Sprintf("supersede %d field writes", len(rows)), q.FieldWriteSupersedeMany(ctx, e.db, dbsqlc.FieldWriteSupersedeManyParams{
		RecordID:   store.Column(rows, func(r server.WriteKey) string { return r.RecordID }),
		Field:      store.Column(rows, func(r server.WriteKey) string { return r.Field }),
		MutationID: store.Column(rows, func(r server.WriteKey) string { return r.MutationID }),
	}))
}

func (e executor) FieldWriteReviveMany(ctx context.Context, rows []server.WriteVersion) error {
	return res.Err(fmt.Sprintf("revive %d field writes", len(rows)), q.FieldWriteReviveMany(ctx, e.db, dbsqlc.FieldWriteReviveManyParams{
		RecordID:   store.Column(rows, func(r server.WriteVersion) string { return r.RecordID }),
		Field:      store.Column(rows, func(r server.WriteVersion) string { return r.Field }),
		MutationID: store.Column(rows, func(r server.WriteVersion) string { return r.MutationID }),
		Version:    store.Column(rows, func(r server.WriteVersion) int64 { return r.Version }),
	}))
}

func (e executor) RecordDeleteListByRecords(ctx context.Context, recordIDs []string) ([]server.DeleteRow, error) {
	return store.All(res, "load deletes", func(r dbsqlc.RecordDelete) server.DeleteRow { return server.DeleteRow(r) })(q.RecordDeleteListByRecords(ctx, e.db, recordIDs))
}

func (e executor) RecordDeleteInsertMany(ctx context.Context, rows []server.DeleteRow) error {
	return res.Err(fmt.Sprintf("write %d deletes", len(rows)), q.RecordDeleteInsertMany(ctx, e.db, dbsqlc.RecordDeleteInsertManyParams{
		MutationID:  store.Column(rows, func(r server.DeleteRow) string { return r.MutationID }),
		HouseholdID: store.Column(rows, func(r server.DeleteRow) string { return r.HouseholdID }),
		RecordID:    store.Column(rows, func(r server.DeleteRow) string { return r.RecordID }),
		Stamp:       store.Column(rows, func(r server.DeleteRow) int64 { return r.Stamp.Int64() }),
		Seen:        store.Column(rows, func(r server.DeleteRow) int64 { return r.Seen.Int64() }),
		DeviceID:    store.Column(rows, func(r server.DeleteRow) string { return r.DeviceID }),
		AuthorID:    store.Column(rows, func(r server.DeleteRow) string { return r.AuthorID }),
		Version:     store.Column(rows, func(r server.DeleteRow) int64 { return r.Version }),
	}))
}

func (e executor) ConflictListByRecordsOrIDs(ctx context.Context, recordIDs, ids []string) ([]*change.Conflict, error) {
	return store.All(res, "load conflicts", conflict)(q.ConflictListByRecordsOrIDs(ctx, e.db,
		dbsqlc.ConflictListByRecordsOrIDsParams{RecordIDs: recordIDs, IDs: ids}))
}

func (e executor) ConflictListChanged(ctx context.Context, p store.ChangedParams) ([]*change.Conflict, error) {
	return store.All(res, "pull conflicts of "+p.HouseholdID, conflict)(q.ConflictListChanged(ctx, e.db,
		dbsqlc.ConflictListChangedParams{HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}

func (e executor) ConflictUpsertMany(ctx context.Context, rows []change.Conflict) error {
	return res.Err(fmt.Sprintf("write %d conflicts", len(rows)), q.ConflictUpsertMany(ctx, e.db, dbsqlc.ConflictUpsertManyParams{
		ID:            store.Column(rows, func(c change.Conflict) string { return c.ID }),
		HouseholdID:   store.Column(rows, func(c change.Conflict) string { return c.HouseholdID }),
		RecordID:      store.Column(rows, func(c change.Conflict) string { return c.RecordID }),
		Field:         store.Column(rows, func(c change.Conflict) string { return c.Field }),
		MutationID:    store.Column(rows, func(c change.Conflict) string { return c.MutationID }),
		Value:         store.Column(rows, func(c change.Conflict) string { return c.Value }),
		Stamp:         store.Column(rows, func(c change.Conflict) int64 { return c.Stamp.Int64() }),
		DeviceID:      store.Column(rows, func(c change.Conflict) string { return c.DeviceID }),
		AuthorID:      store.Column(rows, func(c change.Conflict) string { return c.AuthorID }),
		OverwrittenBy: store.Column(rows, func(c change.Conflict) string { return c.OverwrittenBy }),
		Resolved:      store.Column(rows, func(c change.Conflict) bool { return c.Resolved }),
		Version:       store.Column(rows, func(c change.Conflict) int64 { return c.Version }),
	}))
}

func (e executor) ChangeSizeList(ctx context.Context, p store.ChangedParams) ([]store.VersionSize, error) {
	return store.All(res, "size the changes of "+p.HouseholdID, func(r dbsqlc.ChangeSizeListRow) store.VersionSize { return store.VersionSize(r) })(q.ChangeSizeList(ctx, e.db,
		dbsqlc.ChangeSizeListParams{HouseholdID: p.HouseholdID, After: p.After, UpTo: p.UpTo}))
}
