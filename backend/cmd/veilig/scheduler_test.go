package main_test

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/veilig/veilig/backend/push/fcm/fcmtest"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/backend/store/storeopen"
)

// worker is a running `veilig worker`.
type worker struct {
	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan struct{}
}

func startWorker(t *testing.T, url, fcmURL string) *worker {
	t.Helper()
	cmd := exec.Command(binary, "worker", "--database-url", url, "--fcm-project", "veilig-test", "--fcm-endpoint", fcmURL,
		"--scheduler-interval", "200ms", "--push-lease", "2s", "--log-format", "json")
	cmd.Dir, cmd.Env = t.TempDir(), cleanEnv()
	w := &worker{cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w.logs, w.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-w.done
	})
	return w
}

// TestSchedulerReplicasSurviveAKill runs two `veilig worker` processes on one PostgreSQL,
// each sending to its own fake FCM, and kills one with SIGKILL while its batch of pushes is
// in flight (its fake answers slowly). Every due occurrence must get exactly one notice per
// escalation step (lead, supervisor, on-call), and every push must reach a fake at least once:
// the killed worker's leased pushes are sent again by the other after the lease ends.
func TestSchedulerReplicasSurviveAKill(t *testing.T) {
	const households, due = 200, 2000
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	veilig(t, t.TempDir(), "migrate", "--database-url", url)
	st, err := storeopen.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seedDue(t, st, url, households, due)

	slow, fast := fcmtest.New(), fcmtest.New()
	t.Cleanup(slow.Close)
	t.Cleanup(fast.Close)
	slow.SetDelay(100 * time.Millisecond)
	a := startWorker(t, url, slow.URL)
	b := startWorker(t, url, fast.URL)

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	count := func(q string) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Kill the slow worker once it is delivering: its batch is then leased and partly sent.
	deadline := time.Now().Add(60 * time.Second)
	for slow.Count() < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("the slow worker delivered nothing\nA:\n%s\nB:\n%s", a.logs.String(), b.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.done
	atKill := slow.Count()
	pendingAtKill := count(`SELECT count(*) FROM push_outbox WHERE status = 'pending'`)
	leasedAtKill := count(`SELECT count(*) FROM push_outbox WHERE status = 'pending' AND attempts > 0 AND next_attempt_at > now()`)
	t.Logf("killed worker A after %d pushes reached its fake; %d pushes pending, %d of them leased", atKill, pendingAtKill, leasedAtKill)
	if pendingAtKill == 0 {
		t.Fatal("nothing was left to do when worker A was killed: the test proves nothing")
	}

	deadline = time.Now().Add(3 * time.Minute)
	for {
		// A digest may be due too, depending on the time of day: count the alerts' notices.
		alerts, notices := count(`SELECT count(*) FROM alerts`), count(`SELECT count(*) FROM notices WHERE alert_id <> ''`)
		undelivered := count(`SELECT count(*) FROM push_outbox WHERE status <> 'delivered'`)
		if alerts == due && notices == 3*due && undelivered == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the kill: %d alerts, %d notices, %d pushes undelivered; want %d, %d, 0\nB:\n%s", alerts, notices, undelivered, due, 3*due, tail(b.logs.String(), 4000))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Exactly one notice per step of every occurrence.
	rows, err := conn.Query(ctx, `SELECT alert_id, count(*), min(step), max(step), count(DISTINCT step) FROM notices WHERE alert_id <> '' GROUP BY alert_id`)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for rows.Next() {
		var id string
		var n, lo, hi, distinct int
		if err := rows.Scan(&id, &n, &lo, &hi, &distinct); err != nil {
			t.Fatal(err)
		}
		seen++
		if n != 3 || lo != 0 || hi != 2 || distinct != 3 {
			t.Errorf("alert %s has %d notices over steps %d..%d (%d distinct), want exactly steps 0, 1, 2", id, n, lo, hi, distinct)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != due {
		t.Errorf("%d alerts have notices, want %d", seen, due)
	}

	// Every push reached a fake at least once.
	reached := map[string]int{}
	for _, f := range []*fcmtest.Server{slow, fast} {
		for _, m := range f.Messages() {
			if m.ErrorCode == "" {
				reached[m.Data["ref"]+"|"+m.Token]++
			}
		}
	}
	rows, err = conn.Query(ctx, `SELECT notice_id, token FROM push_outbox WHERE kind = 'alert'`)
	if err != nil {
		t.Fatal(err)
	}
	pushes, twice := 0, 0
	for rows.Next() {
		var notice, token string
		if err := rows.Scan(&notice, &token); err != nil {
			t.Fatal(err)
		}
		pushes++
		alertID, _, _ := strings.Cut(notice, "#")
		switch n := reached[alertID+"|"+token]; {
		case n == 0:
			t.Errorf("push %s to %s never reached FCM", notice, token)
		case n > 1:
			twice++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if pushes != 3*due {
		t.Errorf("%d pushes queued, want %d (one device per step)", pushes, 3*due)
	}
	t.Logf("%d pushes, each reached FCM at least once; %d of them twice or more (sent by A, then again by B after A's lease ended)", pushes, twice)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// seedDue stores a team with a lead, a supervisor and an on-call professional (one phone
// each), an escalation policy of one second per step, and `due` daily schedules over
// `households` households, all overdue now.
func seedDue(t *testing.T, st *store.DB, url string, households, due int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.OrganizationUpsert(ctx, store.Organization{ID: "org-1", Name: "Org", CreatedAt: now}))
	for _, p := range []store.Professional{
		{ID: "p-lead", Role: store.RoleProfessional}, {ID: "p-sup", Role: store.RoleSupervisor}, {ID: "p-oncall", Role: store.RoleProfessional},
	} {
		p.OrganizationID, p.DisplayName, p.CreatedAt = "org-1", p.ID, now
		must(st.ProfessionalUpsert(ctx, p))
		must(st.DeviceRegister(ctx, store.Device{Token: "tok-" + p.ID, ProfessionalID: p.ID, Platform: "android", UpdatedAt: now}))
	}
	must(st.TeamUpsert(ctx, store.Team{ID: "team-1", Name: "Team", CreatedAt: now}))
	must(st.TeamMemberAdd(ctx, store.TeamMember{TeamID: "team-1", ProfessionalID: "p-lead"}))
	must(st.TeamMemberAdd(ctx, store.TeamMember{TeamID: "team-1", ProfessionalID: "p-sup"}))
	must(st.EscalationPolicySet(ctx, store.EscalationPolicy{ScopeID: "org-1", SupervisorAfter: time.Second, OnCallAfter: time.Second,
		OnCallProfessionalID: "p-oncall", UpdatedAt: now}))
	conn, err := pgx.Connect(ctx, url)
	must(err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO households (id, code, team_id, display_name, version, created_at, updated_at)
		SELECT 'h' || x, 'HH' || x, 'team-1', 'x', 1, $2, $2 FROM generate_series(1, $1) AS g(x)`, households, now)
	must(err)
	// p-lead leads every household's care team: alerts go only to members of the care team.
	_, err = conn.Exec(ctx, `INSERT INTO care_team_members (household_id, professional_id, lead) SELECT id, 'p-lead', true FROM households`)
	must(err)
	// Overdue over the last half hour, so detection takes them in several batches, oldest
	// first. The schedules ended long ago, so each has this one occurrence whatever the time
	// of day the test runs.
	_, err = conn.Exec(ctx, `INSERT INTO schedules (id, household_id, rule, time_zone, local_time, grace_minutes, channel,
		  lead_professional_id, paused, start_date, end_date, next_due_at, version, created_at, updated_at, overdue_at, opens_at)
		SELECT 's' || x, 'h' || (1 + x % $2), 'FREQ=DAILY', 'Europe/Amsterdam', '18:00', 60, 'home_visit', 'p-lead', false,
		  '2026-01-01', '2026-01-02', $3::TIMESTAMPTZ - x * INTERVAL '1 second' - INTERVAL '1 hour', 1, $3, $3,
		  $3::TIMESTAMPTZ - x * INTERVAL '1 second', $3::TIMESTAMPTZ - INTERVAL '2 days'
		FROM generate_series(1, $1) AS g(x)`, due, households, now)
	must(err)
}

// TestWorkerOpsListener: a worker, which has no API port, serves its metrics and probes on
// --metrics-addr, and its scheduler's ticks show there.
func TestWorkerOpsListener(t *testing.T) {
	addr := freeAddr(t)
	cmd := exec.Command(binary, "worker", "--scheduler-interval", "100ms", "--metrics-addr", addr, "--log-format", "json")
	cmd.Dir, cmd.Env = t.TempDir(), cleanEnv()
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	get := func(path string) (int, string) {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := get("/metrics")
		if code == http.StatusOK && strings.Contains(body, "veilig_database_up 1") &&
			!strings.Contains(body, "veilig_detection_tick_duration_seconds_count 0") {
			break
		}
		select {
		case <-done:
			t.Fatalf("veilig worker exited:\n%s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics with a tick within 30s: %d %.300s\n%s", code, body, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, path := range []string{"/livez", "/readyz"} {
		if code, body := get(path); code != http.StatusOK {
			t.Errorf("%s answered %d %q", path, code, body)
		}
	}
}
