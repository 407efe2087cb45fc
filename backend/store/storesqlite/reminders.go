package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// SQLite has one writer at a time, so a write transaction that claims due work holds it alone:
// the claim needs no SKIP LOCKED, and a process killed mid-batch leaves its transaction
// uncommitted (the WAL discards it). The statements run per row inside one transaction, which
// in-process SQLite makes as cheap as a set-based statement: there is no round trip to save.

// DeviceRegister implements store.Store.
func (s *Store) DeviceRegister(ctx context.Context, d store.Device) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO devices (token, professional_id, platform, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (token) DO UPDATE SET professional_id = excluded.professional_id, platform = excluded.platform, updated_at = excluded.updated_at`,
			d.Token, d.ProfessionalID, d.Platform, micros(d.UpdatedAt))
		if err != nil {
			return fmt.Errorf("register device of %s: %w", d.ProfessionalID, err)
		}
		return nil
	})
}

// DeviceUnregister implements store.Store.
func (s *Store) DeviceUnregister(ctx context.Context, professionalID, token string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM devices WHERE token = ? AND professional_id = ?`, token, professionalID); err != nil {
			return fmt.Errorf("unregister device: %w", err)
		}
		return nil
	})
}

// DeviceListByProfessional implements store.Store.
func (s *Store) DeviceListByProfessional(ctx context.Context, professionalID string) ([]*store.Device, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT token, professional_id, platform, updated_at FROM devices WHERE professional_id = ? ORDER BY token`, professionalID)
	if err != nil {
		return nil, fmt.Errorf("list devices of %s: %w", professionalID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Device, error) {
		var d store.Device
		var at int64
		err := r.Scan(&d.Token, &d.ProfessionalID, &d.Platform, &at)
		d.UpdatedAt = fromMicros(at)
		return &d, err
	})
}

// EscalationPolicySet implements store.Store.
func (s *Store) EscalationPolicySet(ctx context.Context, p store.EscalationPolicy) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO escalation_policies (scope_id, supervisor_after_secs, on_call_after_secs, on_call_professional_id, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (scope_id) DO UPDATE SET supervisor_after_secs = excluded.supervisor_after_secs,
			  on_call_after_secs = excluded.on_call_after_secs, on_call_professional_id = excluded.on_call_professional_id,
			  updated_at = excluded.updated_at`,
			p.ScopeID, int64(p.SupervisorAfter/time.Second), int64(p.OnCallAfter/time.Second), p.OnCallProfessionalID, micros(p.UpdatedAt))
		if err != nil {
			return fmt.Errorf("set escalation policy of %s: %w", p.ScopeID, err)
		}
		return nil
	})
}

