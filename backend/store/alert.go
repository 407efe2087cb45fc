package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The scheduler's claims lock rows and skip rows another replica holds (Executor's
// …ClaimDue), inside the transaction that also writes the outcome, so a replica killed
// mid-batch loses nothing: its transaction rolls back and the rows are claimable again at
// once. The outbox, whose work (a network call to FCM) must happen outside a transaction,
// uses a time lease instead (next_attempt_at).

// ReminderDetect runs one batch of due detection in one write transaction: it claims up to
// Limit schedules whose overdue instant has passed, lowest first, through the
// schedules_overdue index (so its cost grows with what is due, not with all schedules;
// rows another transaction holds are skipped), asks Advance what each one's next
// occurrence is, raises an alert with a step-0 notice to the lead for every occurrence that
// no check-in satisfied, queues the pushes, and moves the schedules on. An alert's lead is
// the schedule's lead when they are in the care team now, else the household's lead,
// else none (the supervisors then hear of it through escalation): never a professional
// who has left the care team. It returns how many
// schedules it claimed and how many alerts it raised; claimed < Limit means nothing more
// is due now.
func (db *DB) ReminderDetect(ctx context.Context, p ReminderDetectParams) (claimed, raised int, err error) {
	now := p.Now.UTC()
	err = db.write(ctx, func(ctx context.Context, tx Executor) error {
		due, err := tx.ScheduleClaimDue(ctx, ClaimParams{Now: now, Limit: p.Limit})
		if err != nil {
			return err
		}
		claimed, raised = len(due), 0
		if len(due) == 0 {
			return nil
		}
		advances := make([]ScheduleAdvanceRow, len(due))
		var alerts []Alert
		for i, sc := range due {
			adv := p.Advance(DueSchedule{Schedule: *sc, Satisfied: sc.Satisfied()})
			advances[i] = ScheduleAdvanceRow{ID: sc.ID, NextDueAt: utcPtr(adv.NextDueAt), OverdueAt: utcPtr(adv.OverdueAt), OpensAt: utcPtr(sc.OverdueAt)}
			if adv.AlertID != "" {
				alerts = append(alerts, Alert{ID: adv.AlertID, Kind: AlertOverdue, ScheduleID: sc.ID, HouseholdID: sc.HouseholdID,
					LeadID: sc.LeadProfessionalID, DueAt: sc.NextDueAt.UTC(), NextStepAt: utcPtr(adv.NextStepAt)})
			}
		}
		if len(alerts) > 0 {
			if err := resolveLeads(ctx, tx, alerts); err != nil {
				return err
			}
			inserted, err := tx.AlertInsertMany(ctx, AlertInsertManyParams{Alerts: alerts, Now: now})
			if err != nil {
				return err
			}
			byID := make(map[string]*Alert, len(alerts))
			for i := range alerts {
				byID[alerts[i].ID] = &alerts[i]
			}
			notices := make([]noticeSpec, 0, len(inserted))
			for _, id := range inserted {
				a := byID[id]
				notices = append(notices, alertNotice(a, StepLead, false, a.LeadID))
			}
			raised = len(notices)
			if err := queueNotices(ctx, tx, now, notices); err != nil {
				return err
			}
		}
		return tx.ScheduleAdvanceMany(ctx, advances)
	})
	return claimed, raised, err
}

// AlertEscalate runs one batch of escalation in one write transaction: it claims up to
// Limit open alerts whose next step is due, asks Step what to do, records the step's
// notice and queues its pushes. It returns how many alerts it claimed.
func (db *DB) AlertEscalate(ctx context.Context, p AlertEscalateParams) (int, error) {
	now := p.Now.UTC()
	var claimed int
	err := db.write(ctx, func(ctx context.Context, tx Executor) error {
		alerts, err := tx.AlertClaimDue(ctx, ClaimParams{Now: now, Limit: p.Limit})
		if err != nil {
			return err
		}
		claimed = len(alerts)
		if claimed == 0 {
			return nil
		}
		steps := make([]AlertStepRow, claimed)
		notices := make([]noticeSpec, 0, claimed)
		for i, a := range alerts {
			st := p.Step(*a)
			steps[i] = AlertStepRow{ID: a.ID, Step: st.Step, NextStepAt: utcPtr(st.NextStepAt)}
			if st.Step == a.Step {
				continue // not yet: only the time of the next step moves
			}
			n := alertNotice(a, st.Step, true, st.ProfessionalIDs...)
			if st.Supervisors {
				n.supervisorsOf = a.TeamID
			}
			notices = append(notices, n)
		}
		if err := tx.AlertStepMany(ctx, steps); err != nil {
			return err
		}
		return queueNotices(ctx, tx, now, notices)
	})
	return claimed, err
}

