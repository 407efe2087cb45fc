package storepgx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
)

// The scheduler's claims use SELECT … FOR UPDATE SKIP LOCKED (CockroachDB ≥ 22.2, PostgreSQL
// ≥ 9.5): replicas that claim at the same moment take disjoint rows instead of queueing behind
// each other. The locks live only as long as the claiming transaction, which also writes the
// outcome, so a replica killed mid-batch loses nothing: its transaction rolls back and the rows
// are claimable again at once. The outbox, whose work (a network call to FCM) must happen
// outside a transaction, uses a time lease instead (next_attempt_at).

// DeviceRegister implements store.Store.
func (s *Store) DeviceRegister(ctx context.Context, d store.Device) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO devices (token, professional_id, platform, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (token) DO UPDATE SET professional_id = excluded.professional_id, platform = excluded.platform, updated_at = excluded.updated_at`,
			d.Token, d.ProfessionalID, d.Platform, d.UpdatedAt.UTC())
		if err != nil {
			return fmt.Errorf("register device of %s: %w", d.ProfessionalID, err)
		}
		return nil
	})
}

// DeviceUnregister implements store.Store.
func (s *Store) DeviceUnregister(ctx context.Context, professionalID, token string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM devices WHERE token = $1 AND professional_id = $2`, token, professionalID); err != nil {
			return fmt.Errorf("unregister device: %w", err)
		}
		return nil
	})
}

// DeviceListByProfessional implements store.Store.
func (s *Store) DeviceListByProfessional(ctx context.Context, professionalID string) ([]*store.Device, error) {
	return query(ctx, s, "list devices of "+professionalID, func(r pgx.Row) (*store.Device, error) {
		var d store.Device
		err := r.Scan(&d.Token, &d.ProfessionalID, &d.Platform, &d.UpdatedAt)
		d.UpdatedAt = utc(d.UpdatedAt)
		return &d, err
	}, `SELECT token, professional_id, platform, updated_at FROM devices WHERE professional_id = $1 ORDER BY token`, professionalID)
}

