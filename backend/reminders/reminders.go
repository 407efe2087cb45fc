// Package reminders is the scheduler: it notices every overdue household safety check,
// escalates alerts nobody acknowledges, sends supervisor digests, and drains the push outbox.
//
// # Exactly once, at least once
//
// All coordination is in the database, so any number of `veilig serve` replicas (or dedicated
// `veilig worker` processes) can run the scheduler side by side:
//
//   - Detection and escalation claim rows inside one write transaction (SKIP LOCKED on
//     PostgreSQL/CockroachDB, the single writer on SQLite) that also records what they decided.
//     Each step's notice has a primary key derived from (schedule, occurrence, step), so an
//     occurrence is noticed exactly once: a replica killed mid-batch rolls back and another
//     picks the rows up at once; two replicas never notice the same step twice.
//   - Pushes leave through an outbox with one row per notice and device token. A claimed row is
//     leased (its next attempt moves to the end of the lease), sent, and its outcome recorded,
//     so every push is delivered at least once: a replica killed between sending and recording
//     only delays it until the lease ends, and another replica sends it again. Transient
//     failures back off exponentially with jitter; unregistered tokens are removed.
//
// # When an occurrence counts as checked
//
// A schedule's current occurrence opens at the previous occurrence's overdue instant (or when
// the schedule was created or resumed) and becomes overdue at its due instant plus grace. Any
// check-in of the household recorded in between, by any channel, satisfies it; a "no contact"
// check-in confirms nothing and does not. Each check-in therefore belongs to exactly one
// occurrence, and a late check-in for a missed occurrence counts for the next one.
//
// # Escalation
//
// A missed occurrence raises an alert and reminds the lead at once (at due + grace): the
// schedule's lead if they are in the care team then, else the household's lead. If nobody
// acknowledges it (AcknowledgeAlert, or any confirming check-in of the household) within the
// policy's SupervisorAfter, the supervisors of the household's team are notified; after
// OnCallAfter more, the organization's on-call professional. A team's policy overrides its
// organization's; without either, DefaultPolicy applies. Urgent alerts (a family asking for
// contact) climb after UrgentAfter at every step, and an ordinary check-in does not stop them.
//
// Reminders follow the care team: removing or replacing a household's lead re-routes its
// schedules and open alerts to the new lead in the same transaction (store.CareTeamMemberSet
// and CareTeamMemberRemove), with a push to the new lead and the former lead's unsent pushes
// cancelled. A household left without a lead has nobody to remind first: its alerts go to
// the team's supervisors at once.
//
// # Digests and quiet hours
//
// Each supervisor gets a digest at their own local times, in their own zone, outside their own
// quiet hours (their preferences, package backend/preferences), and for every value they did
// not choose at the deployment's (Config: default 08:00 and 16:00, quiet 22:00–07:00,
// Europe/Amsterdam): the open overdue alerts, the escalated ones and the check-ins with
// concerns in their teams, as one neutral push; nothing is sent when all three are zero. A
// digest slot that falls in quiet hours is skipped. Quiet hours never hold back an alert: a
// missed safety check is urgent by nature, so reminders and escalations are sent at any hour.
//
// The supervisors and their preferences are read in two statements (the second set-based,
// store.DB.PreferencesListMany), at most once a minute: digest times are whole minutes, so a
// changed preference takes effect within a minute, and a tick costs no query per supervisor.
//
// # Language
//
// A push's visible text is one of a few fixed, neutral sentences (push.Text), in the language
// its professional chose (their preferences; else Config.Language, default Dutch). Each
// batch of pushes reads its professionals' preferences in one statement; when that read
// fails the batch still goes out, in the default language: a reminder delivered in Dutch is
// better than one held back.
package reminders

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/metrics"
	"github.com/veilig/veilig/backend/preferences"
	"github.com/veilig/veilig/backend/push"
	"github.com/veilig/veilig/backend/schedule"
	"github.com/veilig/veilig/backend/store"
)