// EscalationPolicyList implements store.Store.
func (s *Store) EscalationPolicyList(ctx context.Context) ([]*store.EscalationPolicy, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT scope_id, supervisor_after_secs, on_call_after_secs, on_call_professional_id, updated_at
		FROM escalation_policies ORDER BY scope_id`)
	if err != nil {
		return nil, fmt.Errorf("list escalation policies: %w", err)
	}
	return collect(rows, func(r *sql.Rows) (*store.EscalationPolicy, error) {
		var p store.EscalationPolicy
		var sup, onCall, at int64
		err := r.Scan(&p.ScopeID, &sup, &onCall, &p.OnCallProfessionalID, &at)
		p.SupervisorAfter, p.OnCallAfter, p.UpdatedAt = time.Duration(sup)*time.Second, time.Duration(onCall)*time.Second, fromMicros(at)
		return &p, err
	})
}

// ReminderDetect implements store.Store.
func (s *Store) ReminderDetect(ctx context.Context, p store.ReminderDetectParams) (claimed, raised int, err error) {
	now := micros(p.Now)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+scheduleColumns+` FROM schedules
			WHERE overdue_at IS NOT NULL AND overdue_at <= ? ORDER BY overdue_at LIMIT ?`, now, p.Limit)
		if err != nil {
			return fmt.Errorf("claim due schedules: %w", err)
		}
		due, err := collect(rows, func(r *sql.Rows) (*store.Schedule, error) { return scanSchedule(r) })
		if err != nil {
			return fmt.Errorf("claim due schedules: %w", err)
		}
		claimed, raised = len(due), 0
		var notices []noticeSpec
		for _, sc := range due {
			adv := p.Advance(store.DueSchedule{Schedule: *sc, Satisfied: sc.Satisfied()})
			if adv.AlertID != "" {
				res, err := tx.ExecContext(ctx, `INSERT INTO alerts (id, kind, schedule_id, household_id, team_id, organization_id, lead_id, due_at, step, next_step_at, created_at)
					SELECT ?, 'overdue', ?, h.id, h.team_id, COALESCE((SELECT organization_id FROM professionals WHERE id = ?), ''), ?, ?, 0, ?, ?
					FROM households h WHERE h.id = ?
					ON CONFLICT (id) DO NOTHING`,
					adv.AlertID, sc.ID, sc.LeadProfessionalID, sc.LeadProfessionalID, micros(*sc.NextDueAt), nullMicros(adv.NextStepAt), now, sc.HouseholdID)
				if err != nil {
					return fmt.Errorf("raise alert for schedule %s: %w", sc.ID, err)
				}
				if n, _ := res.RowsAffected(); n == 1 {
					raised++
					notices = append(notices, noticeSpec{id: adv.AlertID + "#0", alertID: adv.AlertID, step: store.StepLead, kind: "alert",
						ref: adv.AlertID, professionals: []string{sc.LeadProfessionalID}})
				}
			}
			_, err := tx.ExecContext(ctx, `UPDATE schedules SET next_due_at = ?, overdue_at = ?, opens_at = ? WHERE id = ?`,
				nullMicros(adv.NextDueAt), nullMicros(adv.OverdueAt), nullMicros(sc.OverdueAt), sc.ID)
			if err != nil {
				return fmt.Errorf("advance schedule %s: %w", sc.ID, err)
			}
		}
		return queueNotices(ctx, tx, now, notices)
	})
	return claimed, raised, err
}

// noticeSpec is one notice to record and whom to push it to.
type noticeSpec struct {
	id, alertID   string
	step          int32
	kind, ref     string
	urgent        bool
	professionals []string
	supervisorsOf string // a team id: its supervisors are notified too
	counts        [3]int32
}

// queueNotices records notices and queues one push per recipient device. A notice that exists
// already is skipped together with its pushes: that is the exactly-once rule.
func queueNotices(ctx context.Context, tx *sql.Tx, now int64, ns []noticeSpec) error {
	for _, n := range ns {
		res, err := tx.ExecContext(ctx, `INSERT INTO notices (id, alert_id, step, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			n.id, n.alertID, n.step, now)
		if err != nil {
			return fmt.Errorf("record notice: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		insert := `INSERT INTO push_outbox (notice_id, token, professional_id, kind, ref, urgent, overdue, escalated, concerns,
			  status, attempts, next_attempt_at, created_at)
			SELECT ?, d.token, d.professional_id, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ? FROM devices d `
		args := []any{n.id, n.kind, n.ref, boolInt(n.urgent), n.counts[0], n.counts[1], n.counts[2], now, now}
		if len(n.professionals) > 0 {
			q := insert + `WHERE d.professional_id IN (?` + strings.Repeat(", ?", len(n.professionals)-1) + `) ON CONFLICT DO NOTHING`
			a := append([]any{}, args...)
			for _, p := range n.professionals {
				a = append(a, p)
			}
			if _, err := tx.ExecContext(ctx, q, a...); err != nil {
				return fmt.Errorf("queue pushes: %w", err)
			}
		}
		if n.supervisorsOf != "" {
			q := insert + `JOIN team_members tm ON tm.professional_id = d.professional_id AND tm.team_id = ?
				JOIN professionals p ON p.id = tm.professional_id AND p.role = 'supervisor' ON CONFLICT DO NOTHING`
			if _, err := tx.ExecContext(ctx, q, append(args, n.supervisorsOf)...); err != nil {
				return fmt.Errorf("queue pushes to supervisors: %w", err)
			}
		}
	}
	return nil
}

const alertColumns = `id, kind, schedule_id, household_id, team_id, organization_id, lead_id, due_at, step, next_step_at,
	acknowledged_at, acknowledged_by, created_at`

func scanAlert(r interface{ Scan(...any) error }) (*store.Alert, error) {
	var a store.Alert
	var due, created int64
	var next, acked sql.NullInt64
	err := r.Scan(&a.ID, &a.Kind, &a.ScheduleID, &a.HouseholdID, &a.TeamID, &a.OrganizationID, &a.LeadID, &due, &a.Step,
		&next, &acked, &a.AcknowledgedBy, &created)
	a.DueAt, a.CreatedAt, a.NextStepAt, a.AcknowledgedAt = fromMicros(due), fromMicros(created), timePtr(next), timePtr(acked)
	return &a, err
}

// AlertEscalate implements store.Store.
func (s *Store) AlertEscalate(ctx context.Context, p store.AlertEscalateParams) (int, error) {
	now := micros(p.Now)
	var claimed int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts
			WHERE next_step_at IS NOT NULL AND next_step_at <= ? ORDER BY next_step_at LIMIT ?`, now, p.Limit)
		if err != nil {
			return fmt.Errorf("claim alerts: %w", err)
		}
		alerts, err := collect(rows, func(r *sql.Rows) (*store.Alert, error) { return scanAlert(r) })
		if err != nil {
			return fmt.Errorf("claim alerts: %w", err)
		}
		claimed = len(alerts)
		notices := make([]noticeSpec, 0, claimed)
		for _, a := range alerts {
			st := p.Step(*a)
			if _, err := tx.ExecContext(ctx, `UPDATE alerts SET step = ?, next_step_at = ? WHERE id = ?`, st.Step, nullMicros(st.NextStepAt), a.ID); err != nil {
				return fmt.Errorf("escalate alert %s: %w", a.ID, err)
			}
			if st.Step == a.Step {
				continue // not yet: only the time of the next step moves
			}
			n := noticeSpec{id: fmt.Sprintf("%s#%d", a.ID, st.Step), alertID: a.ID, step: st.Step, kind: "alert", ref: a.ID,
				urgent: true, professionals: st.ProfessionalIDs}
			if st.Supervisors {
				n.supervisorsOf = a.TeamID
			}
			notices = append(notices, n)
		}
		return queueNotices(ctx, tx, now, notices)
	})
	return claimed, err
}

