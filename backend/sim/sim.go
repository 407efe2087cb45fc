// Package sim is `veilig sim`: simulated phones, driven by the real phone replica
// (sync/client) against a real server over HTTP, through weeks of offline edits and faults,
// followed by a check that nothing diverged and nothing was lost.
//
// Simulated time advances in ticks; the server's clock is the simulated one. Each tick every
// phone may go offline or come back, makes a few edits (often to the same fields as the
// others: the point is to collide), and syncs when online. Faults: lost push and pull
// answers (the request was applied, the answer never arrived), duplicated and reordered
// pushes, server restarts in the middle of pushes, one phone whose clock runs a year ahead,
// and a professional removed from a care team halfway. At the end every phone syncs without
// faults and the checks run:
//
//   - every replica equals the server for every household its professional may see;
//   - no replica holds a household its professional may no longer see;
//   - every mutation a phone saw acknowledged is in the server's mutation log with the same
//     outcome (applied, merged or kept as a conflict).
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/app"
	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storeopen"
	"github.com/veilig/veilig/mobile-api/auth"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/client"
	"github.com/veilig/veilig/sync/client/clientconnect"
	"github.com/veilig/veilig/sync/hlc"
)

// Config is one simulation.
type Config struct {
	Phones int    // default 50
	Days   int    // simulated days, default 30
	Seed   uint64 // the run is reproducible up to goroutine scheduling
	// Tick is the simulated time between rounds; default 30 minutes.
	Tick time.Duration
	// DatabaseURL selects the engine; empty means a new SQLite file in Dir.
	DatabaseURL string
	Dir         string
	Faults      bool
	// Progress receives one line per simulated day; nil for none.
	Progress io.Writer
}

// Summary is what a run did and found.
type Summary struct {
	// Conflicts counts the distinct unresolved conflict records the phones hold at the end.
	Mutations, Acknowledged, Rejected, Conflicts int
	Syncs, FailedSyncs, Restarts, Evictions      int
	Violations                                   []string
	Elapsed                                      time.Duration
}

// String is the one-line summary the command prints.
func (s *Summary) String() string {
	return fmt.Sprintf("%d mutations (%d answered by the server, %d of them rejected), %d conflict records, %d syncs (%d failed by faults), %d server restarts, %d evictions, %d violations, %s",
		s.Mutations, s.Acknowledged, s.Rejected, s.Conflicts, s.Syncs, s.FailedSyncs, s.Restarts, s.Evictions, len(s.Violations), s.Elapsed.Round(time.Second))
}

// clock is the simulated time, shared by the server and the phones.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// backend is the server under test; restart stops it abruptly and starts it again on the
// same address over a freshly opened store.
type backend struct {
	cfg      Config
	clock    *clock
	verifier *auth.Verifier
	addr     string
	mu       sync.Mutex
	st       *store.DB
	cancel   context.CancelFunc
	done     chan error
}