// DefaultPolicy is the escalation policy of a team and organization without one of their own.
var DefaultPolicy = store.EscalationPolicy{SupervisorAfter: 30 * time.Minute, OnCallAfter: 60 * time.Minute}

// Config tunes the scheduler. The zero value of every field means its default.
type Config struct {
	// Interval is how often a replica looks for due work (default 10s).
	Interval time.Duration
	// Batch is how many rows one transaction claims (default 500, FCM's batch size).
	Batch int
	// Lease is how long a claimed push is held before another replica may send it
	// (default 1 minute).
	Lease time.Duration
	// MaxAttempts bounds the sends of one push before it is recorded as failed (default 30:
	// with backoff up to 15 minutes, about six hours of trying).
	MaxAttempts int32
	// UrgentAfter is how fast an urgent alert climbs (default 10 minutes).
	UrgentAfter time.Duration
	// DigestTimes are the local times of the digests of a supervisor who chose none (default
	// 08:00 and 16:00; empty, not nil, for none).
	DigestTimes []schedule.Clock
	// QuietStart and QuietEnd bound the quiet hours in which no digest is sent, for a
	// supervisor who chose none (default 22:00–07:00). Equal values mean no quiet hours.
	QuietStart, QuietEnd schedule.Clock
	// Zone is where digest times and quiet hours are read for a supervisor who chose no zone
	// (default Europe/Amsterdam).
	Zone *time.Location
	// Language is the language of pushes to a professional who chose none (default nl).
	Language string
	// Retention is how long a closed household's data is kept from its closing before the
	// scheduler erases it (store.DB.HouseholdEraseExpired; default DefaultRetention).
	Retention time.Duration
	// RetentionBatch is how many households one tick erases at most (default 50), each in
	// its own transaction, so that a backlog never holds up reminders.
	RetentionBatch int
	// AuditKey, when set, signs a checkpoint of every chain head of the access log at most
	// every CheckpointEvery (see Checkpoint); nil writes none.
	AuditKey ed25519.PrivateKey
	// CheckpointEvery is the least time between two checkpoints (default 24h), and between
	// the starts of two passes of the access log's retention (CutAuditLog).
	CheckpointEvery time.Duration
	// AuditRetention is how long an access-log entry is kept before the scheduler cuts it
	// (store.DB.AuditCutExpired; default DefaultAuditRetention). Cutting needs AuditKey: only
	// what a checkpoint signed with it covers is ever cut.
	AuditRetention time.Duration
	// MaxBackoff caps the wait between ticks while the database is unavailable (default
	// DefaultMaxBackoff): Run waits Interval, then twice as long after every failed tick, up
	// to this, so that an outage costs a few attempts a minute, not one every Interval.
	MaxBackoff time.Duration
	// Metrics, when set, receives the ticks and the push outcomes (package backend/metrics).
	Metrics *metrics.Metrics
}

// DefaultMaxBackoff is Config.MaxBackoff's default.
const DefaultMaxBackoff = time.Minute

// DefaultRetention is the statutory period a youth-care file is kept after it is closed:
// 20 years (Jeugdwet art. 7.3.8), counted in hours as 20 × 365 days.
const DefaultRetention = 175200 * time.Hour

// DefaultAuditRetention is how long the access log is kept: 5 years (NEN 7513's minimum for
// the logging of access to a health record), counted in hours as 5 × 365 days.
const DefaultAuditRetention = 43800 * time.Hour

// defaults are the per-person defaults of c (after withDefaults): what a professional who
// chose nothing gets.
func (c Config) defaults() preferences.Defaults {
	return preferences.Defaults{Language: c.Language, DigestTimes: c.DigestTimes, QuietStart: c.QuietStart, QuietEnd: c.QuietEnd, Zone: c.Zone}
}

