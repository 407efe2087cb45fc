package store

import (
	"context"
	"math"
	"slices"

	"github.com/veilig/veilig/sync/server"
)

// DefaultPullBytes bounds a pull page when the device does not ask for a size.
const DefaultPullBytes = 256 << 10

// SyncPull returns a page of the changes of a professional's households after cursors.
// List the households the professional may see,
// evict the held ones that are no longer visible, and add the changes of every household whose
// version passed its cursor until the byte budget is spent.
//
// Why no change is missed: every write bumps its household's version in the writing
// transaction and stamps its rows with that version. A household version read here was
// committed together with every row at or below it, so the rows loaded afterwards for the
// range (cursor, version] are all of them; rows of a later transaction are above the range
// and come with the next pull.
//
// Why a page stays within MaxBytes (issue 13, point 1): a household is paged by version.
// ChangeSizeList estimates each version's rows without loading them, the page takes the
// longest run of versions that fits, and the household's cursor in the page is the last
// version taken, not the household's, so the device pulls the rest next. Every row of a
// version is in the same page, so a cursor never falls between the rows of one version; a
// push larger than server.VersionBytes spreads its rows over several versions (package
// sync/server), so any page of server.MinPageBytes or more holds at least one. A version
// larger than the page (only when MaxBytes is below that minimum, or rows written before
// versions were spread) is sent alone rather than never. Evictions that do not fit wait for
// the next page too.
func (db *DB) SyncPull(ctx context.Context, p SyncPullParams) (*SyncPage, error) {
	list := db.read().HouseholdListVisible
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
	used := pageAllowance
	for i, id := range page.Evicted {
		if used+8+len(id) > budget && i > 0 {
			page.Evicted, page.HasMore = page.Evicted[:i], true
			return page, nil
		}
		used += 8 + len(id)
	}
	for _, h := range visible {
		cursor, held := p.Cursors[h.ID]
		if held && h.Version <= cursor {
			continue
		}
		hc, err := db.householdPage(ctx, h, cursor, budget-used, len(page.Households) == 0)
		if err != nil {
			return nil, err
		}
		if hc == nil {
			page.HasMore = true
			break
		}
		page.Households = append(page.Households, hc)
		used += Size(hc)
		if hc.Household.Version < h.Version {
			page.HasMore = true
			break
		}
	}
	return page, nil
}

// pageAllowance is what a pull page costs besides its households: the server stamp, the
// has_more flag and framing.
const pageAllowance = 32

// householdPage loads the changes of one household after cursor that fit in room bytes, or
// nil when not even its first version fits and first is false (the next page starts with
// it). The returned household's Version is the cursor the device stores: the household's own
// version when everything fitted, else the last version loaded.
func (db *DB) householdPage(ctx context.Context, h *Household, cursor int64, room int, first bool) (*HouseholdChanges, error) {
	sizes, err := db.read().ChangeSizeList(ctx, ChangedParams{HouseholdID: h.ID, After: cursor, UpTo: h.Version})
	if err != nil {
		return nil, err
	}
	// fit is how many of sizes' versions fit in room, after the household's own header.
	fit, sum := 0, int64(Size(&HouseholdChanges{Household: h}))
	for fit < len(sizes) && sum+sizes[fit].Bytes <= int64(room) {
		sum += sizes[fit].Bytes
		fit++
	}
	if sum > int64(room) || (fit == 0 && len(sizes) > 0) {
		if !first {
			return nil, nil
		}
		// One write larger than a whole page: it goes alone (see SyncPull).
		fit = min(1, len(sizes))
	}
	for {
		upTo := h.Version
		if fit < len(sizes) {
			upTo = sizes[fit-1].Version
		}
		hc, err := db.householdChanges(ctx, h, cursor, upTo)
		if err != nil {
			return nil, err
		}
		// A record header comes along with its fields even when its own version is later, so
		// the loaded page can be larger than the estimate: take fewer versions until it fits.
		if Size(hc) > room && fit <= 1 && !first {
			return nil, nil
		}
		if Size(hc) <= room || fit <= 1 {
			cut := *h
			cut.Version = upTo
			hc.Household = &cut
			return hc, nil
		}
		fit /= 2
	}
}

// Size estimates the encoded size of a household's changes: the strings plus a fixed
// allowance per item for ids, numbers and framing.
func Size(hc *HouseholdChanges) int {
	// 128: the household's header and its cursor in the response.
	n := 128 + len(hc.Household.Code) + len(hc.Household.TeamID)
	for _, r := range hc.Records {
		n += server.HeaderBytes(r.ID, r.Section)
		for _, f := range r.Fields {
			n += server.FieldBytes(f.Field, f.Value, f.DeviceID)
		}
	}
	for _, c := range hc.Conflicts {
		n += server.ConflictBytes(*c)
	}
	for _, c := range hc.CheckIns {
		n += server.CheckInBytes(*c)
	}
	for _, s := range hc.Schedules {
		n += 96 + len(s.ID) + len(s.Rule) + len(s.TimeZone) + len(s.Channel) + len(s.LeadProfessionalID)
	}
	return n
}

// householdChanges loads what changed in one household in the version range (after, upTo]: record headers with
// their current fields, conflicts, check-ins and schedules.
func (db *DB) householdChanges(ctx context.Context, h *Household, after, upTo int64) (*HouseholdChanges, error) {
	ex, p := db.read(), ChangedParams{HouseholdID: h.ID, After: after, UpTo: upTo}
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

// HouseholdSize estimates what a first pull of the household would send (Size's allowances),
// from the size query, without loading its rows: the measure of the per-household storage
// quota. It reads every current row's length, so callers cache it.
func (db *DB) HouseholdSize(ctx context.Context, householdID string) (int64, error) {
	sizes, err := db.read().ChangeSizeList(ctx, ChangedParams{HouseholdID: householdID, After: 0, UpTo: math.MaxInt64})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, s := range sizes {
		n += s.Bytes
	}
	return n, nil
}