// EscalationPolicySet implements store.Store.
func (s *Store) EscalationPolicySet(ctx context.Context, p store.EscalationPolicy) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO escalation_policies (scope_id, supervisor_after_secs, on_call_after_secs, on_call_professional_id, updated_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (scope_id) DO UPDATE SET supervisor_after_secs = excluded.supervisor_after_secs,
			  on_call_after_secs = excluded.on_call_after_secs, on_call_professional_id = excluded.on_call_professional_id,
			  updated_at = excluded.updated_at`,
			p.ScopeID, int32(p.SupervisorAfter/time.Second), int32(p.OnCallAfter/time.Second), p.OnCallProfessionalID, p.UpdatedAt.UTC())
		if err != nil {
			return fmt.Errorf("set escalation policy of %s: %w", p.ScopeID, err)
		}
		return nil
	})
}

// EscalationPolicyList implements store.Store.
func (s *Store) EscalationPolicyList(ctx context.Context) ([]*store.EscalationPolicy, error) {
	return query(ctx, s, "list escalation policies", func(r pgx.Row) (*store.EscalationPolicy, error) {
		var p store.EscalationPolicy
		var sup, onCall int32
		err := r.Scan(&p.ScopeID, &sup, &onCall, &p.OnCallProfessionalID, &p.UpdatedAt)
		p.SupervisorAfter, p.OnCallAfter, p.UpdatedAt = time.Duration(sup)*time.Second, time.Duration(onCall)*time.Second, utc(p.UpdatedAt)
		return &p, err
	}, `SELECT scope_id, supervisor_after_secs, on_call_after_secs, on_call_professional_id, updated_at FROM escalation_policies ORDER BY scope_id`)
}

// ReminderDetect implements store.Store.
func (s *Store) ReminderDetect(ctx context.Context, p store.ReminderDetectParams) (claimed, raised int, err error) {
	now := p.Now.UTC()
	err = s.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+scheduleColumns+` FROM schedules
			WHERE overdue_at IS NOT NULL AND overdue_at <= $1 ORDER BY overdue_at LIMIT $2 FOR UPDATE SKIP LOCKED`, now, p.Limit)
		due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.Schedule, error) { return scanSchedule(r) })
		if err != nil {
			return fmt.Errorf("claim due schedules: %w", err)
		}
		claimed, raised = len(due), 0
		if len(due) == 0 {
			return nil
		}
		var (
			ids                         = make([]string, len(due))
			nexts, overdues, opens      = make([]*time.Time, len(due)), make([]*time.Time, len(due)), make([]*time.Time, len(due))
			aIDs, aSched, aHouse, aLead []string
			aDue                        []time.Time
			aNextPtr                    []*time.Time
		)
		for i, sc := range due {
			adv := p.Advance(store.DueSchedule{Schedule: *sc, Satisfied: sc.Satisfied()})
			ids[i], nexts[i], overdues[i], opens[i] = sc.ID, utcPtr(adv.NextDueAt), utcPtr(adv.OverdueAt), utcPtr(sc.OverdueAt)
			if adv.AlertID != "" {
				aIDs, aSched, aHouse, aLead = append(aIDs, adv.AlertID), append(aSched, sc.ID), append(aHouse, sc.HouseholdID), append(aLead, sc.LeadProfessionalID)
				aDue, aNextPtr = append(aDue, sc.NextDueAt.UTC()), append(aNextPtr, utcPtr(adv.NextStepAt))
			}
		}
		if len(aIDs) > 0 {
			rows, _ := tx.Query(ctx, `INSERT INTO alerts (id, kind, schedule_id, household_id, team_id, organization_id, lead_id, due_at, step, next_step_at, created_at)
				SELECT a.id, 'overdue', a.schedule_id, a.household_id, h.team_id, COALESCE(p.organization_id, ''), a.lead_id, a.due_at, 0, a.next_step_at, $1
				FROM unnest($2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TIMESTAMPTZ[], $7::TIMESTAMPTZ[])
				  AS a(id, schedule_id, household_id, lead_id, due_at, next_step_at)
				JOIN households h ON h.id = a.household_id
				LEFT JOIN professionals p ON p.id = a.lead_id
				ON CONFLICT (id) DO NOTHING
				RETURNING id, lead_id`, now, aIDs, aSched, aHouse, aLead, aDue, aNextPtr)
			var notices []noticeSpec
			err := forEach(rows, func(r pgx.CollectableRow) error {
				var id, lead string
				if err := r.Scan(&id, &lead); err != nil {
					return err
				}
				notices = append(notices, noticeSpec{id: id + "#0", alertID: id, step: store.StepLead, kind: "alert", ref: id, professionals: []string{lead}})
				return nil
			})
			if err != nil {
				return fmt.Errorf("raise alerts: %w", err)
			}
			raised = len(notices)
			if err := queueNotices(ctx, tx, now, notices); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE schedules SET next_due_at = u.next_due_at, overdue_at = u.overdue_at, opens_at = u.opens_at
			FROM unnest($1::TEXT[], $2::TIMESTAMPTZ[], $3::TIMESTAMPTZ[], $4::TIMESTAMPTZ[]) AS u(id, next_due_at, overdue_at, opens_at)
			WHERE schedules.id = u.id`, ids, nexts, overdues, opens)
		if err != nil {
			return fmt.Errorf("advance schedules: %w", err)
		}
		return nil
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

