package app_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/app"
	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/push/fcm"
	"github.com/veilig/veilig/backend/push/fcm/fcmtest"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/backend/store/storeopen"
	"github.com/veilig/veilig/mobile-api/auth"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/client"
	"github.com/veilig/veilig/sync/client/clientconnect"
	"github.com/veilig/veilig/sync/hlc"
)

// TestThreeReplicasOnOnePostgreSQL is issue 15's deployment in one test: three replicas of
// `veilig serve` (each its own pool on one PostgreSQL database, its own HTTP server and its
// own scheduler loop, as serve runs them), phones whose every request goes to the next live
// replica, and one replica killed in the middle of a round: its connections cut, its
// scheduler stopped mid-tick, its pool closed. The others carry on. Simulated time (the
// servers', the schedulers' and the phones' clock) moves three hours a round, so the demo
// region's schedules fall due again and again. At the end:
//
//   - every mutation a phone saw acknowledged is in the database's mutation log with that
//     outcome, and its edit or check-in is in the pull of every live replica;
//   - every phone holds what every replica serves (convergence);
//   - every occurrence that became overdue raised exactly one alert and one lead notice (no
//     more, no fewer: the phones' check-ins are "no contact", which satisfies nothing), and its
//     push reached the lead's phone at least once.
func TestThreeReplicasOnOnePostgreSQL(t *testing.T) {
	t.Parallel()
	const (
		rounds    = 32 // four simulated days
		killRound = 14
		roundTime = 3 * time.Hour
	)
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	clock := &simClock{}
	clock.set(testNow)

	// The database as `veilig migrate` and `veilig demo` leave it, read by the checks below.
	st, err := storeopen.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	region, err := demo.Seed(ctx, st, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	keyDir := t.TempDir() // the dev issuer's key, shared by the replicas as a mounted secret is
	dev, err := auth.LoadOrCreateDevIssuer(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	fake := fcmtest.New()
	t.Cleanup(fake.Close)

	replicas := make([]*replicaProc, 3)
	for i := range replicas {
		replicas[i] = startReplica(t, i, dbURL, keyDir, clock, fake.URL)
	}
	hc := &http.Client{Timeout: 10 * time.Second}

	// Every care-team member registers a phone for pushes, so every alert's lead has one.
	pushTokens := registerPushPhones(t, db, dev, hc, replicas[0].url)
	schedules := loadSchedules(t, db)
	if len(schedules) < 20 {
		t.Fatalf("the demo region has %d schedules, want its households' schedules", len(schedules))
	}

	// Six phones: three devices each of the lead and the supervisor, all on the same
	// households, so their edits collide.
	var phones []*rrPhone
	for _, pro := range []string{region.LeadID, region.SupervisorID} {
		for d := range 3 {
			phones = append(phones, newRRPhone(t, dev, hc, replicas, pro, fmt.Sprintf("rr-%s-%d", pro[:8], d), clock))
		}
	}
	for _, p := range phones {
		if _, err := p.replica.Sync(ctx); err != nil {
			t.Fatalf("%s: first sync: %v", p.name, err)
		}
	}
	shared := sharedHouseholds(phones, 3)
	if len(shared) == 0 {
		t.Fatal("the lead and the supervisor share no household")
	}
	// One entry per household that every phone edits: the collisions.
	sharedRecord := map[string]string{}
	for _, h := range shared {
		sharedRecord[h] = client.NewID()
		if _, err := phones[0].replica.Edit(ctx, h, sharedRecord[h], change.SectionAgreement, map[string]string{"description": "start"}); err != nil {
			t.Fatal(err)
		}
	}

	// Every phone knows the shared entries before anyone edits them.
	for _, p := range phones {
		if _, err := p.replica.Sync(ctx); err != nil {
			t.Fatalf("%s: sync: %v", p.name, err)
		}
	}

	failed := atomic.Int64{}
	for round := range rounds {
		clock.advance(roundTime)
		var wg sync.WaitGroup
		for i, p := range phones {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.work(t, round, i, shared, sharedRecord)
				if _, err := p.replica.Sync(ctx); err != nil {
					failed.Add(1) // the replica it was talking to died: the next round retries
				}
			}()
		}
		if round == killRound {
			// Mid-round, while a phone's request is on its way to it.
			for deadline := time.Now().Add(time.Second); replicas[1].inFlight.Load() == 0 && time.Now().Before(deadline); {
				time.Sleep(100 * time.Microsecond)
			}
			replicas[1].kill()
		}
		wg.Wait()
	}
	if failed.Load() == 0 {
		t.Log("no sync failed when the replica died (it had nothing in flight)")
	}
	end := clock.now()
	live := []*replicaProc{replicas[0], replicas[2]}

	// Everyone syncs until nothing is queued, twice over so every phone has pulled what the
	// others pushed last.
	for range 2 {
		for _, p := range phones {
			var err error
			for try := 0; try < 5 && (err != nil || try == 0 || p.replica.Pending() > 0); try++ {
				_, err = p.replica.Sync(ctx)
			}
			if err != nil || p.replica.Pending() > 0 {
				t.Fatalf("%s: final sync: %v (%d pending)", p.name, err, p.replica.Pending())
			}
		}
	}

	t.Run("every acknowledged mutation is in the database", func(t *testing.T) {
		for _, p := range phones {
			acked := p.acked()
			if len(acked) == 0 {
				t.Errorf("%s saw nothing acknowledged", p.name)
			}
			ids := make([]string, 0, len(acked))
			for id, o := range acked {
				if o == change.OutcomeRejected {
					t.Errorf("%s: mutation %s rejected: %+v", p.name, id, p.replica.Rejected())
					continue
				}
				ids = append(ids, id)
			}
			log, err := st.SyncMutationLog(ctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				if r, ok := log[id]; !ok || r.Outcome != acked[id] {
					t.Errorf("%s: acknowledged mutation %s (%v) is not in the log as acknowledged (%+v, %v)", p.name, id, acked[id], r, ok)
				}
			}
		}
	})

	t.Run("every live replica serves every acknowledged edit and check-in, and every phone converged", func(t *testing.T) {
		for _, rep := range live {
			for _, pro := range []string{region.LeadID, region.SupervisorID} {
				observer := newRRPhone(t, dev, hc, []*replicaProc{rep}, pro, "observer-"+pro[:8], clock)
				if _, err := observer.replica.Sync(ctx); err != nil {
					t.Fatalf("a fresh pull from replica %d: %v", rep.index, err)
				}
				for _, h := range shared {
					got := observer.replica.Snapshot(h)
					entries, err := st.PlanEntryList(ctx, store.PlanEntryListParams{HouseholdID: h})
					if err != nil {
						t.Fatal(err)
					}
					want := map[string]map[string]string{}
					for _, e := range entries {
						want[e.ID] = e.Fields
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("replica %d serves household %s unlike the database (%d vs %d entries)", rep.index, h, len(got), len(want))
					}
					for _, p := range phones {
						if !reflect.DeepEqual(p.replica.Snapshot(h), got) {
							t.Errorf("%s diverges from replica %d on household %s", p.name, rep.index, h)
						}
						for rid, value := range p.createdAcked() {
							if rid.household == h && got[rid.record]["description"] != value {
								t.Errorf("replica %d: %s's acknowledged entry %s is %q, want %q", rep.index, p.name, rid.record, got[rid.record]["description"], value)
							}
						}
						checkIns := observer.replica.CheckIns(h)
						for _, id := range p.checkInsAcked(h) {
							if !slices.Contains(checkIns, id) {
								t.Errorf("replica %d: %s's acknowledged check-in %s is not in the pull", rep.index, p.name, id)
							}
						}
					}
				}
			}
		}
	})

	t.Run("every overdue occurrence was noticed exactly once and pushed to its lead", func(t *testing.T) {
		// The schedulers work off what is due at the last instant: the remaining overdue
		// schedules, their escalations and their pushes.
		expected := expectedAlerts(t, schedules, end)
		if len(expected) < len(schedules) {
			// Each demo schedule starts within three days and recurs every one to seven.
			t.Fatalf("only %d occurrences fell overdue in %d days: the run exercised too little", len(expected), rounds*int(roundTime)/int(24*time.Hour))
		}
		deadline := time.Now().Add(30 * time.Second)
		var alerts map[string]string
		var missing []string
		for {
			alerts = loadAlerts(t, db)
			missing = missing[:0]
			for id := range expected {
				lead, ok := alerts[id]
				if !ok || lead == "" || !pushedTo(fake, id, pushTokens[lead]) {
					missing = append(missing, id)
				}
			}
			if len(missing) == 0 && dueLeft(t, db, end) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(missing) > 0 {
			t.Errorf("%d of %d overdue occurrences have no alert or no push to their lead, e.g. %v", len(missing), len(expected), missing[:min(3, len(missing))])
		}
		if n := dueLeft(t, db, end); n != 0 {
			t.Errorf("%d schedules are still overdue and unclaimed at the end", n)
		}
		for id := range alerts {
			if _, ok := expected[id]; !ok {
				t.Errorf("alert %s is for no overdue occurrence", id)
			}
		}
		notices := loadLeadNotices(t, db)
		for id := range expected {
			if notices[store.AlertNoticeID(id, store.StepLead)] != 1 {
				t.Errorf("alert %s has %d lead notices, want 1", id, notices[store.AlertNoticeID(id, store.StepLead)])
			}
		}
		dup := 0
		for id := range expected {
			if n := pushes(fake, id, pushTokens[alerts[id]]); n > 1 {
				dup++
			}
		}
		t.Logf("%d occurrences noticed over %d schedules; %d lead pushes sent more than once (at least once: the killed replica's leases)", len(expected), len(schedules), dup)
	})
	t.Logf("%d phone syncs failed when replica 1 died", failed.Load())
}

// simClock is the simulated time every replica and phone reads.
type simClock struct{ ns atomic.Int64 }

func (c *simClock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *simClock) set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *simClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// replicaProc is one `veilig serve` process: its own pool, HTTP server and scheduler loop.
type replicaProc struct {
	index     int
	url       string
	down      atomic.Bool
	inFlight  atomic.Int64 // phone requests sent to it and not yet answered
	ln        *trackingListener
	st        *store.DB
	stopServe context.CancelFunc
	stopSched context.CancelFunc
	served    chan error
	scheduled chan error
	once      sync.Once
}

// startReplica starts replica i on dbURL as `veilig serve` wires one (server.New over
// app.Services, reminders.New with an FCM sender, the scheduler's Run beside the server),
// with the simulated clock. It is killed at the end of the test if not before.
func startReplica(t *testing.T, i int, dbURL, keyDir string, clock *simClock, fcmURL string) *replicaProc {
	t.Helper()
	ctx := context.Background()
	st, err := storeopen.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := auth.LoadOrCreateDevIssuer(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(nil, auth.WithDevIssuer(dev))
	if err != nil {
		t.Fatal(err)
	}
	log := zerolog.New(&syncBuffer{}).Level(zerolog.WarnLevel)
	srv := server.New(server.Config{Logger: log, ShutdownTimeout: 100 * time.Millisecond},
		app.Services(testConfig(st, verifier, clock.now, log, 20*time.Millisecond, options{})))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := fcm.New(ctx, fcm.Config{ProjectID: "veilig-test", Endpoint: fcmURL})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := reminders.New(st, sender, clock.now, log, reminders.Config{Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := &replicaProc{index: i, url: "http://" + ln.Addr().String(), ln: &trackingListener{Listener: ln, conns: map[net.Conn]bool{}}, st: st,
		served: make(chan error, 1), scheduled: make(chan error, 1)}
	serveCtx, stopServe := context.WithCancel(ctx)
	schedCtx, stopSched := context.WithCancel(ctx)
	r.stopServe, r.stopSched = stopServe, stopSched
	go func() { r.served <- srv.Serve(serveCtx, r.ln) }()
	go func() { r.scheduled <- sched.Run(schedCtx) }()
	t.Cleanup(r.kill)
	return r
}

// kill ends the replica as a crash would, as far as a process in a test can: the load
// balancer stops sending to it, every connection is cut under the requests on it, the
// scheduler's context ends wherever its tick is (its transaction rolls back; the pushes it
// had claimed wait out their lease), and its pool closes.
func (r *replicaProc) kill() {
	r.once.Do(func() {
		r.down.Store(true)
		r.stopSched()
		r.ln.cut()
		r.stopServe()
		<-r.served // a shutdown that cut requests reports it: that is the point
		<-r.scheduled
		r.st.Close()
	})
}

// trackingListener keeps its connections so that cut can close them all at once.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
	dead  bool
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns[c] = true
	return c, nil
}

func (l *trackingListener) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dead = true
	l.Listener.Close()
	for c := range l.conns {
		c.Close()
	}
}

// rrPhone is a phone replica whose requests go round-robin to the live replicas, as through
// a load balancer, and that remembers what the server acknowledged.
type rrPhone struct {
	name    string
	replica *client.Replica
	tr      *roundRobin

	mu       sync.Mutex
	checkIns map[string]string      // check-in mutation id -> household
	byID     map[string]recordWrite // entry-creating mutation id -> what it wrote
}

type recordRef struct{ household, record string }

type recordWrite struct {
	ref   recordRef
	value string
}

func newRRPhone(t *testing.T, dev *auth.DevIssuer, hc *http.Client, replicas []*replicaProc, professional, device string, clock *simClock) *rrPhone {
	t.Helper()
	tok, err := dev.Sign(professional, device, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rr := &roundRobin{replicas: replicas, acks: map[string]change.Outcome{}}
	for _, rep := range replicas {
		rr.transports = append(rr.transports, clientconnect.New(hc, rep.url, func() string { return tok }))
	}
	r, err := client.Open(context.Background(), device, &client.MemoryStorage{}, rr, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	return &rrPhone{name: device, replica: r, tr: rr, checkIns: map[string]string{}, byID: map[string]recordWrite{}}
}

// work makes the phone's edits of one round: a new entry of its own, an edit of the shared
// entry every other round, and a "no contact" check-in every third.
func (p *rrPhone) work(t *testing.T, round, i int, shared []string, sharedRecord map[string]string) {
	ctx := context.Background()
	h := shared[(round+i)%len(shared)]
	rid := client.NewID()
	value := fmt.Sprintf("%s round %d", p.name, round)
	id, err := p.replica.Edit(ctx, h, rid, change.SectionSafetyGoal, map[string]string{"description": value})
	if err != nil {
		t.Errorf("%s: edit: %v", p.name, err)
		return
	}
	p.mu.Lock()
	p.byID[id] = recordWrite{ref: recordRef{h, rid}, value: value}
	p.mu.Unlock()
	if round%2 == i%2 {
		if _, err := p.replica.Edit(ctx, h, sharedRecord[h], "", map[string]string{"description": value}); err != nil {
			t.Errorf("%s: edit the shared entry: %v", p.name, err)
		}
	}
	if round%3 == i%3 {
		id, err := p.replica.RecordCheckIn(ctx, h, client.CheckIn{Channel: "phone_call", Outcome: "no_contact"})
		if err != nil {
			t.Errorf("%s: check-in: %v", p.name, err)
			return
		}
		p.mu.Lock()
		p.checkIns[id] = h
		p.mu.Unlock()
	}
}

// acked returns the outcomes the server answered to this phone.
func (p *rrPhone) acked() map[string]change.Outcome {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	out := make(map[string]change.Outcome, len(p.tr.acks))
	for id, o := range p.tr.acks {
		out[id] = o
	}
	return out
}

// createdAcked returns the entries this phone created whose mutation the server
// acknowledged, with the value written (nobody else writes them).
func (p *rrPhone) createdAcked() map[recordRef]string {
	acked := p.acked()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[recordRef]string{}
	for id, w := range p.byID {
		if o, ok := acked[id]; ok && o != change.OutcomeRejected {
			out[w.ref] = w.value
		}
	}
	return out
}

// checkInsAcked returns the acknowledged check-ins of household h (a check-in's id is its
// mutation's).
func (p *rrPhone) checkInsAcked(h string) []string {
	acked := p.acked()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for id, hh := range p.checkIns {
		if o, ok := acked[id]; ok && hh == h && o != change.OutcomeRejected {
			out = append(out, id)
		}
	}
	return out
}

// roundRobin is a client.Transport that sends each request to the next live replica, and
// records every answer to a push.
type roundRobin struct {
	replicas   []*replicaProc
	transports []client.Transport
	next       atomic.Uint64
	mu         sync.Mutex
	acks       map[string]change.Outcome
}

// pick returns the next live replica's transport, counted in flight until done is called.
func (rr *roundRobin) pick() (tr client.Transport, done func()) {
	k := 0
	for range rr.replicas {
		k = int(rr.next.Add(1) % uint64(len(rr.replicas)))
		if !rr.replicas[k].down.Load() {
			break
		}
	}
	rep := rr.replicas[k]
	rep.inFlight.Add(1)
	return rr.transports[k], func() { rep.inFlight.Add(-1) }
}

func (rr *roundRobin) Push(ctx context.Context, batch []client.Mutation) ([]change.Result, hlc.Timestamp, error) {
	tr, done := rr.pick()
	defer done()
	res, stamp, err := tr.Push(ctx, batch)
	if err == nil {
		rr.mu.Lock()
		for _, r := range res {
			rr.acks[r.MutationID] = r.Outcome
		}
		rr.mu.Unlock()
	}
	return res, stamp, err
}

func (rr *roundRobin) Pull(ctx context.Context, cursors map[string]int64, maxBytes int) (*client.PullPage, error) {
	tr, done := rr.pick()
	defer done()
	return tr.Pull(ctx, cursors, maxBytes)
}

// sharedHouseholds returns up to n households every phone holds, sorted.
func sharedHouseholds(phones []*rrPhone, n int) []string {
	count := map[string]int{}
	for _, p := range phones {
		for _, h := range p.replica.Households() {
			count[h]++
		}
	}
	var out []string
	for h, c := range count {
		if c == len(phones) {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out[:min(n, len(out))]
}

// registerPushPhones registers a push token for every care-team member, through the API, and
// returns professional id -> token.
func registerPushPhones(t *testing.T, db *pgx.Conn, dev *auth.DevIssuer, hc *http.Client, url string) map[string]string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT DISTINCT professional_id FROM care_team_members`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	devices := veiligv1connect.NewDeviceServiceClient(hc, url)
	tokens := map[string]string{}
	for _, id := range ids {
		tok, err := dev.Sign(id, "push-"+id[:8], time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tokens[id] = "fcm-token-" + id
		if _, err := devices.RegisterDevice(context.Background(), as(tok, &veiligv1.RegisterDeviceRequest{Token: tokens[id], Platform: veiligv1.Platform_PLATFORM_ANDROID})); err != nil {
			t.Fatalf("register a phone for %s: %v", id, err)
		}
	}
	return tokens
}

// loadSchedules reads every schedule as the demo planned it.
func loadSchedules(t *testing.T, db *pgx.Conn) []store.Schedule {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, household_id, rule, time_zone, local_time, window_end, grace_minutes,
		start_date, end_date, paused, next_due_at FROM schedules ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Schedule
	for rows.Next() {
		var sc store.Schedule
		if err := rows.Scan(&sc.ID, &sc.HouseholdID, &sc.Rule, &sc.TimeZone, &sc.LocalTime, &sc.WindowEnd, &sc.GraceMinutes,
			&sc.StartDate, &sc.EndDate, &sc.Paused, &sc.NextDueAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// expectedAlerts returns the alert id of every occurrence of schedules, from the one each
// was planned at, that is overdue by end: each must raise one alert, since nothing confirms
// a check.
func expectedAlerts(t *testing.T, schedules []store.Schedule, end time.Time) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, sc := range schedules {
		if sc.Paused || sc.NextDueAt == nil {
			continue
		}
		plan, err := reminders.FromStore(sc)
		if err != nil {
			t.Fatalf("schedule %s: %v", sc.ID, err)
		}
		for due, ok := *sc.NextDueAt, true; ok && !schedule.OverdueAt(plan, due).After(end); due, ok = schedule.NextDue(plan, due) {
			out[reminders.AlertID(sc.ID, due)] = true
		}
	}
	return out
}

// loadAlerts returns the overdue alerts: alert id -> lead.
func loadAlerts(t *testing.T, db *pgx.Conn) map[string]string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, lead_id FROM alerts WHERE kind = $1`, store.AlertOverdue)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for rows.Next() {
		var id, lead string
		if err := rows.Scan(&id, &lead); err != nil {
			t.Fatal(err)
		}
		out[id] = lead
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// loadLeadNotices counts the lead-step notices by id.
func loadLeadNotices(t *testing.T, db *pgx.Conn) map[string]int {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, count(*) FROM notices WHERE step = $1 GROUP BY id`, store.StepLead)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dueLeft counts the schedules overdue at end that no scheduler has claimed yet.
func dueLeft(t *testing.T, db *pgx.Conn, end time.Time) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM schedules WHERE overdue_at <= $1`, end).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// pushes counts the alert pushes for alertID that the fake FCM accepted for token.
func pushes(fake *fcmtest.Server, alertID, token string) int {
	n := 0
	for _, m := range fake.ByToken(token) {
		if m.Status == http.StatusOK && m.Data["kind"] == store.PushKindAlert && m.Data["ref"] == alertID {
			n++
		}
	}
	return n
}

func pushedTo(fake *fcmtest.Server, alertID, token string) bool {
	return pushes(fake, alertID, token) > 0
}
