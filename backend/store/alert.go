package store

import (
	"context"
	"errors"
	"time"
)

// The scheduler's claims lock rows and skip rows another replica holds (Executor's
// …ClaimDue), inside the transaction that also writes the outcome, so a replica killed
// mid-batch loses nothing: its transaction rolls back and the rows are claimable again at
// once. The outbox, whose work (a network call to FCM) must happen outside a transaction,
// uses a time lease instead (next_attempt_at).

// ReminderDetect implements Store.
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

// AlertEscalate implements Store.
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

// AlertRaise implements Store.
func (db *DB) AlertRaise(ctx context.Context, p AlertRaiseParams) (bool, error) {
	a, now := p.Alert, p.Now.UTC()
	a.DueAt, a.NextStepAt = now, utcPtr(a.NextStepAt)
	var created bool
	err := db.write(ctx, func(ctx context.Context, tx Executor) error {
		inserted, err := tx.AlertInsertMany(ctx, AlertInsertManyParams{Alerts: []Alert{a}, Now: now})
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

// AlertAcknowledge implements Store.
func (db *DB) AlertAcknowledge(ctx context.Context, p AlertAcknowledgeParams) (*Alert, error) {
	var out *Alert
	err := db.write(ctx, func(ctx context.Context, tx Executor) (err error) {
		out, err = tx.AlertAcknowledge(ctx, p)
		return err
	})
	return out, err
}

// OutboxClaim implements Store.
func (db *DB) OutboxClaim(ctx context.Context, p OutboxClaimParams) ([]*OutboxItem, error) {
	var out []*OutboxItem
	err := db.write(ctx, func(ctx context.Context, tx Executor) (err error) {
		out, err = tx.OutboxClaim(ctx, OutboxClaimRowParams{Now: p.Now.UTC(), LeaseUntil: p.Now.Add(p.Lease).UTC(), Limit: p.Limit})
		return err
	})
	return out, err
}

// OutboxComplete implements Store.
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

// DigestCreate implements Store. A digest with nothing to say is recorded (so the slot is
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

// SyncPokeDrain implements Store: the pushes go to everyone who may see the household
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

// DeviceRegister implements Store: the driver's one statement decides who holds the token,
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

// DeviceUnregister implements Store.
func (db *DB) DeviceUnregister(ctx context.Context, professionalID, token string) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.DeviceDelete(ctx, professionalID, token) })
}

// EscalationPolicySet implements Store.
func (db *DB) EscalationPolicySet(ctx context.Context, p EscalationPolicy) error {
	return db.write(ctx, func(ctx context.Context, tx Executor) error { return tx.EscalationPolicyUpsert(ctx, p) })
}
