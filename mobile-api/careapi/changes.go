package careapi

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/store"
)

// changeHub wakes Subscribe streams when a household they see changes, so that an open stream
// costs memory and no queries while nothing changes (issue 17: 10,000 idle streams, each
// polling its visible households every 2 s, held a core).
//
//   - In this process, a push wakes the streams of its households as soon as it commits
//     (changed).
//   - Changes written by other replicas (and by this process's other RPCs) are found by one
//     query per interval for the whole process: the versions of every household an open
//     stream sees (HouseholdVersionListMany, a primary-key lookup each). A household whose
//     version moved wakes its streams, and the streams of everyone who now sees it
//     (HouseholdViewerListMany, only for households that moved), so a professional just added
//     to a care team learns of the household within one interval.
//   - A revocation or a disabling committed by another replica ends the streams it concerns
//     here within an interval: each poll also asks which of the streams' professionals and
//     devices have lost access (AccessEndedList) and wakes those streams, which check their
//     caller again and end.
//   - A household nobody's stream in this process watches can become visible to someone whose
//     stream is here (a care-team change on another replica). Every sweepEvery polls the hub
//     also reads, in statements of hubSweepChunk professionals, which households the
//     professionals with open streams see (HouseholdViewerListByProfessionals) and wakes
//     those who see one their streams do not watch. A care-team change through this process
//     wakes the added professional at once (changedFor).
//
// A woken stream reads its visible households once (one indexed query) and names the ones
// whose version differs from what it sent last. The hub polls only while streams are open;
// it needs no LISTEN/NOTIFY, which CockroachDB lacks, and adds no write to any transaction.
type changeHub struct {
	db    hubStore
	every time.Duration
	log   zerolog.Logger

	mu             sync.Mutex
	byHousehold    map[string]map[*subscription]struct{}
	byProfessional map[string]map[*subscription]struct{}
	known          map[string]int64 // the poller's last reading of each watched household
	polling        bool
	stop           chan struct{} // closed to stop the poller when the last stream ends
}

// hubStore is what the hub reads.
type hubStore interface {
	HouseholdVersionListMany(ctx context.Context, ids []string) ([]store.HouseholdVersion, error)
	HouseholdViewerListMany(ctx context.Context, householdIDs []string) ([]store.HouseholdViewer, error)
	HouseholdViewerListByProfessionals(ctx context.Context, professionalIDs []string) ([]store.HouseholdViewer, error)
	AccessEndedList(ctx context.Context, professionalIDs, deviceIDs []string) ([]store.AccessEnded, error)
}

// subscription is one open stream: its professional, the households it sees, and the channel
// that wakes it (buffered: a wake while it works is kept, many wakes are one).
type subscription struct {
	professionalID string
	deviceID       string // its registered device, or ""
	households     map[string]struct{}
	wake           chan struct{}
	// accessEnded is set, under the hub's lock, when the poll finds the caller disabled or
	// the device revoked: only then does the stream check its caller again (takeAccessEnded).
	accessEnded bool
}

// hubChunk bounds the ids of one poll statement; hubSweepChunk the professionals of one
// sweep statement (each sees tens of households).
const (
	hubChunk      = 10_000
	hubSweepChunk = 500
	// sweepEvery is how many polls pass between two sweeps of who sees what.
	sweepEvery = 30
)

func newChangeHub(db hubStore, every time.Duration, log zerolog.Logger) *changeHub {
	return &changeHub{db: db, every: every, log: log, byHousehold: map[string]map[*subscription]struct{}{},
		byProfessional: map[string]map[*subscription]struct{}{}, known: map[string]int64{}}
}

// subscribe registers a stream of professionalID and starts the poller if it is the first.
func (h *changeHub) subscribe(professionalID, deviceID string) *subscription {
	sub := &subscription{professionalID: professionalID, deviceID: deviceID, households: map[string]struct{}{}, wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	add(h.byProfessional, professionalID, sub)
	if !h.polling {
		h.polling, h.stop = true, make(chan struct{})
		go h.poll(h.stop)
	}
	return sub
}

// watch sets the households a stream sees.
func (h *changeHub) watch(sub *subscription, households map[string]int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id := range sub.households {
		if _, ok := households[id]; !ok {
			h.drop(sub, id)
		}
	}
	for id, v := range households {
		if _, ok := sub.households[id]; ok {
			continue
		}
		sub.households[id] = struct{}{}
		add(h.byHousehold, id, sub)
		if _, ok := h.known[id]; !ok {
			h.known[id] = v
		}
	}
}

// unsubscribe removes an ended stream and stops the poller after the last.
func (h *changeHub) unsubscribe(sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id := range sub.households {
		h.drop(sub, id)
	}
	remove(h.byProfessional, sub.professionalID, sub)
	if len(h.byProfessional) == 0 && h.polling {
		close(h.stop)
		h.polling = false
	}
}

// drop stops sub from watching household id; the poller forgets a household nobody watches.
func (h *changeHub) drop(sub *subscription, id string) {
	delete(sub.households, id)
	remove(h.byHousehold, id, sub)
	if _, ok := h.byHousehold[id]; !ok {
		delete(h.known, id)
	}
}

// changedFor wakes the streams of a professional (one added to a care team through this
// process).
func (h *changeHub) changedFor(professionalID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.byProfessional[professionalID] {
		wake(sub)
	}
}

// changed wakes the streams that see any of the households (a commit of this process).
func (h *changeHub) changed(households []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range households {
		for sub := range h.byHousehold[id] {
			wake(sub)
		}
	}
}

// poll reads the watched households' versions every interval until stop closes.
func (h *changeHub) poll(stop <-chan struct{}) {
	t := time.NewTicker(h.every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(h.every, 5*time.Second))
		err := h.pollOnce(ctx)
		if err == nil && n%sweepEvery == 0 {
			err = h.sweep(ctx)
		}
		cancel()
		if err != nil {
			// The streams stay open and the next interval tries again; a database outage shows in
			// every other request as well.
			h.log.Warn().Err(err).Msg("change poll failed; Subscribe streams learn of other replicas' changes at the next interval")
		}
	}
}