func (b *backend) start(ctx context.Context) error {
	st, err := storeopen.Open(ctx, b.url())
	if err != nil {
		return err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return err
	}
	srv := server.New(server.Config{Logger: zerolog.Nop(), ShutdownTimeout: time.Millisecond},
		app.Services(app.Config{Store: st, Verifier: b.verifier, Now: b.clock.now, Logger: zerolog.Nop()}))
	var ln net.Listener
	for range 50 { // the old listener's port may take a moment to free
		if ln, err = net.Listen("tcp", b.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		st.Close()
		return fmt.Errorf("listen: %w", err)
	}
	b.addr = ln.Addr().String()
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	b.mu.Lock()
	b.st, b.cancel, b.done = st, cancel, done
	b.mu.Unlock()
	return nil
}

func (b *backend) url() string {
	if b.cfg.DatabaseURL != "" {
		return b.cfg.DatabaseURL
	}
	return "sqlite://" + filepath.Join(b.cfg.Dir, "sim.db")
}

func (b *backend) stop() {
	b.mu.Lock()
	cancel, done, st := b.cancel, b.done, b.st
	b.mu.Unlock()
	cancel()
	<-done // a shutdown that cut requests short reports an error: that is the point
	st.Close()
}

func (b *backend) restart(ctx context.Context) error {
	b.stop()
	return b.start(ctx)
}

func (b *backend) store() *store.DB {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st
}

// phone is one simulated device.
type phone struct {
	id           string
	professional string
	replica      *client.Replica
	transport    *faulty
	rng          *rand.Rand
	online       bool
}

// faulty wraps a transport with the faults of the simulation and records what the phone
// saw acknowledged.
type faulty struct {
	inner  client.Transport
	rng    *rand.Rand
	on     atomic.Bool
	mu     sync.Mutex
	acked  map[string]change.Outcome
	faults atomic.Int64
}

func (f *faulty) roll(p float64) bool { return f.on.Load() && f.rng.Float64() < p }

// Push implements client.Transport, losing, duplicating and reordering as the faults say.
func (f *faulty) Push(ctx context.Context, batch []client.Mutation) ([]change.Result, hlc.Timestamp, error) {
	var res []change.Result
	var stamp hlc.Timestamp
	var err error
	switch {
	case f.roll(0.05) && len(batch) > 1: // reordered: the second half arrives first
		mid := len(batch) / 2
		late, s1, err1 := f.inner.Push(ctx, batch[mid:])
		if err1 != nil {
			return nil, 0, err1
		}
		early, s2, err2 := f.inner.Push(ctx, batch[:mid])
		if err2 != nil {
			return nil, 0, err2
		}
		res, stamp = append(early, late...), max(s1, s2)
	case f.roll(0.05): // duplicated on the way
		if _, _, err = f.inner.Push(ctx, batch); err != nil {
			return nil, 0, err
		}
		res, stamp, err = f.inner.Push(ctx, batch)
	default:
		res, stamp, err = f.inner.Push(ctx, batch)
	}
	if err != nil {
		return nil, 0, err
	}
	if f.roll(0.08) { // applied, but the answer is lost
		f.faults.Add(1)
		return nil, 0, errors.New("simulated: push answer lost")
	}
	f.mu.Lock()
	for _, r := range res {
		f.acked[r.MutationID] = r.Outcome
	}
	f.mu.Unlock()
	return res, stamp, nil
}

// Pull implements client.Transport, losing answers as the faults say.
func (f *faulty) Pull(ctx context.Context, cursors map[string]int64, maxBytes int) (*client.PullPage, error) {
	page, err := f.inner.Pull(ctx, cursors, maxBytes)
	if err == nil && f.roll(0.05) {
		f.faults.Add(1)
		return nil, errors.New("simulated: pull answer lost")
	}
	return page, err
}

// fields is the small set of field names phones edit, so that edits collide.
var fields = []string{"who", "what", "when", "note"}

// Run runs a simulation.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	if cfg.Phones <= 0 {
		cfg.Phones = 50
	}
	if cfg.Days <= 0 {
		cfg.Days = 30
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 30 * time.Minute
	}
	started := time.Now()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	clk := &clock{}
	clk.ns.Store(time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC).UnixNano())
	dev, err := auth.LoadOrCreateDevIssuer(cfg.Dir)
	if err != nil {
		return nil, err
	}
	verifier, err := auth.NewVerifier(nil, auth.WithDevIssuer(dev))
	if err != nil {
		return nil, err
	}
	be := &backend{cfg: cfg, clock: clk, verifier: verifier, addr: "127.0.0.1:0"}
	if err := be.start(ctx); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	defer be.stop()
	region, err := demo.Seed(ctx, be.store(), clk.now(), nil)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	pros, err := professionalsWithHouseholds(ctx, be.store(), region)
	if err != nil {
		return nil, err
	}
	httpClient := &http.Client{Timeout: 30 * time.Second}
	baseURL := "http://" + be.addr
	var phones []*phone
	for i := range cfg.Phones {
		pro := pros[i%len(pros)]
		device := fmt.Sprintf("sim-phone-%03d", i)
		// The verifier runs on the real clock, and caps lifetimes at a working day: the run
		// ends long before such a token expires.
		tok, err := dev.Sign(pro, device, auth.DefaultMaxTokenLifetime)
		if err != nil {
			return nil, err
		}
		skew := time.Duration(0)
		if i == 1 {
			skew = 365 * 24 * time.Hour // this phone's clock is a year ahead
		}
		pr := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
		tr := &faulty{inner: clientconnect.New(httpClient, baseURL, func() string { return tok }), rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1000)),
			acked: map[string]change.Outcome{}}
		tr.on.Store(cfg.Faults)
		rep, err := client.Open(ctx, device, &client.MemoryStorage{}, tr, func() time.Time { return clk.now().Add(skew) })
		if err != nil {
			return nil, err
		}
		phones = append(phones, &phone{id: device, professional: pro, replica: rep, transport: tr, rng: pr, online: true})
	}

	sum := &Summary{}
	var mutations, syncs, failed, evictions atomic.Int64
	ticksPerDay := int(24 * time.Hour / cfg.Tick)
	removal := (cfg.Days * ticksPerDay) / 2
	var removed struct{ professional, household string }
	for tick := 0; tick < cfg.Days*ticksPerDay; tick++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		clk.advance(cfg.Tick)
		if tick == removal {
			removed.professional, removed.household, err = removeOne(ctx, be.store(), phones, clk.now())
			if err != nil {
				return nil, err
			}
		}
		var restart chan error
		if cfg.Faults && rng.Float64() < 1.0/float64(ticksPerDay) { // about one restart a day, mid-push
			restart = make(chan error, 1)
			delay := time.Duration(rng.IntN(20)) * time.Millisecond
			go func() { time.Sleep(delay); restart <- be.restart(ctx) }()
			sum.Restarts++
		}
		runPhones(phones, func(p *phone) {
			p.act(ctx, &mutations, &syncs, &failed, &evictions)
		})
		if restart != nil {
			if err := <-restart; err != nil {
				return nil, fmt.Errorf("restart server: %w", err)
			}
		}
		if cfg.Progress != nil && (tick+1)%ticksPerDay == 0 {
			fmt.Fprintf(cfg.Progress, "day %d/%d: %d mutations, %d syncs (%d failed by faults), %d restarts, %d evictions\n",
				(tick+1)/ticksPerDay, cfg.Days, mutations.Load(), syncs.Load(), failed.Load(), sum.Restarts, evictions.Load())
		}
	}

	// The end: faults off, everyone online, sync until the outboxes are empty and every
	// phone has pulled everything.
	for _, p := range phones {
		p.transport.on.Store(false)
	}
	var mu sync.Mutex
	for round := 0; round < 3; round++ {
		runPhones(phones, func(p *phone) {
			if _, err := p.replica.Sync(ctx); err != nil {
				mu.Lock()
				sum.Violations = append(sum.Violations, fmt.Sprintf("%s: final sync: %v", p.id, err))
				mu.Unlock()
			}
		})
	}
	sum.Mutations, sum.Syncs, sum.FailedSyncs = int(mutations.Load()), int(syncs.Load()), int(failed.Load())
	sum.Evictions = int(evictions.Load())
	if err := check(ctx, be.store(), phones, removed.professional, removed.household, sum); err != nil {
		return nil, err
	}
	sum.Elapsed = time.Since(started)
	return sum, nil
}

