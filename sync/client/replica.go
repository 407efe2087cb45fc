// Package client is the replica a phone runs: its households' plans as the server last sent
// them, an outbox of offline edits that survives restarts, and the push/pull loop that keeps
// both in step with the server (the protocol of veilig.v1.SyncService).
//
// The app edits through the Replica at any time, online or not: an edit shows at once and is
// queued with a fresh HLC stamp and the stamp of the value it replaced. Sync pushes the outbox
// in order and then pulls until the server has nothing more. A mutation leaves the outbox only
// when the server has answered it, so a lost answer or a killed app re-sends it, and the
// server applies it once. Rejections and conflicts are kept for the app to show; a household
// the user may no longer see is deleted from the device at the next pull.
//
// # What the phone computes, and what it does not
//
// The phone does not merge. The server merges every push with the rules of package
// sync/merge (in package sync/server), and a pull brings back the merged records, which
// replace what the phone held: a phone that has pulled a household up to a version holds the
// same records (Snapshot) as every other phone at that version, whatever order the edits
// reached the server in. That is
// the convergence of the sync contract, and it needs no merge code on the phone.
//
// What the phone computes is its local view and the input the merge needs:
//
//   - The local view is the server's state with the phone's own edits and deletes that no
//     pull has brought back yet on top, newest last: those queued in the outbox and those
//     answered but not yet pulled (State.Sent). So an edit shows at once, even one that the
//     merge will let a concurrent edit beat; the next pull then shows the winner, and the
//     phone's value comes back as a conflict record.
//   - Each write carries a stamp from a hybrid logical clock that observes every stamp the
//     server sends, so an edit made after seeing a value is stamped after it, and Seen, the
//     stamp of the value the local view showed for that field (0 for none). A delete carries
//     as Seen the highest stamp of the entry the view showed. The server decides conflicts and
//     deletes from these: a Seen below a value the user had in fact seen would make a false
//     conflict, or keep an entry the user deleted, which is why the view keeps answered edits
//     until they are pulled.
//
// # Embedding in an app
//
// An app does not use this package directly: package mobile (sync/client/mobile) is its face
// for gomobile, with the SQLite storage, the Connect transport, a Subscribe stream and the
// phone's schedule view wired in, and an API of strings, integers and callbacks that gobind
// binds for Java/Kotlin and Objective-C/Swift (docs/mobile.md). Go programs (the simulator,
// tests) use Replica with their own Storage and Transport.
package client

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

// State is everything a replica keeps. It is exported for Storage implementations.
type State struct {
	DeviceID   string
	Clock      hlc.Timestamp // the last stamp issued or observed
	Cursors    map[string]int64
	Households map[string]*Household
	Outbox     []Mutation
	// Sent holds the edits and deletes the server has answered (not rejected) that no pull
	// has brought back yet. The local view keeps them on top of the server's state until a
	// pull includes their household, so that the phone neither shows an older value meanwhile
	// nor stamps its next edit of the field with a Seen that misses its own write (which the
	// server would take for a concurrent edit and record as a conflict; for a delete, keep the
	// entry). Absent from states saved before it existed.
	Sent     []Mutation `json:",omitempty"`
	Rejected []change.Result
	// LastContact is the replica's time of its last successful pull, and Lease the lease
	// that pull carried (lease.go). Zero before the first pull.
	LastContact time.Time `json:",omitzero"`
	Lease       Lease     `json:",omitzero"`
	// Erased is why the data was erased (ErasedAccessEnded, ErasedLeaseExpired); "" while
	// it holds data.
	Erased string `json:",omitempty"`
}

// Household is a household's data on the device.
type Household struct {
	Code      string
	Records   map[string]*StoredRecord
	Conflicts map[string]Conflict
	CheckIns  []string
	Schedules map[string]Schedule
}

// StoredRecord is a plan entry as the server last sent it.
type StoredRecord struct {
	Section change.Section
	Deleted bool
	Fields  map[string]Field
}

// Replica is a phone's replica. It is safe for concurrent use.
type Replica struct {
	mu        sync.Mutex
	st        *State
	clock     *hlc.Clock
	storage   Storage
	transport Transport
	syncing   sync.Mutex
	now       func() time.Time
}