// AlertRaise implements store.Store.
func (s *Store) AlertRaise(ctx context.Context, p store.AlertRaiseParams) (bool, error) {
	a, now := p.Alert, micros(p.Now)
	var created bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO alerts (id, kind, schedule_id, household_id, team_id, organization_id, lead_id, due_at, step, next_step_at, created_at)
			SELECT ?, ?, ?, h.id, h.team_id, COALESCE((SELECT organization_id FROM professionals WHERE id = ?), ''), ?, ?, 0, ?, ?
			FROM households h WHERE h.id = ?
			ON CONFLICT (id) DO NOTHING`, a.ID, a.Kind, a.ScheduleID, a.LeadID, a.LeadID, now, nullMicros(a.NextStepAt), now, a.HouseholdID)
		if err != nil {
			return fmt.Errorf("raise alert for %s: %w", a.HouseholdID, err)
		}
		n, _ := res.RowsAffected()
		if created = n == 1; !created {
			return nil
		}
		return queueNotices(ctx, tx, now, []noticeSpec{{id: a.ID + "#0", alertID: a.ID, step: store.StepLead, kind: "alert", ref: a.ID,
			urgent: a.Kind == store.AlertUrgent, professionals: []string{a.LeadID}}})
	})
	return created, err
}

// AlertGet implements store.Store.
func (s *Store) AlertGet(ctx context.Context, id string) (*store.Alert, error) {
	a, err := scanAlert(s.read.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "alert "+id)
	}
	return a, nil
}

// AlertListByHousehold implements store.Store.
func (s *Store) AlertListByHousehold(ctx context.Context, householdID string, limit int) ([]*store.Alert, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE household_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, householdID, limit)
	if err != nil {
		return nil, fmt.Errorf("list alerts of %s: %w", householdID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Alert, error) { return scanAlert(r) })
}

// AlertAcknowledge implements store.Store.
func (s *Store) AlertAcknowledge(ctx context.Context, p store.AlertAcknowledgeParams) (*store.Alert, error) {
	var out *store.Alert
	err := s.tx(ctx, func(tx *sql.Tx) error {
		a, err := scanAlert(tx.QueryRowContext(ctx, `UPDATE alerts SET next_step_at = NULL,
			  acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN ? ELSE acknowledged_by END,
			  acknowledged_at = COALESCE(acknowledged_at, ?)
			WHERE id = ? RETURNING `+alertColumns, p.ProfessionalID, micros(p.Now), p.ID))
		if err != nil {
			return notFound(err, "acknowledge alert "+p.ID)
		}
		out = a
		return nil
	})
	return out, err
}

// NoticeList implements store.Store.
func (s *Store) NoticeList(ctx context.Context, alertID string) ([]*store.Notice, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, alert_id, step, created_at FROM notices WHERE alert_id = ? ORDER BY step, id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("list notices of %s: %w", alertID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Notice, error) {
		var n store.Notice
		var at int64
		err := r.Scan(&n.ID, &n.AlertID, &n.Step, &at)
		n.CreatedAt = fromMicros(at)
		return &n, err
	})
}

const outboxColumns = `notice_id, token, professional_id, kind, ref, urgent, overdue, escalated, concerns, status, attempts,
	next_attempt_at, last_error, created_at, finished_at`

func scanOutbox(r interface{ Scan(...any) error }) (*store.OutboxItem, error) {
	var o store.OutboxItem
	var next, created int64
	var finished sql.NullInt64
	err := r.Scan(&o.NoticeID, &o.Token, &o.ProfessionalID, &o.Kind, &o.Ref, &o.Urgent, &o.Counts[0], &o.Counts[1], &o.Counts[2],
		&o.Status, &o.Attempts, &next, &o.LastError, &created, &finished)
	o.NextAttemptAt, o.CreatedAt, o.FinishedAt = fromMicros(next), fromMicros(created), timePtr(finished)
	return &o, err
}

// OutboxClaim implements store.Store.
func (s *Store) OutboxClaim(ctx context.Context, p store.OutboxClaimParams) ([]*store.OutboxItem, error) {
	var out []*store.OutboxItem
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE push_outbox SET next_attempt_at = ?, attempts = attempts + 1
			WHERE (notice_id, token) IN (
			  SELECT notice_id, token FROM push_outbox WHERE status = 'pending' AND next_attempt_at <= ?
			  ORDER BY next_attempt_at LIMIT ?)
			RETURNING `+outboxColumns, micros(p.Now.Add(p.Lease)), micros(p.Now), p.Limit)
		if err != nil {
			return fmt.Errorf("claim pushes: %w", err)
		}
		out, err = collect(rows, func(r *sql.Rows) (*store.OutboxItem, error) { return scanOutbox(r) })
		if err != nil {
			return fmt.Errorf("claim pushes: %w", err)
		}
		return nil
	})
	return out, err
}