// runPhones runs f for every phone, a few at a time, so that pushes really are concurrent.
func runPhones(phones []*phone, f func(*phone)) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, p := range phones {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(p)
		}()
	}
	wg.Wait()
}

// act is one tick of one phone: maybe change connectivity, edit, and sync when online.
func (p *phone) act(ctx context.Context, mutations, syncs, failed, evictions *atomic.Int64) {
	if p.online && p.rng.Float64() < 0.15 {
		p.online = false
	} else if !p.online && p.rng.Float64() < 0.3 {
		p.online = true
	}
	households := p.replica.Households()
	if len(households) > 0 {
		for range p.rng.IntN(4) {
			if p.edit(ctx, households[p.rng.IntN(len(households))]) {
				mutations.Add(1)
			}
		}
	}
	if !p.online {
		return
	}
	syncs.Add(1)
	rep, err := p.replica.Sync(ctx)
	evictions.Add(int64(rep.Evicted))
	if err != nil {
		failed.Add(1)
	}
}

// edit makes one random edit in a household.
func (p *phone) edit(ctx context.Context, h string) bool {
	records := p.replica.Records(h)
	var err error
	switch r := p.rng.Float64(); {
	case r < 0.15 || len(records) == 0:
		_, err = p.replica.Edit(ctx, h, client.NewID(), change.SectionAgreement, map[string]string{"what": p.word(), "who": p.word()})
	case r < 0.23:
		_, err = p.replica.Delete(ctx, h, records[p.rng.IntN(len(records))])
	case r < 0.28:
		_, err = p.replica.RecordCheckIn(ctx, h, client.CheckIn{Channel: "home_visit", Outcome: "safe"})
	case r < 0.30:
		cs := p.replica.Conflicts(h)
		if len(cs) == 0 {
			return false
		}
		_, err = p.replica.Resolve(ctx, h, cs[p.rng.IntN(len(cs))].ID)
	default:
		rec := records[p.rng.IntN(len(records))]
		_, err = p.replica.Edit(ctx, h, rec, "", map[string]string{fields[p.rng.IntN(len(fields))]: p.word()})
	}
	return err == nil
}