// queueNotices records notices and queues one push per recipient device, set-based. Notices
// that exist already are skipped together with their pushes: that is the exactly-once rule.
func queueNotices(ctx context.Context, tx pgx.Tx, now time.Time, ns []noticeSpec) error {
	if len(ns) == 0 {
		return nil
	}
	rows, _ := tx.Query(ctx, `INSERT INTO notices (id, alert_id, step, created_at)
		SELECT n.id, n.alert_id, n.step, $1 FROM unnest($2::TEXT[], $3::TEXT[], $4::INT4[]) AS n(id, alert_id, step)
		ON CONFLICT (id) DO NOTHING RETURNING id`,
		now, column(ns, func(n noticeSpec) string { return n.id }), column(ns, func(n noticeSpec) string { return n.alertID }),
		column(ns, func(n noticeSpec) int32 { return n.step }))
	fresh := map[string]bool{}
	err := forEach(rows, func(r pgx.CollectableRow) error {
		var id string
		err := r.Scan(&id)
		fresh[id] = true
		return err
	})
	if err != nil {
		return fmt.Errorf("record notices: %w", err)
	}
	// One row per (notice, recipient): a professional directly, or a team whose supervisors
	// are looked up in SQL.
	var (
		nID, nKind, nRef, nWho, nTeam []string
		nUrgent                       []bool
		nOver, nEsc, nCon             []int32
	)
	add := func(n noticeSpec, who, team string) {
		nID, nKind, nRef, nWho, nTeam = append(nID, n.id), append(nKind, n.kind), append(nRef, n.ref), append(nWho, who), append(nTeam, team)
		nUrgent = append(nUrgent, n.urgent)
		nOver, nEsc, nCon = append(nOver, n.counts[0]), append(nEsc, n.counts[1]), append(nCon, n.counts[2])
	}
	for _, n := range ns {
		if !fresh[n.id] {
			continue
		}
		for _, p := range n.professionals {
			if p != "" {
				add(n, p, "")
			}
		}
		if n.supervisorsOf != "" {
			add(n, "", n.supervisorsOf)
		}
	}
	if len(nID) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO push_outbox (notice_id, token, professional_id, kind, ref, urgent, overdue, escalated, concerns,
		  status, attempts, next_attempt_at, created_at)
		SELECT r.id, d.token, d.professional_id, r.kind, r.ref, r.urgent, r.overdue, r.escalated, r.concerns, 'pending', 0, $1, $1
		FROM (
		  SELECT n.id, n.kind, n.ref, n.urgent, n.overdue, n.escalated, n.concerns,
		         CASE WHEN n.team = '' THEN n.who ELSE tm.professional_id END AS professional_id
		  FROM unnest($2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::BOOL[], $8::INT4[], $9::INT4[], $10::INT4[])
		    AS n(id, kind, ref, who, team, urgent, overdue, escalated, concerns)
		  LEFT JOIN team_members tm ON tm.team_id = n.team
		  LEFT JOIN professionals p ON p.id = tm.professional_id
		  WHERE n.team = '' OR p.role = 'supervisor'
		) r
		JOIN devices d ON d.professional_id = r.professional_id
		ON CONFLICT (notice_id, token) DO NOTHING`,
		now, nID, nKind, nRef, nWho, nTeam, nUrgent, nOver, nEsc, nCon)
	if err != nil {
		return fmt.Errorf("queue pushes: %w", err)
	}
	return nil
}

const alertColumns = `id, kind, schedule_id, household_id, team_id, organization_id, lead_id, due_at, step, next_step_at,
	acknowledged_at, acknowledged_by, created_at`

func scanAlert(r pgx.Row) (*store.Alert, error) {
	var a store.Alert
	err := r.Scan(&a.ID, &a.Kind, &a.ScheduleID, &a.HouseholdID, &a.TeamID, &a.OrganizationID, &a.LeadID, &a.DueAt, &a.Step,
		&a.NextStepAt, &a.AcknowledgedAt, &a.AcknowledgedBy, &a.CreatedAt)
	a.DueAt, a.CreatedAt, a.NextStepAt, a.AcknowledgedAt = utc(a.DueAt), utc(a.CreatedAt), utcPtr(a.NextStepAt), utcPtr(a.AcknowledgedAt)
	return &a, err
}

// AlertEscalate implements store.Store.
func (s *Store) AlertEscalate(ctx context.Context, p store.AlertEscalateParams) (int, error) {
	now := p.Now.UTC()
	var claimed int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+alertColumns+` FROM alerts
			WHERE next_step_at IS NOT NULL AND next_step_at <= $1 ORDER BY next_step_at LIMIT $2 FOR UPDATE SKIP LOCKED`, now, p.Limit)
		alerts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.Alert, error) { return scanAlert(r) })
		if err != nil {
			return fmt.Errorf("claim alerts: %w", err)
		}
		claimed = len(alerts)
		if claimed == 0 {
			return nil
		}
		ids, steps, nexts := make([]string, claimed), make([]int32, claimed), make([]*time.Time, claimed)
		notices := make([]noticeSpec, 0, claimed)
		for i, a := range alerts {
			st := p.Step(*a)
			ids[i], steps[i], nexts[i] = a.ID, st.Step, utcPtr(st.NextStepAt)
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
		_, err = tx.Exec(ctx, `UPDATE alerts SET step = u.step, next_step_at = u.next_step_at
			FROM unnest($1::TEXT[], $2::INT4[], $3::TIMESTAMPTZ[]) AS u(id, step, next_step_at) WHERE alerts.id = u.id`, ids, steps, nexts)
		if err != nil {
			return fmt.Errorf("escalate alerts: %w", err)
		}
		return queueNotices(ctx, tx, now, notices)
	})
	return claimed, err
}

// AlertRaise implements store.Store.
func (s *Store) AlertRaise(ctx context.Context, p store.AlertRaiseParams) (bool, error) {
	a, now := p.Alert, p.Now.UTC()
	var created bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO alerts (id, kind, schedule_id, household_id, team_id, organization_id, lead_id, due_at, step, next_step_at, created_at)
			SELECT $1, $2, $3, h.id, h.team_id, COALESCE((SELECT organization_id FROM professionals WHERE id = $5), ''), $5, $6, 0, $7, $6
			FROM households h WHERE h.id = $4
			ON CONFLICT (id) DO NOTHING`, a.ID, a.Kind, a.ScheduleID, a.HouseholdID, a.LeadID, now, utcPtr(a.NextStepAt))
		if err != nil {
			return fmt.Errorf("raise alert for %s: %w", a.HouseholdID, err)
		}
		created = tag.RowsAffected() == 1
		if !created {
			return nil
		}
		return queueNotices(ctx, tx, now, []noticeSpec{{id: a.ID + "#0", alertID: a.ID, step: store.StepLead, kind: "alert", ref: a.ID,
			urgent: a.Kind == store.AlertUrgent, professionals: []string{a.LeadID}}})
	})
	return created, err
}

