package client

import (
	"context"
	"encoding/json"
	"time"

	"github.com/veilig/veilig/sync/change"
)

// Phone is the face of a Replica for gomobile: every method takes and returns only strings,
// integers, booleans, byte slices and errors, which `gomobile bind` maps to Java/Kotlin and
// Objective-C/Swift. Structured results travel as JSON. The app supplies Storage and
// Transport implementations (gomobile binds Go interfaces so that the app can implement them
// natively) or uses the Go ones.
type Phone struct {
	r *Replica
}

// NewPhone opens a replica for the app.
func NewPhone(deviceID string, storage Storage, transport Transport) (*Phone, error) {
	r, err := Open(context.Background(), deviceID, storage, transport, time.Now)
	if err != nil {
		return nil, err
	}
	return &Phone{r: r}, nil
}

// SetField edits one field of a plan entry and returns the mutation id. section is needed
// when the entry is new: one of the change.Section names ("danger", "safety_goal",
// "agreement", "network_person", "warning_signal", "crisis_contact", "review"); the server
// rejects any other. It is a plain string here, as every parameter of Phone, for gomobile.
func (p *Phone) SetField(household, record, section, field, value string) (string, error) {
	return p.r.Edit(context.Background(), household, record, change.Section(section), map[string]string{field: value})
}

// DeleteEntry deletes a plan entry.
func (p *Phone) DeleteEntry(household, record string) (string, error) {
	return p.r.Delete(context.Background(), household, record)
}

// ResolveConflict marks a conflict handled.
func (p *Phone) ResolveConflict(household, conflictID string) (string, error) {
	return p.r.Resolve(context.Background(), household, conflictID)
}

// NewRecordID returns an id for a new plan entry.
func (p *Phone) NewRecordID() string { return NewID() }

// Sync pushes and pulls once; timeoutSeconds bounds it.
func (p *Phone) Sync(timeoutSeconds int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(timeoutSeconds)*time.Second)
	defer cancel()
	_, err := p.r.Sync(ctx)
	return err
}

// Pending is the number of edits not yet acknowledged by the server.
func (p *Phone) Pending() int { return p.r.Pending() }

// HouseholdsJSON is the ids of the households on the device, as a JSON array.
func (p *Phone) HouseholdsJSON() []byte { return mustJSON(p.r.Households()) }

// EntriesJSON is a household's plan as {"record id": {"field": "value"}}, edits included.
func (p *Phone) EntriesJSON(household string) []byte { return mustJSON(p.r.Entries(household)) }

// ConflictsJSON is a household's unresolved conflicts as a JSON array.
func (p *Phone) ConflictsJSON(household string) []byte { return mustJSON(p.r.Conflicts(household)) }

// SchedulesJSON is a household's check-in schedules as a JSON array.
func (p *Phone) SchedulesJSON(household string) []byte { return mustJSON(p.r.Schedules(household)) }

// RejectedJSON is the mutations the server refused, as a JSON array.
func (p *Phone) RejectedJSON() []byte { return mustJSON(p.r.Rejected()) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("null") // only plain data is encoded here
	}
	return b
}