func (p *phone) word() string { return fmt.Sprintf("%s-%d", p.id[len(p.id)-3:], p.rng.IntN(1_000_000)) }

// professionalsWithHouseholds lists the demo professionals who see at least one household.
func professionalsWithHouseholds(ctx context.Context, st *store.DB, r *demo.Region) ([]string, error) {
	var out []string
	for _, org := range r.OrganizationIDs {
		ps, err := st.ProfessionalListByOrganization(ctx, org)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			hs, err := st.HouseholdListVisible(ctx, store.HouseholdListVisibleParams{ProfessionalID: p.ID, Limit: 1})
			if err != nil {
				return nil, err
			}
			if len(hs) > 0 {
				out = append(out, p.ID)
			}
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return nil, errors.New("no professional sees a household")
	}
	return out, nil
}

// removeOne takes a phone's professional off one of their households' care team.
func removeOne(ctx context.Context, st *store.DB, phones []*phone, now time.Time) (string, string, error) {
	for _, p := range phones {
		pro, err := st.ProfessionalGet(ctx, p.professional)
		if err != nil {
			return "", "", err
		}
		if pro.Role == store.RoleSupervisor {
			continue
		}
		hs, err := st.HouseholdListVisible(ctx, store.HouseholdListVisibleParams{ProfessionalID: pro.ID, Limit: 1})
		if err != nil || len(hs) == 0 {
			continue
		}
		err = st.CareTeamMemberRemove(ctx, store.CareTeamMemberRemoveParams{HouseholdID: hs[0].ID, ProfessionalID: pro.ID, Now: now})
		return pro.ID, hs[0].ID, err
	}
	return "", "", errors.New("no professional to remove from a care team")
}

// check compares every replica with the server and every acknowledgement with the log.
func check(ctx context.Context, st *store.DB, phones []*phone, removedPro, removedHousehold string, sum *Summary) error {
	serverView := map[string]map[string]map[string]string{}
	snapshot := func(h string) (map[string]map[string]string, error) {
		if v, ok := serverView[h]; ok {
			return v, nil
		}
		entries, err := st.PlanEntryList(ctx, store.PlanEntryListParams{HouseholdID: h})
		if err != nil {
			return nil, err
		}
		v := map[string]map[string]string{}
		for _, e := range entries {
			v[e.ID] = e.Fields
		}
		serverView[h] = v
		return v, nil
	}
	conflicts := map[string]bool{}
	for _, p := range phones {
		visible := map[string]bool{}
		after := ""
		for {
			hs, err := st.HouseholdListVisible(ctx, store.HouseholdListVisibleParams{ProfessionalID: p.professional, AfterID: after, Limit: 500})
			if err != nil {
				return err
			}
			for _, h := range hs {
				visible[h.ID] = true
			}
			if len(hs) < 500 {
				break
			}
			after = hs[len(hs)-1].ID
		}
		for _, h := range p.replica.Households() {
			if !visible[h] {
				sum.Violations = append(sum.Violations, fmt.Sprintf("%s holds household %s its professional may not see", p.id, h))
			}
		}
		for h := range visible {
			want, err := snapshot(h)
			if err != nil {
				return err
			}
			got := p.replica.Snapshot(h)
			if got == nil {
				got = map[string]map[string]string{}
			}
			if !reflect.DeepEqual(got, want) {
				sum.Violations = append(sum.Violations, fmt.Sprintf("%s diverges from the server on household %s (%d vs %d entries)", p.id, h, len(got), len(want)))
			}
			for _, c := range p.replica.Conflicts(h) {
				conflicts[c.ID] = true
			}
		}
		if p.professional == removedPro && slices.Contains(p.replica.Households(), removedHousehold) {
			sum.Violations = append(sum.Violations, fmt.Sprintf("%s still holds household %s after its professional left the care team", p.id, removedHousehold))
		}
		p.transport.mu.Lock()
		acked := p.transport.acked
		p.transport.mu.Unlock()
		ids := make([]string, 0, len(acked))
		for id, o := range acked {
			if o == change.OutcomeRejected {
				sum.Rejected++
				continue
			}
			ids = append(ids, id)
		}
		sum.Acknowledged += len(acked)
		log, err := st.SyncMutationLog(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if r, ok := log[id]; !ok || r.Outcome != acked[id] {
				sum.Violations = append(sum.Violations, fmt.Sprintf("%s: acknowledged mutation %s is not in the server's log as acknowledged", p.id, id))
			}
		}
	}
	sum.Conflicts = len(conflicts)
	return nil
}