// OutboxComplete implements store.Store.
func (s *Store) OutboxComplete(ctx context.Context, p store.OutboxCompleteParams) error {
	if len(p.Results) == 0 {
		return nil
	}
	now := micros(p.Now)
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range p.Results {
			next, finished := now, any(now)
			if r.Status == store.OutboxPending {
				next, finished = micros(r.NextAttemptAt), nil
			}
			_, err := tx.ExecContext(ctx, `UPDATE push_outbox SET status = ?, next_attempt_at = ?, last_error = ?, finished_at = ?
				WHERE notice_id = ? AND token = ? AND attempts = ? AND status = 'pending'`,
				r.Status, next, r.Reason, finished, r.NoticeID, r.Token, r.Attempt)
			if err != nil {
				return fmt.Errorf("record push outcome: %w", err)
			}
			if r.Status == store.OutboxUnregistered {
				if _, err := tx.ExecContext(ctx, `DELETE FROM devices WHERE token = ?`, r.Token); err != nil {
					return fmt.Errorf("remove unregistered device: %w", err)
				}
			}
		}
		return nil
	})
}

// OutboxList implements store.Store.
func (s *Store) OutboxList(ctx context.Context, noticeID string) ([]*store.OutboxItem, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+outboxColumns+` FROM push_outbox WHERE notice_id = ? ORDER BY token`, noticeID)
	if err != nil {
		return nil, fmt.Errorf("list pushes of %s: %w", noticeID, err)
	}
	return collect(rows, func(r *sql.Rows) (*store.OutboxItem, error) { return scanOutbox(r) })
}