// AlertRaise records an alert raised outside detection (an urgent one: a family asks to
// be contacted) with its step-0 notice and the push to its lead, once: raising the same
// id again is a no-op that reports false. The lead is resolved inside the transaction
// from the care team as it is then: the given LeadID, else the schedule's lead (an
// unknown schedule, or one of another household, is ErrNotFound), when that professional
// is in the care team; else the household's lead; else none, and escalation then takes the
// alert to the supervisors (see ReminderDetect for detection's alerts, which resolve
// their schedule's lead the same way).
// The lead is resolved in the transaction that inserts the
// alert (resolveLeads), not from a read before it.
func (db *DB) AlertRaise(ctx context.Context, p AlertRaiseParams) (bool, error) {
	now := p.Now.UTC()
	var created bool
	err := db.write(ctx, func(ctx context.Context, tx Executor) error {
		a := p.Alert // a copy per attempt: a retried transaction reads the schedule again
		a.DueAt, a.NextStepAt = now, utcPtr(a.NextStepAt)
		if a.LeadID == "" && a.ScheduleID != "" {
			sc, err := tx.ScheduleGet(ctx, a.ScheduleID)
			if err != nil {
				return fmt.Errorf("lead of alert %s: %w", a.ID, err)
			}
			if sc.HouseholdID != a.HouseholdID {
				return fmt.Errorf("schedule %s of household %s: %w", a.ScheduleID, a.HouseholdID, ErrNotFound)
			}
			a.LeadID = sc.LeadProfessionalID
		}
		alerts := []Alert{a}
		if err := resolveLeads(ctx, tx, alerts); err != nil {
			return err
		}
		a = alerts[0]
		inserted, err := tx.AlertInsertMany(ctx, AlertInsertManyParams{Alerts: alerts, Now: now})
		if err != nil {
			return err
		}
		created = len(inserted) == 1
		if !created {
			return nil
		}
		return queueNotices(ctx, tx, now, []noticeSpec{alertNotice(&a, StepLead, a.Kind == AlertUrgent, a.LeadID)})
	})
	return created, err
}

// resolveLeads sets each alert's LeadID to the professional it goes to, from the care teams as
// this transaction sees them (one read for the whole batch): the given lead when they are a
// member of the household's care team, else the household's lead (householdLead's rule),
// else nobody, never someone who has left the care team; an alert left without a lead takes
// the organization of the lead it was meant for. Transactions are serializable, so a
// care-team change racing the raise is ordered against this read: either it commits first
// and is seen here, or it commits after and re-routes the alert it finds (rerouteLead).
func resolveLeads(ctx context.Context, tx Executor, alerts []Alert) error {
	households := make([]string, 0, len(alerts))
	seen := make(map[string]bool, len(alerts))
	for _, a := range alerts {
		if !seen[a.HouseholdID] {
			seen[a.HouseholdID] = true
			households = append(households, a.HouseholdID)
		}
	}
	members, err := tx.CareTeamMemberListMany(ctx, households)
	if err != nil {
		return err
	}
	member := make(map[[2]string]bool, len(members))
	lead := make(map[string]string, len(households))
	for _, m := range members {
		member[[2]string{m.HouseholdID, m.ProfessionalID}] = true
		if _, ok := lead[m.HouseholdID]; m.Lead && !ok {
			lead[m.HouseholdID] = m.ProfessionalID // the first by id, should a bug ever flag two
		}
	}
	orgs := map[string]string{}
	for i := range alerts {
		a := &alerts[i]
		if a.LeadID != "" && member[[2]string{a.HouseholdID, a.LeadID}] {
			continue
		}
		intended := a.LeadID
		if a.LeadID = lead[a.HouseholdID]; a.LeadID != "" || intended == "" {
			continue
		}
		// Nobody leads the household: the intended lead's organization still decides the
		// policy and on-call (they are not notified), as a re-routed alert keeps its own.
		org, ok := orgs[intended]
		if !ok {
			switch p, err := tx.ProfessionalGet(ctx, intended); {
			case err == nil:
				org = p.OrganizationID
			case !isNotFound(err):
				return err
			}
			orgs[intended] = org
		}
		a.OrganizationID = org
	}
	return nil
}

// AlertAcknowledge stops an alert's escalation. Acknowledging twice keeps the first.
func (db *DB) AlertAcknowledge(ctx context.Context, p AlertAcknowledgeParams) (*Alert, error) {
	var out *Alert
	err := db.write(ctx, func(ctx context.Context, tx Executor) (err error) {
		out, err = tx.AlertAcknowledge(ctx, p)
		return err
	})
	return out, err
}

// OutboxClaim leases up to Limit pending pushes whose next attempt is due, oldest first:
// their next attempt moves to Now+Lease and their attempt count goes up, so a replica that
// dies holding them only delays them until the lease ends.
func (db *DB) OutboxClaim(ctx context.Context, p OutboxClaimParams) ([]*OutboxItem, error) {
	var out []*OutboxItem
	err := db.write(ctx, func(ctx context.Context, tx Executor) (err error) {
		out, err = tx.OutboxClaim(ctx, OutboxClaimRowParams{Now: p.Now.UTC(), LeaseUntil: p.Now.Add(p.Lease).UTC(), Limit: p.Limit})
		return err
	})
	return out, err
}

