package mobile

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/client"
)

// household is the JSON of one household in HouseholdsJSON.
type household struct {
	ID   string `json:"id"`
	Code string `json:"code"`
}

// HouseholdsJSON lists the households on the device, sorted by id, as
// [{"id": "…", "code": "…"}]. A household has an opaque code, never a name: the app shows
// the code outside the household's own screens.
func (m *Replica) HouseholdsJSON() (string, error) {
	r, _, release, err := m.acquireShown()
	if err != nil {
		return "", err
	}
	defer release()
	out := []household{}
	for _, id := range r.Households() {
		out = append(out, household{ID: id, Code: r.Code(id)})
	}
	return toJSON(out)
}

// entry is the JSON of one plan entry in EntriesJSON.
type entry struct {
	ID      string            `json:"id"`
	Section string            `json:"section"`
	Fields  map[string]string `json:"fields"`
}

// EntriesJSON lists a household's plan entries as the user sees them, their own unsent edits
// included, sorted by id: [{"id": "…", "section": "agreement", "fields": {"name": "value"}}].
// Deleted entries and empty fields are left out. An unknown household gives [].
func (m *Replica) EntriesJSON(householdID string) (string, error) {
	r, _, release, err := m.acquireShown()
	if err != nil {
		return "", err
	}
	defer release()
	out := []entry{}
	for id, fields := range r.Entries(householdID) {
		out = append(out, entry{ID: id, Section: string(r.Section(householdID, id)), Fields: fields})
	}
	slices.SortFunc(out, func(a, b entry) int { return compare(a.ID, b.ID) })
	return toJSON(out)
}

// conflict is the JSON of one conflict in ConflictsJSON.
type conflict struct {
	ID            string `json:"id"`
	RecordID      string `json:"recordId"`
	Field         string `json:"field"`
	LosingValue   string `json:"losingValue"`
	AuthorID      string `json:"authorId"`
	OverwrittenBy string `json:"overwrittenBy"`
}

// ConflictsJSON lists a household's unresolved conflicts, sorted by id:
// [{"id", "recordId", "field", "losingValue", "authorId", "overwrittenBy"}]. losingValue is the
// value a concurrent edit overwrote; the entry's current value is in EntriesJSON. The app
// shows both until a person decides (edit the entry if needed, then ResolveConflict).
func (m *Replica) ConflictsJSON(householdID string) (string, error) {
	r, _, release, err := m.acquireShown()
	if err != nil {
		return "", err
	}
	defer release()
	out := []conflict{}
	for _, c := range r.Conflicts(householdID) {
		out = append(out, conflict{ID: c.ID, RecordID: c.RecordID, Field: c.Field, LosingValue: c.Value, AuthorID: c.AuthorID, OverwrittenBy: c.OverwrittenBy})
	}
	return toJSON(out)
}

// CheckInIDsJSON lists the ids of a household's check-ins the server has confirmed, each
// once, as a JSON array of strings.
func (m *Replica) CheckInIDsJSON(householdID string) (string, error) {
	r, _, release, err := m.acquireShown()
	if err != nil {
		return "", err
	}
	defer release()
	ids := r.CheckIns(householdID)
	if ids == nil {
		ids = []string{}
	}
	return toJSON(ids)
}

// RejectedJSON lists the edits the server refused, oldest first, as
// [{"mutationId", "reason", "detail"}], so the app can tell its user which edit did not go
// through (reason is a word such as "forbidden" or "invalid").
func (m *Replica) RejectedJSON() (string, error) {
	r, _, release, err := m.acquire()
	if err != nil {
		return "", err
	}
	defer release()
	type rejected struct {
		MutationID string `json:"mutationId"`
		Reason     string `json:"reason"`
		Detail     string `json:"detail"`
	}
	out := []rejected{}
	for _, res := range r.Rejected() {
		out = append(out, rejected{MutationID: res.MutationID, Reason: reasonName(res.Reason), Detail: res.Detail})
	}
	return toJSON(out)
}