// DigestCreate implements store.Store.
func (s *Store) DigestCreate(ctx context.Context, p store.DigestCreateParams) (*store.Digest, bool, error) {
	var (
		out     *store.Digest
		created bool
	)
	slot, now := micros(p.SlotAt), micros(p.Now)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		d := store.Digest{ProfessionalID: p.ProfessionalID, SlotAt: fromMicros(slot), CreatedAt: fromMicros(now)}
		var at int64
		err := tx.QueryRowContext(ctx, `SELECT overdue, escalated, concerns, notice_id, created_at FROM digests WHERE professional_id = ? AND slot_at = ?`,
			p.ProfessionalID, slot).Scan(&d.Overdue, &d.Escalated, &d.Concerns, &d.NoticeID, &at)
		if err == nil {
			d.CreatedAt, out = fromMicros(at), &d
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("load digest: %w", err)
		}
		err = tx.QueryRowContext(ctx, `SELECT
			  (SELECT count(*) FROM alerts a JOIN team_members tm ON tm.team_id = a.team_id AND tm.professional_id = ?1
			   WHERE a.acknowledged_at IS NULL AND a.step = 0 AND a.kind = 'overdue'),
			  (SELECT count(*) FROM alerts a JOIN team_members tm ON tm.team_id = a.team_id AND tm.professional_id = ?1
			   WHERE a.acknowledged_at IS NULL AND (a.step > 0 OR a.kind <> 'overdue')),
			  (SELECT count(*) FROM check_ins c JOIN households h ON h.id = c.household_id
			     JOIN team_members tm ON tm.team_id = h.team_id AND tm.professional_id = ?1
			   WHERE c.outcome IN ('concerns', 'unsafe') AND c.recorded_at > ?2 AND c.recorded_at <= ?3)`,
			p.ProfessionalID, micros(p.Since), slot).Scan(&d.Overdue, &d.Escalated, &d.Concerns)
		if err != nil {
			return fmt.Errorf("count digest: %w", err)
		}
		if d.Overdue+d.Escalated+d.Concerns > 0 {
			d.NoticeID = "digest:" + p.ProfessionalID + "@" + d.SlotAt.Format(time.RFC3339)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO digests (professional_id, slot_at, overdue, escalated, concerns, notice_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, d.ProfessionalID, slot, d.Overdue, d.Escalated, d.Concerns, d.NoticeID, now); err != nil {
			return fmt.Errorf("record digest: %w", err)
		}
		out, created = &d, true
		if d.NoticeID == "" {
			return nil // nothing to say: nothing is sent
		}
		return queueNotices(ctx, tx, now, []noticeSpec{{id: d.NoticeID, kind: "digest", ref: d.SlotAt.Format(time.RFC3339),
			professionals: []string{p.ProfessionalID}, counts: [3]int32{d.Overdue, d.Escalated, d.Concerns}}})
	})
	return out, created, err
}

