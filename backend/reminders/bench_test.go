package reminders_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/push"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/pgtest"
	"github.com/veilig/veilig/backend/store/storeopen"
)

// benchDue is how many schedules are due in every run of BenchmarkDetect.
const benchDue = 10_000

// BenchmarkDetect measures the real detection path (Scheduler.Detect: claim through the
// overdue index, advance each schedule, raise its alert, record the step-0 notice and queue
// the lead's push, in batches of 500) for 10,000 due schedules among 100,000 and 1,000,000.
// Its time must not grow with the total: compare the two sizes' ns/op in one run. The
// schedules are seeded in bulk with SQL; each iteration first makes the same 10,000 due again
// at a new instant, so every iteration raises 10,000 new alerts.
//
//	go test -run '^$' -bench Detect -benchtime 3x ./backend/reminders/
//
// On the throwaway PostgreSQL cluster commits are not durable unless VEILIG_PGTEST_DURABLE=1.
func BenchmarkDetect(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, total := range []int{100_000, 1_000_000} {
			b.Run(fmt.Sprintf("%s/schedules=%d/due=%d", engine, total, benchDue), func(b *testing.B) {
				s, reset := seedBench(b, engine, total)
				sched, err := reminders.New(s, push.LogSender{Log: zerolog.Nop()}, nowFunc(benchNow), zerolog.Nop(), reminders.Config{})
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := range b.N {
					b.StopTimer()
					reset(i)
					b.StartTimer()
					claimed, raised, err := sched.Detect(bg)
					if err != nil {
						b.Fatal(err)
					}
					if claimed != benchDue || raised != benchDue {
						b.Fatalf("claimed %d and raised %d, want %d each", claimed, raised, benchDue)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*benchDue), "µs/due")
			})
		}
	}
}

var benchNow = time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)

func nowFunc(t time.Time) func() time.Time { return func() time.Time { return t } }

// seedBench returns a migrated store holding total schedules over total/10 households, each
// led by p-lead (so every raised alert resolves its lead in the care team and queues a push,
// as in production), of which benchDue (ids "d…") will be due after reset(i); the others
// (ids "s…") are due at some hour in the next 30 days. reset(i) makes the due ones due at an instant unique to i.
func seedBench(b *testing.B, engine string, total int) (*store.DB, func(int)) {
	b.Helper()
	households := total / 10
	var (
		s    *store.DB
		exec func(q string, args ...any)
		ph   func(int) string
	)
	switch engine {
	case "sqlite":
		path := filepath.Join(b.TempDir(), "bench.db")
		st, err := storeopen.Open(bg, "sqlite://"+path)
		must(b, err)
		b.Cleanup(func() { st.Close() })
		s = st
		raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
		must(b, err)
		b.Cleanup(func() { raw.Close() })
		exec = func(q string, args ...any) {
			if _, err := raw.ExecContext(bg, q, args...); err != nil {
				b.Fatalf("seed: %v", err)
			}
		}
		ph = func(int) string { return "?" }
	default:
		url := pgtest.NewDatabase(b)
		st, err := storeopen.Open(bg, url)
		must(b, err)
		b.Cleanup(func() { st.Close() })
		s = st
		conn, err := pgx.Connect(bg, url)
		must(b, err)
		b.Cleanup(func() { conn.Close(context.Background()) })
		exec = func(q string, args ...any) {
			if _, err := conn.Exec(bg, q, args...); err != nil {
				b.Fatalf("seed: %v", err)
			}
		}
		ph = func(i int) string { return fmt.Sprintf("$%d", i) }
	}
	must(b, s.Migrate(bg))
	fixture(b, s, benchNow.Add(-time.Hour))
	micros := func(t time.Time) any {
		if engine == "sqlite" {
			return t.UnixMicro()
		}
		return t
	}
	start := time.Now()
	if engine == "sqlite" {
		exec(`WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < ? - 1)
			INSERT INTO households (id, code, team_id, display_name, version, created_at, updated_at)
			SELECT printf('hb%07d', x), printf('HB%07d', x), 'team-1', 'x', 1, ?, ? FROM c`, households, micros(benchNow), micros(benchNow))
		exec(`INSERT INTO care_team_members (household_id, professional_id, lead) SELECT id, 'p-lead', 1 FROM households WHERE id LIKE 'hb%'`)
		exec(`WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < ? - 1)
			INSERT INTO schedules (id, household_id, rule, time_zone, local_time, grace_minutes, channel, lead_professional_id, paused,
			  start_date, end_date, next_due_at, version, created_at, updated_at, overdue_at, opens_at)
			SELECT CASE WHEN x < ? THEN printf('d%07d', x) ELSE printf('s%07d', x) END, printf('hb%07d', x % ?),
			  'FREQ=DAILY', 'Europe/Amsterdam', '18:00', 60, 'home_visit', 'p-lead', 0, '2027-01-01', '',
			  ? + (x % 720) * 3600000000, 1, ?, ?, ? + (x % 720) * 3600000000 + 3600000000, ?
			FROM c`, total, benchDue, households, micros(benchNow.Add(time.Hour)), micros(benchNow), micros(benchNow),
			micros(benchNow.Add(time.Hour)), micros(benchNow))
		exec(`ANALYZE`)
	} else {
		exec(`INSERT INTO households (id, code, team_id, display_name, version, created_at, updated_at)
			SELECT 'hb' || lpad(x::TEXT, 7, '0'), 'HB' || lpad(x::TEXT, 7, '0'), 'team-1', 'x', 1, $2, $2
			FROM generate_series(0, $1 - 1) AS g(x)`, households, benchNow)
		exec(`INSERT INTO care_team_members (household_id, professional_id, lead) SELECT id, 'p-lead', true FROM households WHERE id LIKE 'hb%'`)
		exec(`INSERT INTO schedules (id, household_id, rule, time_zone, local_time, grace_minutes, channel, lead_professional_id, paused,
			  start_date, end_date, next_due_at, version, created_at, updated_at, overdue_at, opens_at)
			SELECT CASE WHEN x < $2 THEN 'd' ELSE 's' END || lpad(x::TEXT, 7, '0'), 'hb' || lpad((x % $3)::TEXT, 7, '0'),
			  'FREQ=DAILY', 'Europe/Amsterdam', '18:00', 60, 'home_visit', 'p-lead', false, '2027-01-01', '',
			  $4::TIMESTAMPTZ + (x % 720) * INTERVAL '1 hour', 1, $5, $5, $4::TIMESTAMPTZ + (x % 720) * INTERVAL '1 hour' + INTERVAL '1 hour', $5
			FROM generate_series(0, $1 - 1) AS g(x)`, total, benchDue, households, benchNow.Add(time.Hour), benchNow)
		exec(`ANALYZE`)
	}
	b.Logf("seeded %d schedules over %d households in %v", total, households, time.Since(start).Round(time.Millisecond))
	reset := func(i int) {
		// A due instant unique to the iteration (the day before, plus i seconds), so every
		// run raises new alerts; the daily 18:00 rule moves each handled schedule past
		// benchNow, so one Detect handles each exactly once.
		due := benchNow.Add(-19*time.Hour + time.Duration(i)*time.Second)
		exec(`UPDATE schedules SET next_due_at = `+ph(1)+`, overdue_at = `+ph(2)+`, opens_at = `+ph(3)+` WHERE id >= 'd' AND id < 'e'`,
			micros(due), micros(due.Add(time.Hour)), micros(due.Add(-23*time.Hour)))
	}
	return s, reset
}