// BatchSize is the most mutations one push carries (the server's limit).
const BatchSize = 1000

// Open loads the replica from storage, or starts an empty one for deviceID. now is the
// replica's clock (time.Now when nil): its HLC and its offline lease (lease.go) read it. A
// replica whose lease's second period has run out is erased here.
func Open(ctx context.Context, deviceID string, storage Storage, transport Transport, now func() time.Time) (*Replica, error) {
	st, err := storage.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load replica: %w", err)
	}
	if st == nil {
		st = &State{DeviceID: deviceID}
	}
	if st.Cursors == nil {
		st.Cursors = map[string]int64{}
	}
	if st.Households == nil {
		st.Households = map[string]*Household{}
	}
	// Versions before check-ins were kept once saved every id a pull brought, repeats
	// included: such a state is mended as it loads, so the app never lists a check-in twice.
	for _, h := range st.Households {
		if h != nil {
			h.CheckIns = uniqueInOrder(h.CheckIns)
		}
	}
	if now == nil {
		now = time.Now
	}
	clock := hlc.NewClock(now)
	clock.Observe(st.Clock)
	r := &Replica{st: st, clock: clock, storage: storage, transport: transport, now: now}
	// A replica opened after the second period of its lease is erased before anything reads it.
	if err := r.CheckLease(ctx); err != nil && !errors.Is(err, ErrErased) && !errors.Is(err, ErrLeaseExpired) {
		return nil, err
	}
	return r, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// uniqueInOrder returns ids with every repeat after the first left out, in their order (nil