// ProfessionalListByRole implements store.Store.
func (s *Store) ProfessionalListByRole(ctx context.Context, role store.Role) ([]*store.Professional, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+professionalColumns+` FROM professionals WHERE role = ? ORDER BY id`, string(role))
	if err != nil {
		return nil, fmt.Errorf("list professionals by role: %w", err)
	}
	return collect(rows, func(r *sql.Rows) (*store.Professional, error) { return scanProfessional(r) })
}

// checkInEffects keeps the scheduler's view of check-ins in the writing transaction: the
// households' schedules learn their latest check-in (which satisfies the current occurrence),
// and their open overdue alerts are acknowledged, which stops the escalation. A "no contact"
// check-in confirms nothing and has neither effect.
func checkInEffects(ctx context.Context, tx *sql.Tx, cs []change.CheckIn, now time.Time) error {
	for _, c := range cs {
		if c.Outcome == "no_contact" {
			continue
		}
		at := micros(c.RecordedAt)
		if _, err := tx.ExecContext(ctx, `UPDATE schedules SET last_check_in_at = ?
			WHERE household_id = ? AND (last_check_in_at IS NULL OR last_check_in_at < ?)`, at, c.HouseholdID, at); err != nil {
			return fmt.Errorf("record check-in on schedules: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET acknowledged_at = ?, acknowledged_by = 'check-in', next_step_at = NULL
			WHERE household_id = ? AND acknowledged_at IS NULL AND kind = 'overdue'`, micros(now), c.HouseholdID); err != nil {
			return fmt.Errorf("acknowledge alerts by check-in: %w", err)
		}
	}
	return nil
}

// SyncPokeDrain implements store.Store.
func (s *Store) SyncPokeDrain(ctx context.Context, p store.SyncPokeDrainParams) (int, error) {
	now := micros(p.Now)
	var taken int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM sync_pokes WHERE household_id IN (
			  SELECT household_id FROM sync_pokes ORDER BY household_id LIMIT ?)
			RETURNING household_id, version`, p.Limit)
		if err != nil {
			return fmt.Errorf("take sync pokes: %w", err)
		}
		type poke struct {
			household string
			version   int64
		}
		pokes, err := collect(rows, func(r *sql.Rows) (poke, error) {
			var k poke
			err := r.Scan(&k.household, &k.version)
			return k, err
		})
		if err != nil {
			return fmt.Errorf("take sync pokes: %w", err)
		}
		taken = len(pokes)
		for _, k := range pokes {
			// Everyone who may see the household: its care team, and its team's supervisors
			// (the rule of HouseholdCanAccess), once each.
			_, err := tx.ExecContext(ctx, `INSERT INTO push_outbox (notice_id, token, professional_id, kind, ref, urgent, status, attempts, next_attempt_at, created_at)
				SELECT ?1, d.token, d.professional_id, 'sync', '', 0, 'pending', 0, ?2, ?2 FROM devices d
				WHERE d.professional_id IN (
				  SELECT professional_id FROM care_team_members WHERE household_id = ?3
				  UNION
				  SELECT tm.professional_id FROM households h JOIN team_members tm ON tm.team_id = h.team_id
				    JOIN professionals p ON p.id = tm.professional_id AND p.role = 'supervisor' WHERE h.id = ?3)
				ON CONFLICT (notice_id, token) DO NOTHING`, fmt.Sprintf("sync:%s@%d", k.household, k.version), now, k.household)
			if err != nil {
				return fmt.Errorf("queue sync pokes: %w", err)
			}
		}
		return nil
	})
	return taken, err
}
