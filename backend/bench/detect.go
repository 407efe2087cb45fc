package bench

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/push"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/store/storeopen"
)

// runDetect times one overdue-detection pass of the real scheduler (reminders.Scheduler.Detect:
// claim through the overdue index, advance each schedule, raise its alert, queue the lead's
// push, in batches of 500) with DetectDue schedules due among DetectSchedules. The schedules
// are seeded in bulk with SQL over DetectSchedules/10 households led by professional 0, as
// backend/reminders' BenchmarkDetect does; the pass must claim and raise exactly DetectDue.
// Pushes are only queued: the sender is never called within Detect.
func (r *runner) runDetect(ctx context.Context) error {
	if r.t.external {
		// It would seed a million schedules into the measured server's own database.
		r.na(ScenarioDetect, "-", "pass time", "ms", "in process only")
		return nil
	}
	if err := r.t.fix.ensure(ctx, 1); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	start := time.Now()
	if err := r.seedSchedules(ctx, now); err != nil {
		return err
	}
	r.progress("detect: seeded %d schedules in %v", r.cfg.DetectSchedules, time.Since(start).Round(time.Millisecond))
	sched, err := reminders.New(r.t.st, push.LogSender{Log: zerolog.Nop()}, func() time.Time { return now }, zerolog.Nop(), reminders.Config{})
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	start = time.Now()
	claimed, raised, err := sched.Detect(ctx)
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	took := time.Since(start)
	if claimed != r.cfg.DetectDue || raised != r.cfg.DetectDue {
		return fmt.Errorf("detect claimed %d and raised %d, want %d each", claimed, raised, r.cfg.DetectDue)
	}
	cse := fmt.Sprintf("%d due of %d", r.cfg.DetectDue, r.cfg.DetectSchedules)
	r.record(ScenarioDetect, cse, "pass time", "ms", float64(took.Microseconds())/1000)
	r.record(ScenarioDetect, cse, "due/s", "/s", float64(claimed)/took.Seconds())
	return nil
}

// seedSchedules writes the households and schedules of the detection pass: ids "d…" are due
// an hour before now (overdue since now minus the grace), ids "s…" are due at some hour of
// the next 30 days.
func (r *runner) seedSchedules(ctx context.Context, now time.Time) error {
	f := r.t.fix
	households := max(1, r.cfg.DetectSchedules/10)
	due, later := now.Add(-2*time.Hour), now.Add(time.Hour)
	kind, path := storeopen.Parse(r.t.dbURL)
	if kind == storeopen.KindSQLite {
		us := func(t time.Time) int64 { return t.UnixMicro() }
		return execSQLite(ctx, path,
			stmt{`WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < ? - 1)
			INSERT INTO households (id, code, team_id, display_name, version, created_at, updated_at)
			SELECT printf('hb%07d', x), printf('HB%07d', x), ?, 'x', 1, ?, ? FROM c`, []any{households, f.teamID, us(now), us(now)}},
			stmt{`INSERT INTO care_team_members (household_id, professional_id, lead) SELECT id, ?, 1 FROM households WHERE id LIKE 'hb%'`, []any{f.professionals[0]}},
			stmt{`WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < ? - 1)
			INSERT INTO schedules (id, household_id, rule, time_zone, local_time, grace_minutes, channel, lead_professional_id, paused,
			  start_date, end_date, next_due_at, version, created_at, updated_at, overdue_at, opens_at)
			SELECT CASE WHEN x < ? THEN printf('d%07d', x) ELSE printf('s%07d', x) END, printf('hb%07d', x % ?),
			  'FREQ=DAILY', 'Europe/Amsterdam', '18:00', 60, 'home_visit', ?, 0, '2020-01-01', '',
			  CASE WHEN x < ? THEN ? ELSE ? + (x % 720) * 3600000000 END, 1, ?, ?,
			  CASE WHEN x < ? THEN ? ELSE ? + (x % 720) * 3600000000 END + 3600000000, ?
			FROM c`, []any{r.cfg.DetectSchedules, r.cfg.DetectDue, households, f.professionals[0],
				r.cfg.DetectDue, us(due), us(later), us(now), us(now), r.cfg.DetectDue, us(due), us(later), us(due.Add(-23 * time.Hour))}},
			stmt{`ANALYZE`, nil})
	}
	return execPostgres(ctx, r.t.dbURL,
		stmt{`INSERT INTO households (id, code, team_id, display_name, version, created_at, updated_at)
			SELECT 'hb' || lpad(x::TEXT, 7, '0'), 'HB' || lpad(x::TEXT, 7, '0'), $2, 'x', 1, $3, $3
			FROM generate_series(0, $1 - 1) AS g(x)`, []any{households, f.teamID, now}},
		stmt{`INSERT INTO care_team_members (household_id, professional_id, lead) SELECT id, $1, true FROM households WHERE id LIKE 'hb%'`, []any{f.professionals[0]}},
		stmt{`INSERT INTO schedules (id, household_id, rule, time_zone, local_time, grace_minutes, channel, lead_professional_id, paused,
			  start_date, end_date, next_due_at, version, created_at, updated_at, overdue_at, opens_at)
			SELECT CASE WHEN x < $2 THEN 'd' ELSE 's' END || lpad(x::TEXT, 7, '0'), 'hb' || lpad((x % $3)::TEXT, 7, '0'),
			  'FREQ=DAILY', 'Europe/Amsterdam', '18:00', 60, 'home_visit', $4, false, '2020-01-01', '',
			  CASE WHEN x < $2 THEN $5::TIMESTAMPTZ ELSE $6::TIMESTAMPTZ + (x % 720) * INTERVAL '1 hour' END, 1, $7, $7,
			  CASE WHEN x < $2 THEN $5::TIMESTAMPTZ ELSE $6::TIMESTAMPTZ + (x % 720) * INTERVAL '1 hour' END + INTERVAL '1 hour', $8
			FROM generate_series(0, $1 - 1) AS g(x)`, []any{r.cfg.DetectSchedules, r.cfg.DetectDue, households, f.professionals[0], due, later, now, due.Add(-23 * time.Hour)}},
		stmt{`ANALYZE`, nil})
}

// stmt is one SQL statement and its arguments.
type stmt struct {
	q    string
	args []any
}

func execSQLite(ctx context.Context, path string, stmts ...stmt) error {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	defer db.Close()
	for i, s := range stmts {
		if _, err := db.ExecContext(ctx, s.q, s.args...); err != nil {
			return fmt.Errorf("seed statement %d: %w", i+1, err)
		}
	}
	return nil
}

func execPostgres(ctx context.Context, url string, stmts ...stmt) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	for i, s := range stmts {
		if _, err := conn.Exec(ctx, s.q, s.args...); err != nil {
			return fmt.Errorf("seed statement %d: %w", i+1, err)
		}
	}
	return nil
}