// AlertGet implements store.Store.
func (s *Store) AlertGet(ctx context.Context, id string) (*store.Alert, error) {
	a, err := scanAlert(s.pool.QueryRow(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "alert "+id)
	}
	return a, nil
}

// AlertListByHousehold implements store.Store.
func (s *Store) AlertListByHousehold(ctx context.Context, householdID string, limit int) ([]*store.Alert, error) {
	return query(ctx, s, "list alerts of "+householdID, scanAlert,
		`SELECT `+alertColumns+` FROM alerts WHERE household_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, householdID, limit)
}

// AlertAcknowledge implements store.Store.
func (s *Store) AlertAcknowledge(ctx context.Context, p store.AlertAcknowledgeParams) (*store.Alert, error) {
	var out *store.Alert
	err := s.tx(ctx, func(tx pgx.Tx) error {
		a, err := scanAlert(tx.QueryRow(ctx, `UPDATE alerts SET next_step_at = NULL,
			  acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN $3 ELSE acknowledged_by END,
			  acknowledged_at = COALESCE(acknowledged_at, $2)
			WHERE id = $1 RETURNING `+alertColumns, p.ID, p.Now.UTC(), p.ProfessionalID))
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
	return query(ctx, s, "list notices of "+alertID, func(r pgx.Row) (*store.Notice, error) {
		var n store.Notice
		err := r.Scan(&n.ID, &n.AlertID, &n.Step, &n.CreatedAt)
		n.CreatedAt = utc(n.CreatedAt)
		return &n, err
	}, `SELECT id, alert_id, step, created_at FROM notices WHERE alert_id = $1 ORDER BY step, id`, alertID)
}

const outboxColumns = `notice_id, token, professional_id, kind, ref, urgent, overdue, escalated, concerns, status, attempts,
	next_attempt_at, last_error, created_at, finished_at`

func scanOutbox(r pgx.Row) (*store.OutboxItem, error) {
	var o store.OutboxItem
	err := r.Scan(&o.NoticeID, &o.Token, &o.ProfessionalID, &o.Kind, &o.Ref, &o.Urgent, &o.Counts[0], &o.Counts[1], &o.Counts[2],
		&o.Status, &o.Attempts, &o.NextAttemptAt, &o.LastError, &o.CreatedAt, &o.FinishedAt)
	o.NextAttemptAt, o.CreatedAt, o.FinishedAt = utc(o.NextAttemptAt), utc(o.CreatedAt), utcPtr(o.FinishedAt)
	return &o, err
}

// OutboxClaim implements store.Store.
func (s *Store) OutboxClaim(ctx context.Context, p store.OutboxClaimParams) ([]*store.OutboxItem, error) {
	var out []*store.OutboxItem
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `UPDATE push_outbox SET next_attempt_at = $2, attempts = attempts + 1
			WHERE (notice_id, token) IN (
			  SELECT notice_id, token FROM push_outbox WHERE status = 'pending' AND next_attempt_at <= $1
			  ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
			RETURNING `+outboxColumns, p.Now.UTC(), p.Now.Add(p.Lease).UTC(), p.Limit)
		var err error
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.OutboxItem, error) { return scanOutbox(r) })
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
	rs := p.Results
	var gone []string
	for _, r := range rs {
		if r.Status == store.OutboxUnregistered {
			gone = append(gone, r.Token)
		}
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE push_outbox SET status = r.status, next_attempt_at = r.next_at, last_error = r.reason,
			  finished_at = CASE WHEN r.status = 'pending' THEN NULL ELSE $1::TIMESTAMPTZ END
			FROM unnest($2::TEXT[], $3::TEXT[], $4::INT4[], $5::TEXT[], $6::TIMESTAMPTZ[], $7::TEXT[])
			  AS r(notice_id, token, attempt, status, next_at, reason)
			WHERE push_outbox.notice_id = r.notice_id AND push_outbox.token = r.token
			  AND push_outbox.attempts = r.attempt AND push_outbox.status = 'pending'`,
			p.Now.UTC(),
			column(rs, func(r store.OutboxResult) string { return r.NoticeID }),
			column(rs, func(r store.OutboxResult) string { return r.Token }),
			column(rs, func(r store.OutboxResult) int32 { return r.Attempt }),
			column(rs, func(r store.OutboxResult) string { return r.Status }),
			column(rs, func(r store.OutboxResult) time.Time {
				if r.Status == store.OutboxPending {
					return r.NextAttemptAt.UTC()
				}
				return p.Now.UTC()
			}),
			column(rs, func(r store.OutboxResult) string { return r.Reason }))
		if err != nil {
			return fmt.Errorf("record push outcomes: %w", err)
		}
		if len(gone) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM devices WHERE token = ANY($1::TEXT[])`, gone); err != nil {
				return fmt.Errorf("remove unregistered devices: %w", err)
			}
		}
		return nil
	})
}

// OutboxList implements store.Store.
func (s *Store) OutboxList(ctx context.Context, noticeID string) ([]*store.OutboxItem, error) {
	return query(ctx, s, "list pushes of "+noticeID, scanOutbox,
		`SELECT `+outboxColumns+` FROM push_outbox WHERE notice_id = $1 ORDER BY token`, noticeID)
}

// DigestCreate implements store.Store.
func (s *Store) DigestCreate(ctx context.Context, p store.DigestCreateParams) (*store.Digest, bool, error) {
	var (
		out     *store.Digest
		created bool
	)
	slot, now := p.SlotAt.UTC(), p.Now.UTC()
	err := s.tx(ctx, func(tx pgx.Tx) error {
		d := store.Digest{ProfessionalID: p.ProfessionalID, SlotAt: slot, CreatedAt: now}
		err := tx.QueryRow(ctx, `SELECT overdue, escalated, concerns, notice_id, created_at FROM digests WHERE professional_id = $1 AND slot_at = $2`,
			p.ProfessionalID, slot).Scan(&d.Overdue, &d.Escalated, &d.Concerns, &d.NoticeID, &d.CreatedAt)
		if err == nil {
			d.CreatedAt, out, created = utc(d.CreatedAt), &d, false
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load digest: %w", err)
		}
		err = tx.QueryRow(ctx, `SELECT
			  (SELECT count(*) FROM alerts a JOIN team_members tm ON tm.team_id = a.team_id AND tm.professional_id = $1
			   WHERE a.acknowledged_at IS NULL AND a.step = 0 AND a.kind = 'overdue'),
			  (SELECT count(*) FROM alerts a JOIN team_members tm ON tm.team_id = a.team_id AND tm.professional_id = $1
			   WHERE a.acknowledged_at IS NULL AND (a.step > 0 OR a.kind <> 'overdue')),
			  (SELECT count(*) FROM check_ins c JOIN households h ON h.id = c.household_id
			     JOIN team_members tm ON tm.team_id = h.team_id AND tm.professional_id = $1
			   WHERE c.outcome IN ('concerns', 'unsafe') AND c.recorded_at > $2 AND c.recorded_at <= $3)`,
			p.ProfessionalID, p.Since.UTC(), slot).Scan(&d.Overdue, &d.Escalated, &d.Concerns)
		if err != nil {
			return fmt.Errorf("count digest: %w", err)
		}
		if d.Overdue+d.Escalated+d.Concerns > 0 {
			d.NoticeID = "digest:" + p.ProfessionalID + "@" + slot.Format(time.RFC3339)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO digests (professional_id, slot_at, overdue, escalated, concerns, notice_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, d.ProfessionalID, slot, d.Overdue, d.Escalated, d.Concerns, d.NoticeID, now); err != nil {
			return fmt.Errorf("record digest: %w", err)
		}
		out, created = &d, true
		if d.NoticeID == "" {
			return nil // nothing to say: nothing is sent
		}
		return queueNotices(ctx, tx, now, []noticeSpec{{id: d.NoticeID, step: 0, kind: "digest", ref: slot.Format(time.RFC3339),
			professionals: []string{p.ProfessionalID}, counts: [3]int32{d.Overdue, d.Escalated, d.Concerns}}})
	})
	return out, created, err
}

// ProfessionalListByRole implements store.Store.
func (s *Store) ProfessionalListByRole(ctx context.Context, role store.Role) ([]*store.Professional, error) {
	return query(ctx, s, "list professionals by role", scanProfessional,
		`SELECT `+professionalColumns+` FROM professionals WHERE role = $1 ORDER BY id`, string(role))
}

// checkInEffects keeps the scheduler's view of check-ins in the writing transaction: the
// households' schedules learn their latest check-in (which satisfies the current occurrence),
// and their open overdue alerts are acknowledged, which stops the escalation. A "no contact"
// check-in confirms nothing and has neither effect.
func checkInEffects(ctx context.Context, tx pgx.Tx, cs []change.CheckIn, now time.Time) error {
	var hs []string
	var ats []time.Time
	for _, c := range cs {
		if c.Outcome == "no_contact" {
			continue
		}
		hs, ats = append(hs, c.HouseholdID), append(ats, c.RecordedAt.UTC())
	}
	if len(hs) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE schedules SET last_check_in_at = c.at
		FROM (SELECT household_id, max(recorded_at) AS at FROM unnest($1::TEXT[], $2::TIMESTAMPTZ[]) AS c(household_id, recorded_at)
		      GROUP BY household_id) AS c
		WHERE schedules.household_id = c.household_id AND (schedules.last_check_in_at IS NULL OR schedules.last_check_in_at < c.at)`, hs, ats)
	if err != nil {
		return fmt.Errorf("record check-in on schedules: %w", err)
	}
	_, err = tx.Exec(ctx, `UPDATE alerts SET acknowledged_at = $2, acknowledged_by = 'check-in', next_step_at = NULL
		WHERE household_id = ANY($1::TEXT[]) AND acknowledged_at IS NULL AND kind = 'overdue'`, hs, now.UTC())
	if err != nil {
		return fmt.Errorf("acknowledge alerts by check-in: %w", err)
	}
	return nil
}