// pollOnce is one poll: the streams' callers whose access ended, every watched household's
// version, then who sees the ones that moved.
func (h *changeHub) pollOnce(ctx context.Context) error {
	if err := h.ended(ctx); err != nil {
		return err
	}
	h.mu.Lock()
	ids := make([]string, 0, len(h.byHousehold))
	for id := range h.byHousehold {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	var moved []string
	for start := 0; start < len(ids); start += hubChunk {
		vs, err := h.db.HouseholdVersionListMany(ctx, ids[start:min(start+hubChunk, len(ids))])
		if err != nil {
			return err
		}
		h.mu.Lock()
		for _, v := range vs {
			if old, ok := h.known[v.HouseholdID]; ok && old != v.Version {
				moved = append(moved, v.HouseholdID)
			}
			if _, ok := h.byHousehold[v.HouseholdID]; ok {
				h.known[v.HouseholdID] = v.Version
			}
		}
		h.mu.Unlock()
	}
	if len(moved) == 0 {
		return nil
	}
	h.changed(moved)
	for start := 0; start < len(moved); start += hubChunk {
		viewers, err := h.db.HouseholdViewerListMany(ctx, moved[start:min(start+hubChunk, len(moved))])
		if err != nil {
			return err
		}
		h.mu.Lock()
		for _, v := range viewers {
			for sub := range h.byProfessional[v.ProfessionalID] {
				wake(sub)
			}
		}
		h.mu.Unlock()
	}
	return nil
}

// ended wakes the streams whose professional was disabled or whose device was revoked.
func (h *changeHub) ended(ctx context.Context) error {
	h.mu.Lock()
	pros := make([]string, 0, len(h.byProfessional))
	var devices []string
	for id, subs := range h.byProfessional {
		pros = append(pros, id)
		for sub := range subs {
			if sub.deviceID != "" {
				devices = append(devices, sub.deviceID)
			}
		}
	}
	h.mu.Unlock()
	for start := 0; start < max(len(pros), len(devices)); start += hubChunk {
		ended, err := h.db.AccessEndedList(ctx, pros[min(start, len(pros)):min(start+hubChunk, len(pros))],
			devices[min(start, len(devices)):min(start+hubChunk, len(devices))])
		if err != nil {
			return err
		}
		h.mu.Lock()
		for _, e := range ended {
			for sub := range h.byProfessional[e.ProfessionalID] {
				if e.DeviceID == "" || e.DeviceID == sub.deviceID {
					sub.accessEnded = true
					wake(sub)
				}
			}
		}
		h.mu.Unlock()
	}
	return nil
}

// sweep wakes the professionals with open streams who see a household none of their streams
// watches.
func (h *changeHub) sweep(ctx context.Context) error {
	h.mu.Lock()
	pros := make([]string, 0, len(h.byProfessional))
	for id := range h.byProfessional {
		pros = append(pros, id)
	}
	h.mu.Unlock()
	for start := 0; start < len(pros); start += hubSweepChunk {
		viewers, err := h.db.HouseholdViewerListByProfessionals(ctx, pros[start:min(start+hubSweepChunk, len(pros))])
		if err != nil {
			return err
		}
		h.mu.Lock()
		for _, v := range viewers {
			for sub := range h.byProfessional[v.ProfessionalID] {
				if _, ok := sub.households[v.HouseholdID]; !ok {
					wake(sub)
				}
			}
		}
		h.mu.Unlock()
	}
	return nil
}

// takeAccessEnded reports, once, that the poll found the stream's caller's access ended.
func (h *changeHub) takeAccessEnded(sub *subscription) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	ended := sub.accessEnded
	sub.accessEnded = false
	return ended
}

func wake(sub *subscription) {
	select {
	case sub.wake <- struct{}{}:
	default: // already woken
	}
}

func add(m map[string]map[*subscription]struct{}, key string, sub *subscription) {
	set := m[key]
	if set == nil {
		set = map[*subscription]struct{}{}
		m[key] = set
	}
	set[sub] = struct{}{}
}

func remove(m map[string]map[*subscription]struct{}, key string, sub *subscription) {
	if set := m[key]; set != nil {
		delete(set, sub)
		if len(set) == 0 {
			delete(m, key)
		}
	}
}