func (c Config) withDefaults() (Config, error) {
	if c.Interval <= 0 {
		c.Interval = 10 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 500
	}
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 30
	}
	if c.UrgentAfter <= 0 {
		c.UrgentAfter = 10 * time.Minute
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.RetentionBatch <= 0 {
		c.RetentionBatch = 50
	}
	if c.CheckpointEvery <= 0 {
		c.CheckpointEvery = 24 * time.Hour
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	c.MaxBackoff = max(c.MaxBackoff, c.Interval)
	if c.AuditRetention <= 0 {
		c.AuditRetention = DefaultAuditRetention
	}
	d, err := preferences.DeploymentDefaults()
	if err != nil {
		return c, fmt.Errorf("digest defaults: %w", err)
	}
	if c.DigestTimes == nil {
		c.DigestTimes = d.DigestTimes
	}
	if c.QuietStart == (schedule.Clock{}) && c.QuietEnd == (schedule.Clock{}) {
		c.QuietStart, c.QuietEnd = d.QuietStart, d.QuietEnd
	}
	if c.Zone == nil {
		c.Zone = d.Zone
	}
	if c.Language == "" {
		c.Language = d.Language
	}
	return c, nil
}

// Store is what the scheduler needs of the storage (store.DB has it); each method is one
// transaction that claims its work in the database (see store.DB for the contracts).
type Store interface {
	ReminderDetect(ctx context.Context, p store.ReminderDetectParams) (claimed, raised int, err error)
	AlertEscalate(ctx context.Context, p store.AlertEscalateParams) (int, error)
	EscalationPolicyList(ctx context.Context) ([]*store.EscalationPolicy, error)
	ProfessionalListByRole(ctx context.Context, role store.Role) ([]*store.Professional, error)
	PreferencesListMany(ctx context.Context, professionalIDs []string) ([]*store.Preferences, error)
	DigestCreate(ctx context.Context, p store.DigestCreateParams) (*store.Digest, bool, error)
	SyncPokeDrain(ctx context.Context, p store.SyncPokeDrainParams) (int, error)
	OutboxClaim(ctx context.Context, p store.OutboxClaimParams) ([]*store.OutboxItem, error)
	OutboxComplete(ctx context.Context, p store.OutboxCompleteParams) error
	HouseholdEraseExpired(ctx context.Context, p store.HouseholdEraseParams) (int, error)
	AuditCheckpointLatest(ctx context.Context) (*store.AuditCheckpoint, error)
	AuditCheckpointWrite(ctx context.Context, id string, key ed25519.PrivateKey, now time.Time) (*store.AuditCheckpoint, error)
	AuditCutExpired(ctx context.Context, p store.AuditCutParams) (store.AuditCutResult, error)
	FormTokenSpendDeleteExpired(ctx context.Context, p store.FormTokenSpendDeleteParams) (int64, error)
}

// Scheduler runs detection, escalation, digests and push delivery against one store.
type Scheduler struct {
	store  Store
	sender push.Sender
	now    func() time.Time
	log    zerolog.Logger
	cfg    Config

	// The supervisors with their effective preferences, read at most once a minute, and the
	// latest digest slot this replica has handled for each.
	sups       []*supervisor
	supsLoaded time.Time

	// lastCheckpoint is the time of the latest checkpoint this replica wrote or found.
	lastCheckpoint time.Time

	// The access log's retention pass on this replica: when the latest pass started, whether
	// one is under way, and the chain it resumes at.
	cutPassStarted time.Time
	cutInPass      bool
	cutNext        string
}

// supervisor is one supervisor's digest state on this replica.
type supervisor struct {
	id   string
	eff  preferences.Effective
	last time.Time // the latest digest slot handled
}

// New returns a scheduler. now is its clock (time.Now in production, a controllable clock in
// tests); server time decides what is due, never a phone's.
func New(st Store, sender push.Sender, now func() time.Time, log zerolog.Logger, cfg Config) (*Scheduler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Scheduler{store: st, sender: sender, now: now, log: log, cfg: cfg}, nil
}

// Run ticks every Interval until ctx ends; the scheduler never stops on a transient database
// or network error.
//
// A database outage (store.ErrUnavailable) is logged once, at warn, "database unavailable";
// the ticks then back off, doubling the wait from Interval up to MaxBackoff, and the first
// tick that succeeds again logs once, at info, "database available again" with the outage's
// length (outage_ms). Any other failing tick is logged at error and tried again after
// Interval. A tick cut short because ctx ended is not logged at all.
func (s *Scheduler) Run(ctx context.Context) error {
	var downSince time.Time // when the current outage was first seen; zero: none
	wait := s.cfg.Interval
	for {
		_, err := s.Tick(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, store.ErrUnavailable):
			if downSince.IsZero() {
				downSince = time.Now()
				s.log.Warn().Err(err).Int64("retry_max_ms", s.cfg.MaxBackoff.Milliseconds()).Msg("database unavailable")
				wait = s.cfg.Interval
			} else {
				wait = min(wait*2, s.cfg.MaxBackoff)
			}
		default:
			if !downSince.IsZero() {
				s.log.Info().Int64("outage_ms", time.Since(downSince).Milliseconds()).Msg("database available again")
				downSince = time.Time{}
			}
			if err != nil {
				s.log.Error().Err(err).Int64("retry_in_ms", s.cfg.Interval.Milliseconds()).Msg("scheduler tick failed; retrying on the next")
			}
			wait = s.cfg.Interval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// TickStats counts what one tick did.
type TickStats struct {
	Claimed, Raised, Escalated, Digests, Pokes, Pushed, Checkpoints int
	// Erased counts the closed households erased after their retention period.
	Erased int
	// AuditCut counts the access-log entries cut after the access log's retention period.
	AuditCut int64
	// FormTokensForgotten counts the spent family-link form tokens deleted once no replica
	// could verify them any more.
	FormTokensForgotten int64
}

// Tick does all due work once: detection and escalation until nothing more is due, digests,
// then delivery until the outbox holds nothing due, an audit checkpoint when one is due, the
// erasure of at most RetentionBatch households whose retention period has passed (Erase), and
// a bounded step of the access log's retention pass when one is due (CutAuditLog), and last
// the deletion of spent form tokens that can no longer verify (ForgetFormTokens).
func (s *Scheduler) Tick(ctx context.Context) (st TickStats, err error) {
	start := time.Now()
	defer func() { s.cfg.Metrics.SchedulerTick(time.Since(start), err == nil, s.now()) }()
	if st.Claimed, st.Raised, err = s.Detect(ctx); err != nil {
		return st, err
	}
	if st.Escalated, err = s.Escalate(ctx); err != nil {
		return st, err
	}
	if st.Digests, err = s.Digests(ctx); err != nil {
		return st, err
	}
	if st.Pokes, err = s.Pokes(ctx); err != nil {
		return st, err
	}
	if st.Pushed, err = s.Deliver(ctx); err != nil {
		return st, err
	}
	if st.Checkpoints, err = s.Checkpoint(ctx); err != nil {
		return st, err
	}
	if st.Erased, err = s.Erase(ctx); err != nil {
		return st, err
	}
	if st.AuditCut, err = s.CutAuditLog(ctx); err != nil {
		return st, err
	}
	if st.FormTokensForgotten, err = s.ForgetFormTokens(ctx); err != nil {
		return st, err
	}
	if st != (TickStats{}) {
		s.log.Info().Int("schedules_due", st.Claimed).Int("alerts_raised", st.Raised).Int("alerts_escalated", st.Escalated).
			Int("digests", st.Digests).Int("sync_pokes", st.Pokes).Int("pushes", st.Pushed).
			Int("audit_checkpoints", st.Checkpoints).Int("households_erased", st.Erased).
			Int64("audit_entries_cut", st.AuditCut).Int64("form_tokens_forgotten", st.FormTokensForgotten).Msg("scheduler tick")
	}
	return st, nil
}

// Erase erases at most RetentionBatch closed households whose retention period has passed
// at the scheduler's clock, and returns how many (store.DB.HouseholdEraseExpired: each in one
// transaction with its access-log record; replicas skip each other's claims). A backlog is
// worked off over the following ticks.
func (s *Scheduler) Erase(ctx context.Context) (int, error) {
	return s.store.HouseholdEraseExpired(ctx, store.HouseholdEraseParams{Retention: s.cfg.Retention, Now: s.now(),
		MaxHouseholds: s.cfg.RetentionBatch})
}

// ForgetFormTokens deletes the spent family-link form tokens older than
// store.FormTokenSpendKeep by the scheduler's clock (migration 00019): their tokens no longer
// verify, so remembering them refuses nothing. At most 20 transactions of 1,000 rows per
// tick, oldest first; each answer adds one row and answers are rate-limited, so a tick every
// Interval keeps the table at about two hours of answers.
func (s *Scheduler) ForgetFormTokens(ctx context.Context) (int64, error) {
	return s.store.FormTokenSpendDeleteExpired(ctx, store.FormTokenSpendDeleteParams{Before: s.now().Add(-store.FormTokenSpendKeep)})
}

// Detect claims due schedules batch by batch until none is left, and returns how many it
// claimed and how many alerts it raised.
func (s *Scheduler) Detect(ctx context.Context) (claimed, raised int, err error) {
	for {
		now := s.now()
		c, r, err := s.store.ReminderDetect(ctx, store.ReminderDetectParams{Now: now, Limit: s.cfg.Batch,
			Advance: func(d store.DueSchedule) store.ScheduleAdvance { return Advance(d, now) }})
		claimed, raised = claimed+c, raised+r
		if err != nil {
			return claimed, raised, fmt.Errorf("detect due checks: %w", err)
		}
		if c < s.cfg.Batch {
			return claimed, raised, nil
		}
	}
}

// Advance decides what detection does with a claimed schedule at now: the next occurrence,
// and an alert when no check-in satisfied the claimed one. It is pure, so a retried
// transaction decides the same.
func Advance(d store.DueSchedule, now time.Time) store.ScheduleAdvance {
	sc := d.Schedule
	var adv store.ScheduleAdvance
	if !d.Satisfied && sc.NextDueAt != nil {
		adv.AlertID = AlertID(sc.ID, *sc.NextDueAt)
		// Escalation fixes the real time on its first visit, where the policy of the alert's
		// team and organization is known.
		adv.NextStepAt = &now
	}
	plan, err := FromStore(sc)
	// An unreadable schedule stops rather than guessing; its alert still goes out. A grace
	// too long for its rule (stored before the rule was enforced) is not unreadable: its
	// checks go on, each noticed late, as they were planned.
	if (err != nil && !errors.Is(err, schedule.ErrGraceTooLong)) || sc.NextDueAt == nil {
		return adv
	}
	if next, ok := schedule.NextDue(plan, *sc.NextDueAt); ok {
		overdue := schedule.OverdueAt(plan, next)
		adv.NextDueAt, adv.OverdueAt = &next, &overdue
	}
	return adv
}

// AlertID is the opaque id of the alert for one occurrence: derived, so that raising it twice
// raises it once, and hashed, so that the reference a push carries says nothing.
func AlertID(scheduleID string, due time.Time) string {
	sum := sha256.Sum256([]byte(schedule.OccurrenceKey(scheduleID, due)))
	return "al_" + hex.EncodeToString(sum[:16])
}

// Escalate climbs every alert whose next step is due.
func (s *Scheduler) Escalate(ctx context.Context) (int, error) {
	policies, err := s.store.EscalationPolicyList(ctx)
	if err != nil {
		return 0, fmt.Errorf("load escalation policies: %w", err)
	}
	byScope := make(map[string]store.EscalationPolicy, len(policies))
	for _, p := range policies {
		byScope[p.ScopeID] = *p
	}
	total := 0
	for {
		now := s.now()
		n, err := s.store.AlertEscalate(ctx, store.AlertEscalateParams{Now: now, Limit: s.cfg.Batch,
			Step: func(a store.Alert) store.AlertStep { return Step(a, PolicyFor(byScope, a), s.cfg.UrgentAfter, now) }})
		total += n
		if err != nil {
			return total, fmt.Errorf("escalate alerts: %w", err)
		}
		if n < s.cfg.Batch {
			return total, nil
		}
	}
}

// PolicyFor returns the policy of a's team, else of its organization, else DefaultPolicy.
func PolicyFor(byScope map[string]store.EscalationPolicy, a store.Alert) store.EscalationPolicy {
	if p, ok := byScope[a.TeamID]; ok && a.TeamID != "" {
		return p
	}
	if p, ok := byScope[a.OrganizationID]; ok && a.OrganizationID != "" {
		return p
	}
	return DefaultPolicy
}

// Step decides an alert's next escalation step at now under policy p. It is pure. An alert
// without a lead (its household has none) climbs to the supervisors at its first visit.
func Step(a store.Alert, p store.EscalationPolicy, urgentAfter time.Duration, now time.Time) store.AlertStep {
	supAfter, onCallAfter := p.SupervisorAfter, p.OnCallAfter
	if a.Kind == store.AlertUrgent {
		supAfter, onCallAfter = min(supAfter, urgentAfter), min(onCallAfter, urgentAfter)
	}
	switch a.Step {
	case store.StepLead:
		// An alert without a lead (the household has none, say its lead left the care team)
		// reminded nobody at the lead step, so the supervisors hear of it at once.
		if at := a.CreatedAt.Add(supAfter); at.After(now) && a.LeadID != "" {
			return store.AlertStep{Step: a.Step, NextStepAt: &at}
		}
		st := store.AlertStep{Step: store.StepSupervisor, Supervisors: true}
		if p.OnCallProfessionalID != "" {
			at := now.Add(onCallAfter)
			st.NextStepAt = &at
		}
		return st
	case store.StepSupervisor:
		if p.OnCallProfessionalID == "" {
			return store.AlertStep{Step: a.Step} // the chain ends at the supervisors
		}
		return store.AlertStep{Step: store.StepOnCall, ProfessionalIDs: []string{p.OnCallProfessionalID}}
	}
	return store.AlertStep{Step: a.Step}
}

// Digests creates, for every supervisor whose latest digest slot (by their own preferences)
// this replica has not handled yet, the digest of that slot (the store makes it once overall,
// whichever replica comes first). A slot older than two hours is not sent late: yesterday's
// overview is noise. A supervisor whose digest fails is tried again on the next tick.
func (s *Scheduler) Digests(ctx context.Context) (int, error) {
	now := s.now()
	if err := s.loadSupervisors(ctx, now); err != nil {
		return 0, err
	}
	sent := 0
	for _, sup := range s.sups {
		slot, prev, ok := LatestSlot(sup.eff, now)
		if !ok || !slot.After(sup.last) {
			continue
		}
		if now.Sub(slot) > 2*time.Hour {
			sup.last = slot
			continue
		}
		d, created, err := s.store.DigestCreate(ctx, store.DigestCreateParams{ProfessionalID: sup.id, SlotAt: slot, Since: prev, Now: now})
		if err != nil {
			return sent, fmt.Errorf("digest of %s: %w", sup.id, err)
		}
		sup.last = slot
		if created && d.NoticeID != "" {
			sent++
		}
	}
	return sent, nil
}

// loadSupervisors reads the supervisors and their preferences (two statements) when the last
// read is a minute old or more, keeping each one's handled slot. A disabled supervisor gets no
// digest.
func (s *Scheduler) loadSupervisors(ctx context.Context, now time.Time) error {
	if !s.supsLoaded.IsZero() && now.Sub(s.supsLoaded) < time.Minute && !now.Before(s.supsLoaded) {
		return nil
	}
	list, err := s.store.ProfessionalListByRole(ctx, store.RoleSupervisor)
	if err != nil {
		return fmt.Errorf("list supervisors: %w", err)
	}
	ids := make([]string, 0, len(list))
	for _, p := range list {
		if p.DisabledAt == nil {
			ids = append(ids, p.ID)
		}
	}
	prefs, err := s.preferencesOf(ctx, ids)
	if err != nil {
		return err
	}
	last := make(map[string]time.Time, len(s.sups))
	for _, sup := range s.sups {
		last[sup.id] = sup.last
	}
	defaults := s.cfg.defaults()
	sups := make([]*supervisor, len(ids))
	for i, id := range ids {
		sups[i] = &supervisor{id: id, eff: preferences.Resolve(prefs[id], defaults), last: last[id]}
	}
	s.sups, s.supsLoaded = sups, now
	return nil
}

// preferencesOf reads the stored preferences of ids in one statement, by professional id.
func (s *Scheduler) preferencesOf(ctx context.Context, ids []string) (map[string]*store.Preferences, error) {
	out := make(map[string]*store.Preferences, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.store.PreferencesListMany(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read preferences: %w", err)
	}
	for _, p := range rows {
		out[p.ProfessionalID] = p
	}
	return out, nil
}

// LatestSlot returns the latest digest slot at or before now of a supervisor whose effective
// preferences are e, and the slot before it: e's digest times on the last three local dates
// in e's zone (schedule.LocalInstant, so a time in a summer-time gap moves forward and a
// repeated one takes its first instant), without those in e's quiet hours. ok is false when
// there is none (no digest times, or all in quiet hours).
func LatestSlot(e preferences.Effective, now time.Time) (slot, prev time.Time, ok bool) {
	var slots []time.Time
	today := schedule.DateOf(now.In(e.Zone))
	for _, d := range []schedule.Date{today.AddDays(-2), today.AddDays(-1), today} {
		for _, c := range e.DigestTimes {
			// A time in quiet hours is no slot at all, so the next digest covers its period.
			if t := schedule.LocalInstant(e.Zone, d, c); !t.After(now) && !e.Quiet(t) {
				slots = append(slots, t)
			}
		}
	}
	for _, t := range slots {
		if t.After(slot) {
			prev, slot = slot, t
		} else if t.After(prev) && t.Before(slot) {
			prev = t
		}
	}
	return slot, prev, !slot.IsZero()
}

// Pokes queues a "please sync" data push for every household written since the last tick,
// to the devices of everyone who may see it, so that a backgrounded app pulls at once (a
// foreground app learns the same through SyncService/Subscribe). A household written many
// times between two ticks is poked once.
func (s *Scheduler) Pokes(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.store.SyncPokeDrain(ctx, store.SyncPokeDrainParams{Now: s.now(), Limit: s.cfg.Batch})
		total += n
		if err != nil {
			return total, fmt.Errorf("queue sync pokes: %w", err)
		}
		if n < s.cfg.Batch {
			return total, nil
		}
	}
}

// Deliver sends every push that is due, batch by batch, and records the outcomes.
func (s *Scheduler) Deliver(ctx context.Context) (int, error) {
	total := 0
	for {
		items, err := s.store.OutboxClaim(ctx, store.OutboxClaimParams{Now: s.now(), Limit: s.cfg.Batch, Lease: s.cfg.Lease})
		if err != nil {
			return total, fmt.Errorf("claim pushes: %w", err)
		}
		if len(items) == 0 {
			return total, nil
		}
		langs := s.languages(ctx, items)
		msgs := make([]push.Message, len(items))
		for i, it := range items {
			msgs[i] = Message(it)
			msgs[i].Language = langs[it.ProfessionalID]
		}
		results, sendErr := s.sender.Send(ctx, msgs)
		if sendErr == nil && len(results) != len(msgs) {
			sendErr = fmt.Errorf("sender answered %d results for %d messages", len(results), len(msgs))
		}
		now := s.now()
		out := make([]store.OutboxResult, len(items))
		for i, it := range items {
			r := push.Result{Outcome: push.Retry, Reason: "send failed"}
			if sendErr == nil {
				r = results[i]
			}
			out[i] = s.outcome(it, r, now)
			s.cfg.Metrics.PushSent(sendOutcome(out[i].Status), 1)
		}
		if sendErr != nil {
			s.log.Warn().Err(sendErr).Int("pushes", len(items)).Msg("push batch failed; retrying with backoff")
		}
		if err := s.store.OutboxComplete(ctx, store.OutboxCompleteParams{Now: now, Results: out}); err != nil {
			// The lease ends and the pushes go out again: at least once, never lost.
			return total, fmt.Errorf("record push outcomes: %w", err)
		}
		total += len(items)
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// languages returns the language of each professional of items (their preference, else the
// default), read in one statement. A failed read is logged and answers the default for all:
// the pushes still go out.
func (s *Scheduler) languages(ctx context.Context, items []*store.OutboxItem) map[string]string {
	var ids []string
	for _, it := range items {
		if it.ProfessionalID != "" && !slices.Contains(ids, it.ProfessionalID) {
			ids = append(ids, it.ProfessionalID)
		}
	}
	out := make(map[string]string, len(ids))
	prefs, err := s.preferencesOf(ctx, ids)
	if err != nil {
		s.log.Warn().Err(err).Int("pushes", len(items)).Msg("preferences unread; pushes go out in the default language")
		prefs = nil
	}
	defaults := s.cfg.defaults()
	for _, id := range ids {
		out[id] = preferences.Resolve(prefs[id], defaults).Language
	}
	return out
}

// Message turns an outbox row into a push (in the default language: Deliver sets the
// professional's). Alerts collapse per alert (a later step replaces
// an earlier one still waiting on the phone); digests collapse into the latest, sync pokes
// into one.
func Message(it *store.OutboxItem) push.Message {
	m := push.Message{ID: it.NoticeID, Token: it.Token, Kind: push.Kind(it.Kind), Ref: it.Ref, Urgent: it.Urgent, CollapseKey: it.Ref}
	if m.Kind == push.KindSync {
		m.CollapseKey = "sync" // one pending poke per device is enough
	}
	if m.Kind == push.KindDigest {
		m.CollapseKey = "digest"
		m.Counts = push.Counts{Overdue: int(it.Counts[0]), Escalated: int(it.Counts[1]), Concerns: int(it.Counts[2])}
	}
	return m
}

// outcome maps a send result to the outbox record.
func (s *Scheduler) outcome(it *store.OutboxItem, r push.Result, now time.Time) store.OutboxResult {
	out := store.OutboxResult{NoticeID: it.NoticeID, Token: it.Token, Attempt: it.Attempts, Reason: r.Reason}
	switch r.Outcome {
	case push.Delivered:
		out.Status = store.OutboxDelivered
	case push.Unregistered:
		out.Status = store.OutboxUnregistered
		s.log.Info().Str("token_ref", push.TokenRef(it.Token)).Str("reason", r.Reason).Msg("device token unregistered; removed")
	case push.Failed:
		out.Status = store.OutboxFailed
		s.log.Warn().Str("outbox_id", it.NoticeID).Str("reason", r.Reason).Msg("push refused")
	default:
		if it.Attempts >= s.cfg.MaxAttempts {
			out.Status, out.Reason = store.OutboxFailed, "gave up after retries: "+r.Reason
			s.log.Error().Str("outbox_id", it.NoticeID).Int32("attempts", it.Attempts).Msg("push abandoned after retries")
			break
		}
		out.Status, out.NextAttemptAt = store.OutboxPending, now.Add(max(Backoff(it.Attempts), r.RetryAfter))
	}
	return out
}

// sendOutcome names an outbox status for veilig_push_sends_total.
func sendOutcome(status string) metrics.SendOutcome {
	switch status {
	case store.OutboxDelivered:
		return metrics.SendSent
	case store.OutboxUnregistered:
		return metrics.SendInvalidToken
	case store.OutboxFailed:
		return metrics.SendFailed
	}
	return metrics.SendRetry
}

// Backoff is the wait before retry n (n ≥ 1): exponential from 5 seconds, capped at 15 minutes,
// with equal jitter so that a burst of failures does not retry in lockstep.
func Backoff(n int32) time.Duration {
	d := 5 * time.Second << min(max(n-1, 0), 8)
	d = min(d, 15*time.Minute)
	return d/2 + rand.N(d/2+1)
}
