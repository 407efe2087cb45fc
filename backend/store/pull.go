package store

import (
	"context"
	"slices"
)

// DefaultPullBytes bounds a pull page when the device does not ask for a size.
const DefaultPullBytes = 256 << 10

// SyncPull implements Store: list the households the professional may see,
// evict the held ones that are no longer visible, and add the changes of every household whose
// version passed its cursor until the byte budget is spent.
//
// Why no change is missed: every write bumps its household's version in the writing
// transaction and stamps its rows with that version. A household version read here was
// committed together with every row at or below it, so the rows loaded afterwards include all
// of them; rows of a later transaction may come along too (their version is above the new
// cursor, so they are simply sent again next time, and applying them twice changes nothing).
func (db *DB) SyncPull(ctx context.Context, p SyncPullParams) (*SyncPage, error) {
	list, changes := db.read().HouseholdListVisible, db.householdChanges
	var visible []*Household
	after := ""
	for {
		batch, err := list(ctx, HouseholdListVisibleParams{ProfessionalID: p.ProfessionalID, AfterID: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		visible = append(visible, batch...)
		if len(batch) < 500 {
			break
		}
		after = batch[len(batch)-1].ID
	}
	page := &SyncPage{}
	seen := make(map[string]bool, len(visible))
	for _, h := range visible {
		seen[h.ID] = true
	}
	for id := range p.Cursors {
		if !seen[id] {
			page.Evicted = append(page.Evicted, id)
		}
	}
	slices.Sort(page.Evicted)

	budget := p.MaxBytes
	if budget <= 0 {
		budget = DefaultPullBytes
	}
	used := 0
	for _, h := range visible {
		cursor, held := p.Cursors[h.ID]
		if held && h.Version <= cursor {
			continue
		}
		if used >= budget {
			page.HasMore = true
			break
		}
		hc, err := changes(ctx, h, cursor)
		if err != nil {
			return nil, err
		}
		size := Size(hc)
		if used > 0 && used+size > budget {
			page.HasMore = true
			break
		}
		page.Households = append(page.Households, hc)
		used += size
	}
	return page, nil
}

// Size estimates the encoded size of a household's changes: the strings plus a fixed
// allowance per item for ids, numbers and framing.
func Size(hc *HouseholdChanges) int {
	n := 64 + len(hc.Household.Code) + len(hc.Household.TeamID)
	for _, r := range hc.Records {
		n += 48 + len(r.ID) + len(r.Section)
		for _, f := range r.Fields {
			n += 24 + len(f.Field) + len(f.Value) + len(f.DeviceID)
		}
	}
	for _, c := range hc.Conflicts {
		n += 64 + len(c.ID) + len(c.RecordID) + len(c.Field) + len(c.Value) + len(c.DeviceID) + len(c.AuthorID) + len(c.OverwrittenBy)
	}
	for _, c := range hc.CheckIns {
		n += 64 + len(c.ID) + len(c.ScheduleID) + len(c.Note) + len(c.RecordedBy)
	}
	for _, s := range hc.Schedules {
		n += 96 + len(s.ID) + len(s.Rule) + len(s.TimeZone) + len(s.Channel) + len(s.LeadProfessionalID)
	}
	return n
}

// householdChanges loads what changed in one household after a cursor: record headers with
// their current fields, conflicts, check-ins and schedules.
func (db *DB) householdChanges(ctx context.Context, h *Household, after int64) (*HouseholdChanges, error) {
	ex, p := db.read(), ChangedParams{HouseholdID: h.ID, After: after}
	hc := &HouseholdChanges{Household: h}
	var err error
	if hc.Records, err = ex.PlanEntryListChanged(ctx, p); err != nil {
		return nil, err
	}
	fields, err := ex.FieldWriteListChanged(ctx, p)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*SyncRecord, len(hc.Records))
	for _, r := range hc.Records {
		byID[r.ID] = r
	}
	for _, f := range fields {
		if r := byID[f.RecordID]; r != nil {
			r.Fields = append(r.Fields, FieldState{Field: f.Field, Value: f.Value, Stamp: f.Stamp, DeviceID: f.DeviceID})
		}
	}
	if hc.Conflicts, err = ex.ConflictListChanged(ctx, p); err != nil {
		return nil, err
	}
	if hc.CheckIns, err = ex.CheckInListChanged(ctx, p); err != nil {
		return nil, err
	}
	if hc.Schedules, err = ex.ScheduleListChanged(ctx, p); err != nil {
		return nil, err
	}
	return hc, nil
}