// SyncPokeDrain implements store.Store.
func (s *Store) SyncPokeDrain(ctx context.Context, p store.SyncPokeDrainParams) (int, error) {
	now := p.Now.UTC()
	var taken int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `DELETE FROM sync_pokes WHERE household_id IN (
			  SELECT household_id FROM sync_pokes ORDER BY household_id LIMIT $1 FOR UPDATE SKIP LOCKED)
			RETURNING household_id, version`, p.Limit)
		var ids, households []string
		err := forEach(rows, func(r pgx.CollectableRow) error {
			var h string
			var v int64
			err := r.Scan(&h, &v)
			ids, households = append(ids, fmt.Sprintf("sync:%s@%d", h, v)), append(households, h)
			return err
		})
		if err != nil {
			return fmt.Errorf("take sync pokes: %w", err)
		}
		taken = len(ids)
		if taken == 0 {
			return nil
		}
		// Everyone who may see the household: its care team, and its team's supervisors (the
		// rule of HouseholdCanAccess), once each.
		_, err = tx.Exec(ctx, `WITH n AS (SELECT * FROM unnest($2::TEXT[], $3::TEXT[]) AS n(id, household_id))
			INSERT INTO push_outbox (notice_id, token, professional_id, kind, ref, urgent, status, attempts, next_attempt_at, created_at)
			SELECT id, token, professional_id, 'sync', '', false, 'pending', 0, $1, $1 FROM (
			  SELECT n.id, d.token, d.professional_id FROM n
			    JOIN care_team_members c ON c.household_id = n.household_id
			    JOIN devices d ON d.professional_id = c.professional_id
			  UNION
			  SELECT n.id, d.token, d.professional_id FROM n
			    JOIN households h ON h.id = n.household_id
			    JOIN team_members tm ON tm.team_id = h.team_id
			    JOIN professionals p ON p.id = tm.professional_id AND p.role = 'supervisor'
			    JOIN devices d ON d.professional_id = p.id
			) r
			ON CONFLICT (notice_id, token) DO NOTHING`, now, ids, households)
		if err != nil {
			return fmt.Errorf("queue sync pokes: %w", err)
		}
		return nil
	})
	return taken, err
}