// OutboxComplete records the outcomes of claimed pushes in one transaction: delivered and
// failed ones are finished, retried ones get their next attempt, unregistered tokens are
// removed from devices. An outcome for a push whose lease was taken over (Attempt no
// longer matches) is ignored.
func (db *DB) OutboxComplete(ctx context.Context, p OutboxCompleteParams) error {
	if len(p.Results) == 0 {
		return nil
	}
	var gone []string
	for _, r := range p.Results {
		if r.Status == OutboxUnregistered {
			gone = append(gone, r.Token)
		}
	}
	return db.write(ctx, func(ctx context.Context, tx Executor) error {
		if err := tx.OutboxFinishMany(ctx, p); err != nil || len(gone) == 0 {
			return err
		}
		return tx.DeviceDeleteByTokens(ctx, gone)
	})
}

// DigestCreate computes and records a supervisor's digest for one slot, once: the counts
// over the supervisor's teams, and, when any count is non-zero, a notice with its push.
// A digest already recorded for that slot is returned unchanged with created false.
// A digest with nothing to say is recorded (so the slot is
// done) but sends nothing.
func (db *DB) DigestCreate(ctx context.Context, p DigestCreateParams) (*Digest, bool, error) {
	var (
		out     *Digest
		created bool
	)
	p.SlotAt, p.Since, p.Now = p.SlotAt.UTC(), p.Since.UTC(), p.Now.UTC()
	err := db.write(ctx, func(ctx context.Context, tx Executor) error {
		d, err := tx.DigestGet(ctx, p.ProfessionalID, p.SlotAt)
		if err == nil {
			out, created = d, false
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		if d, err = tx.DigestCount(ctx, p); err != nil {
			return err
		}
		d.ProfessionalID, d.SlotAt, d.CreatedAt = p.ProfessionalID, p.SlotAt, p.Now
		if d.Overdue+d.Escalated+d.Concerns > 0 {
			d.NoticeID = DigestNoticeID(p.ProfessionalID, p.SlotAt)
		}
		if err := tx.DigestInsert(ctx, *d); err != nil {
			return err
		}
		out, created = d, true
		if d.NoticeID == "" {
			return nil // nothing to say: nothing is sent
		}
		return queueNotices(ctx, tx, p.Now, []noticeSpec{{notice: Notice{ID: d.NoticeID}, kind: PushKindDigest,
			ref: p.SlotAt.Format(time.RFC3339), professionals: []string{p.ProfessionalID}, counts: [3]int32{d.Overdue, d.Escalated, d.Concerns}}})
	})
	return out, created, err
}

// SyncPokeDrain takes up to Limit households that changed since their devices were last
// poked and, in the same transaction, queues one "please sync" data push per device of
// every professional who may see them (the care team and the team's supervisors). A
// household written again later is poked again. It returns how many households it took.
// The pushes go to everyone who may see the household
// (household_viewers), once per device.
func (db *DB) SyncPokeDrain(ctx context.Context, p SyncPokeDrainParams) (int, error) {
	var taken int
	err := db.write(ctx, func(ctx context.Context, tx Executor) error {
		pending, err := tx.SyncPokeTake(ctx, p.Limit)
		if err != nil {
			return err
		}
		taken = len(pending)
		if taken == 0 {
			return nil
		}
		pokes := make([]SyncPoke, taken)
		for i, h := range pending {
			pokes[i] = SyncPoke{NoticeID: SyncNoticeID(h.HouseholdID, h.Version), HouseholdID: h.HouseholdID}
		}
		return tx.OutboxInsertViewers(ctx, OutboxInsertViewersParams{Pokes: pokes, Now: p.Now.UTC()})
	})
	return taken, err
}

// DeviceRegister stores a device token for a professional. Registering a token the
// professional holds already is idempotent: it updates the platform and UpdatedAt. A
// token another professional holds is refused with a *DeviceHeldError (errors.Is
// ErrConflict) and left as it is: moving it silently would send that professional's
// urgent pushes to someone else's phone and leave them with none. Of two registrations of
// one new token at once, exactly one succeeds.
// The driver's one statement decides who holds the token,
// and a holder other than d.ProfessionalID is the refusal.
func (db *DB) DeviceRegister(ctx context.Context, d Device) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error {
		holder, err := tx.DeviceUpsert(ctx, d)
		if err != nil {
			return err
		}
		if holder != d.ProfessionalID {
			return &DeviceHeldError{ProfessionalID: d.ProfessionalID, HolderID: holder}
		}
		return nil
	})
}

// DeviceUnregister removes a professional's token; an unknown token, or one registered to
// someone else, is left alone without an error.
func (db *DB) DeviceUnregister(ctx context.Context, professionalID, token string) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.DeviceDelete(ctx, professionalID, token) })
}

// EscalationPolicySet stores the policy of a team or an organization.
func (db *DB) EscalationPolicySet(ctx context.Context, p EscalationPolicy) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.EscalationPolicyUpsert(ctx, p) })
}