// Pending is the number of local edits not yet answered by the server (0 when locked).
func (m *Replica) Pending() int {
	r, _, release, err := m.acquire()
	if err != nil {
		return 0
	}
	defer release()
	return r.Pending()
}

// SetField sets one field of a plan entry and returns the edit's id. section names the
// entry's section when the entry is new ("danger", "safety_goal", "agreement",
// "network_person", "warning_signal", "crisis_contact", "review") and may be empty for an
// existing one. An empty value clears the field. The edit shows at once and is sent at the
// next sync.
func (m *Replica) SetField(householdID, recordID, section, field, value string) (string, error) {
	return m.EditEntry(householdID, recordID, section, mustFieldsJSON(field, value))
}

func mustFieldsJSON(field, value string) string {
	b, _ := json.Marshal(map[string]string{field: value}) // a map of strings always encodes
	return string(b)
}

// EditEntry sets several fields of a plan entry at once, given as a JSON object
// {"field": "value"}, and returns the edit's id; see SetField.
func (m *Replica) EditEntry(householdID, recordID, section, fieldsJSON string) (string, error) {
	r, ctx, release, err := m.acquire()
	if err != nil {
		return "", err
	}
	defer release()
	var fields map[string]string
	if err := json.Unmarshal([]byte(fieldsJSON), &fields); err != nil {
		return "", fmt.Errorf("edit: fields are not a JSON object of strings: %w", err)
	}
	if section != "" && !change.Section(section).Valid() {
		return "", fmt.Errorf("edit: unknown section %q", section)
	}
	return r.Edit(ctx, householdID, recordID, change.Section(section), fields)
}

// DeleteEntry deletes a plan entry and returns the delete's id. A concurrent edit by a
// colleague that this device had not seen keeps the entry (edit beats delete).
func (m *Replica) DeleteEntry(householdID, recordID string) (string, error) {
	r, ctx, release, err := m.acquire()
	if err != nil {
		return "", err
	}
	defer release()
	return r.Delete(ctx, householdID, recordID)
}

// ResolveConflict marks a conflict handled, for the whole care team, and returns the
// resolution's id.
func (m *Replica) ResolveConflict(householdID, conflictID string) (string, error) {
	r, ctx, release, err := m.acquire()
	if err != nil {
		return "", err
	}
	defer release()
	return r.Resolve(ctx, householdID, conflictID)
}

// CheckIn records a check-in of a household, offline if need be, and returns its id.
// channel is "home_visit", "phone_call" or "family_link"; outcome is "safe", "concerns",
// "unsafe" or "no_contact". scheduleID may be empty for a check-in outside a schedule.
func (m *Replica) CheckIn(householdID, scheduleID, channel, outcome, note string) (string, error) {
	r, ctx, release, err := m.acquire()
	if err != nil {
		return "", err
	}
	defer release()
	if !slices.Contains(channels, channel) {
		return "", fmt.Errorf("check-in: unknown channel %q", channel)
	}
	if !slices.Contains(outcomes, outcome) {
		return "", fmt.Errorf("check-in: unknown outcome %q", outcome)
	}
	return r.RecordCheckIn(ctx, householdID, client.CheckIn{ScheduleID: scheduleID, Channel: channel, Outcome: outcome, Note: note})
}

var (
	channels = []string{"home_visit", "phone_call", "family_link"}
	outcomes = []string{"safe", "concerns", "unsafe", "no_contact"}
)

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// reasonName is the app's word for a rejection reason.
func reasonName(r change.Reason) string {
	switch r {
	case change.ReasonForbidden:
		return "forbidden"
	case change.ReasonInvalid:
		return "invalid"
	case change.ReasonNotFound:
		return "not_found"
	case change.ReasonIDInUse:
		return "id_in_use"
	}
	return "unknown"
}