// for none, so a stored state keeps its form). A household's check-ins grow for years, so it
// keeps a set instead of searching the list for each id.
func uniqueInOrder(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

// NewID returns a random UUID, for new records.
func NewID() string { return newID() }

// local lists the phone's own mutations the server's state does not show yet, oldest first:
// those sent and answered, then those queued.
func (r *Replica) local() []Mutation { return slices.Concat(r.st.Sent, r.st.Outbox) }

// view returns a field's local value and stamp: the newest own write not yet pulled back,
// else the server's.
func (r *Replica) view(household, record, field string) (Field, bool) {
	local := r.local()
	for i := len(local) - 1; i >= 0; i-- {
		m := local[i]
		if m.HouseholdID != household || m.RecordID != record || m.Kind != change.KindEdit {
			continue
		}
		for _, w := range m.Writes {
			if w.Field == field {
				return Field{Value: w.Value, Stamp: w.Stamp, DeviceID: r.st.DeviceID}, true
			}
		}
	}
	if h := r.st.Households[household]; h != nil {
		if rec := h.Records[record]; rec != nil {
			f, ok := rec.Fields[field]
			return f, ok
		}
	}
	return Field{}, false
}

// enqueue appends a mutation to the outbox and saves.
func (r *Replica) enqueue(ctx context.Context, m Mutation) (string, error) {
	if r.st.Erased != "" {
		return "", ErrErased
	}
	if r.locked() {
		return "", ErrLeaseExpired
	}
	r.st.Outbox = append(r.st.Outbox, m)
	r.st.Clock = r.clock.Last()
	if err := r.storage.Save(ctx, r.st); err != nil {
		r.st.Outbox = r.st.Outbox[:len(r.st.Outbox)-1]
		return "", fmt.Errorf("save edit: %w", err)
	}
	return m.ID, nil
}

// Edit sets fields of a plan entry (creating it with section when new) and returns the
// mutation id. An empty value clears a field.
func (r *Replica) Edit(ctx context.Context, household, record string, section change.Section, fields map[string]string) (string, error) {
	if len(fields) == 0 {
		return "", errors.New("edit: no fields")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	stamp := r.clock.Now()
	m := Mutation{ID: newID(), HouseholdID: household, Kind: change.KindEdit, RecordID: record, Section: section}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	slices.Sort(names)
	for _, f := range names {
		cur, _ := r.view(household, record, f)
		m.Writes = append(m.Writes, change.FieldWrite{Field: f, Value: fields[f], Stamp: stamp, Seen: cur.Stamp})
	}
	return r.enqueue(ctx, m)
}

// Delete deletes a plan entry, having seen what the device holds of it.
func (r *Replica) Delete(ctx context.Context, household, record string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var seen hlc.Timestamp
	for _, f := range r.entry(household, record) {
		seen = max(seen, f.Stamp)
	}
	return r.enqueue(ctx, Mutation{ID: newID(), HouseholdID: household, Kind: change.KindDelete, RecordID: record, Stamp: r.clock.Now(), Seen: seen})
}

// Resolve marks a conflict handled.
func (r *Replica) Resolve(ctx context.Context, household, conflictID string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.enqueue(ctx, Mutation{ID: newID(), HouseholdID: household, Kind: change.KindResolve, ConflictID: conflictID})
}

// RecordCheckIn queues a check-in.
func (r *Replica) RecordCheckIn(ctx context.Context, household string, c CheckIn) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.enqueue(ctx, Mutation{ID: newID(), HouseholdID: household, Kind: change.KindCheckIn, Stamp: r.clock.Now(), CheckIn: c})
}

// entry is the local view of a record's fields (server state with the outbox on top).
func (r *Replica) entry(household, record string) map[string]Field {
	out := map[string]Field{}
	if h := r.st.Households[household]; h != nil {
		if rec := h.Records[record]; rec != nil {
			for f, v := range rec.Fields {
				out[f] = v
			}
		}
	}
	for _, m := range r.local() {
		if m.HouseholdID == household && m.RecordID == record && m.Kind == change.KindEdit {
			for _, w := range m.Writes {
				out[w.Field] = Field{Value: w.Value, Stamp: w.Stamp, DeviceID: r.st.DeviceID}
			}
		}
	}
	return out
}

// Entry returns the local view of a plan entry's non-empty fields; ok is false for an entry
// the device does not hold or that is deleted.
func (r *Replica) Entry(household, record string) (fields map[string]string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	deleted, known := false, false
	if h := r.shown()[household]; h != nil {
		if rec := h.Records[record]; rec != nil {
			known, deleted = true, rec.Deleted
		}
	}
	for _, m := range r.shownLocal() {
		if m.HouseholdID == household && m.RecordID == record {
			known = true
			deleted = m.Kind == change.KindDelete
		}
	}
	if !known || deleted {
		return nil, false
	}
	fields = map[string]string{}
	for f, v := range r.entry(household, record) {
		if v.Value != "" {
			fields[f] = v.Value
		}
	}
	return fields, true
}

// Entries is the local view of a household's plan: record id → non-empty fields, the
// server's state with the phone's own edits and deletes that no pull has brought back yet
// (queued, or answered and in Sent) on top.
func (r *Replica) Entries(household string) map[string]map[string]string {
	r.mu.Lock()
	ids := map[string]bool{}
	if h := r.shown()[household]; h != nil {
		for id := range h.Records {
			ids[id] = true
		}
	}
	for _, m := range r.shownLocal() {
		if m.HouseholdID == household && m.RecordID != "" {
			ids[m.RecordID] = true
		}
	}
	r.mu.Unlock()
	out := map[string]map[string]string{}
	for id := range ids {
		if fields, ok := r.Entry(household, id); ok {
			out[id] = fields
		}
	}
	return out
}

// Households lists the households on the device, sorted.
func (r *Replica) Households() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.shown()))
	for id := range r.shown() {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Code returns a household's opaque code ("" for a household the device does not hold).
func (r *Replica) Code(household string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h := r.shown()[household]; h != nil {
		return h.Code
	}
	return ""
}

// CheckIns lists the ids of a household's check-ins the server has confirmed, each once, in
// the order they arrived.
func (r *Replica) CheckIns(household string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h := r.shown()[household]; h != nil {
		return slices.Clone(h.CheckIns)
	}
	return nil
}

// Section returns the section of a plan entry in the local view: the server's, or for an
// entry created on this device and not yet pulled back, the one its first edit named.
func (r *Replica) Section(household, record string) change.Section {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h := r.shown()[household]; h != nil {
		if rec := h.Records[record]; rec != nil && rec.Section != "" {
			return rec.Section
		}
	}
	for _, m := range r.shownLocal() {
		if m.HouseholdID == household && m.RecordID == record && m.Section != "" {
			return m.Section
		}
	}
	return ""
}

// Records lists the live plan entries of a household as the server holds them, sorted.
func (r *Replica) Records(household string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	if h := r.shown()[household]; h != nil {
		for id, rec := range h.Records {
			if !rec.Deleted {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// Conflicts lists a household's unresolved conflicts.
func (r *Replica) Conflicts(household string) []Conflict {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Conflict
	if h := r.shown()[household]; h != nil {
		for _, c := range h.Conflicts {
			if !c.Resolved {
				out = append(out, c)
			}
		}
	}
	slices.SortFunc(out, func(a, b Conflict) int { return compareStrings(a.ID, b.ID) })
	return out
}

// Schedules returns a household's schedules as last pulled, ordered by id.
func (r *Replica) Schedules(household string) []Schedule {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Schedule
	if h := r.shown()[household]; h != nil {
		for _, sc := range h.Schedules {
			out = append(out, sc)
		}
	}
	slices.SortFunc(out, func(a, b Schedule) int { return compareStrings(a.ID, b.ID) })
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Rejected lists the mutations the server refused, for the app to tell its user.
func (r *Replica) Rejected() []change.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.st.Rejected)
}

// Pending reports how many mutations wait in the outbox.
func (r *Replica) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.st.Outbox)
}

// SyncReport says what one Sync did.
type SyncReport struct {
	Pushed, Pulled, Evicted int
}

// Sync pushes the outbox and pulls until the server has nothing more. On an error it stops;
// what was acknowledged stays acknowledged, and the next Sync continues. Every pull page
// renews the offline lease; a Transport error wrapping ErrAccessEnded erases all local data
// (lease.go). An erased replica does not sync (ErrErased).
func (r *Replica) Sync(ctx context.Context) (SyncReport, error) {
	r.syncing.Lock() // one sync at a time; edits may continue meanwhile
	defer r.syncing.Unlock()
	var rep SyncReport
	if r.Erased() != "" {
		return rep, ErrErased
	}
	for {
		r.mu.Lock()
		batch := slices.Clone(r.st.Outbox[:min(len(r.st.Outbox), BatchSize)])
		r.mu.Unlock()
		if len(batch) == 0 {
			break
		}
		results, serverStamp, err := r.transport.Push(ctx, batch)
		if err != nil {
			return rep, r.failed(ctx, "push", err)
		}
		if err := r.acknowledge(ctx, batch, results, serverStamp); err != nil {
			return rep, err
		}
		rep.Pushed += len(batch)
	}
	for {
		r.mu.Lock()
		cursors := make(map[string]int64, len(r.st.Cursors))
		for k, v := range r.st.Cursors {
			cursors[k] = v
		}
		r.mu.Unlock()
		page, err := r.transport.Pull(ctx, cursors, 0)
		if err != nil {
			return rep, r.failed(ctx, "pull", err)
		}
		if err := r.apply(ctx, page); err != nil {
			return rep, err
		}
		rep.Pulled += len(page.Households)
		rep.Evicted += len(page.Evicted)
		if !page.HasMore {
			return rep, nil
		}
	}
}

// failed is the error of a push or pull that failed; when the server said access has ended
// on this device, the replica erases all it holds first.
func (r *Replica) failed(ctx context.Context, what string, err error) error {
	if errors.Is(err, ErrAccessEnded) {
		if eerr := r.Erase(ctx, ErasedAccessEnded); eerr != nil {
			return errors.Join(fmt.Errorf("%s: %w", what, err), eerr)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// acknowledge removes answered mutations from the outbox, keeps the rejections, and keeps the
// other edits and deletes in Sent until a pull brings them back.
func (r *Replica) acknowledge(ctx context.Context, batch []Mutation, results []change.Result, serverStamp hlc.Timestamp) error {
	if len(results) != len(batch) {
		return fmt.Errorf("push: %d results for %d mutations", len(results), len(batch))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	answered, rejected := map[string]bool{}, map[string]bool{}
	for _, res := range results {
		answered[res.MutationID] = true
		if res.Outcome == change.OutcomeRejected {
			rejected[res.MutationID] = true
			r.st.Rejected = append(r.st.Rejected, res)
		}
	}
	for _, m := range r.st.Outbox {
		if answered[m.ID] && !rejected[m.ID] && (m.Kind == change.KindEdit || m.Kind == change.KindDelete) {
			r.st.Sent = append(r.st.Sent, m)
		}
	}
	r.st.Outbox = slices.DeleteFunc(r.st.Outbox, func(m Mutation) bool { return answered[m.ID] })
	r.clock.Observe(serverStamp)
	r.st.Clock = r.clock.Last()
	return r.save(ctx)
}

func (r *Replica) save(ctx context.Context) error {
	if err := r.storage.Save(ctx, r.st); err != nil {
		return fmt.Errorf("save replica: %w", err)
	}
	return nil
}

// apply stores a pulled page: server values replace the held ones (the server has merged
// them), evicted households are deleted with everything in them. A household in the page
// drops its Sent mutations: they were answered before the pull began, so the server had
// committed them below the version the page brings the household to (a household is never
// split across pages).
func (r *Replica) apply(ctx context.Context, page *PullPage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range page.Evicted {
		delete(r.st.Households, id)
		delete(r.st.Cursors, id)
		r.st.Outbox = slices.DeleteFunc(r.st.Outbox, func(m Mutation) bool { return m.HouseholdID == id })
		r.st.Sent = slices.DeleteFunc(r.st.Sent, func(m Mutation) bool { return m.HouseholdID == id })
	}
	pulled := map[string]bool{}
	for _, hc := range page.Households {
		h := r.st.Households[hc.HouseholdID]
		if h == nil {
			h = &Household{Records: map[string]*StoredRecord{}, Conflicts: map[string]Conflict{}}
			r.st.Households[hc.HouseholdID] = h
		}
		h.Code = hc.Code
		for _, rec := range hc.Records {
			sr := h.Records[rec.ID]
			if sr == nil {
				sr = &StoredRecord{Fields: map[string]Field{}}
				h.Records[rec.ID] = sr
			}
			sr.Section, sr.Deleted = rec.Section, rec.Deleted
			for f, v := range rec.Fields {
				sr.Fields[f] = v
				r.clock.Observe(v.Stamp)
			}
		}
		for _, c := range hc.Conflicts {
			h.Conflicts[c.ID] = c
		}
		// A check-in is a fact that a pull may bring more than once (a household pulled from
		// an older cursor after a restore, a page sent again after a lost answer): it is
		// kept once.
		h.CheckIns = uniqueInOrder(slices.Concat(h.CheckIns, hc.CheckInIDs))
		for _, sc := range hc.Schedules {
			if h.Schedules == nil {
				h.Schedules = map[string]Schedule{}
			}
			h.Schedules[sc.ID] = sc
		}
		r.st.Cursors[hc.HouseholdID] = hc.Version
		pulled[hc.HouseholdID] = true
	}
	r.st.Sent = slices.DeleteFunc(r.st.Sent, func(m Mutation) bool { return pulled[m.HouseholdID] })
	// A pull answered: the lease is renewed from now (lease.go).
	r.st.LastContact = r.now().UTC()
	if page.Lease != (Lease{}) {
		r.st.Lease = page.Lease
	}
	r.clock.Observe(page.ServerStamp)
	r.st.Clock = r.clock.Last()
	return r.save(ctx)
}

// Snapshot returns the server-confirmed plan entries of a household: record id → field →
// value, deleted entries left out. The simulator compares it with the server.
func (r *Replica) Snapshot(household string) map[string]map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]map[string]string{}
	h := r.shown()[household]
	if h == nil {
		return nil
	}
	for id, rec := range h.Records {
		if rec.Deleted {
			continue
		}
		fields := map[string]string{}
		for f, v := range rec.Fields {
			if v.Value != "" {
				fields[f] = v.Value
			}
		}
		out[id] = fields
	}
	return out
}
