package careapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

var _ veiligv1connect.SyncServiceHandler = (*Service)(nil)

// maxPullBytes caps the page size a device may ask for.
const maxPullBytes = 4 << 20

// Push implements veiligv1connect.SyncServiceHandler. Each mutation is validated and
// authorized on its own: a bad or forbidden one is rejected with a reason and the rest of the
// batch applies, in one transaction.
func (s *Service) Push(ctx context.Context, req *connect.Request[veiligv1.PushRequest]) (*connect.Response[veiligv1.PushResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	muts := req.Msg.GetMutations()
	if len(muts) == 0 {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("a push carries at least one mutation"))
	}
	now := s.now()
	if len(muts) > s.quotas.q.MutationsPerPush {
		// Refused before converting a single one of them.
		return nil, s.quotas.admitPush("", len(muts), 0, now)
	}
	results := make([]change.Result, len(muts))
	var accepted []change.Mutation
	var positions []int
	for i, m := range muts {
		sm, res := s.syncMutation(c, m, now)
		if res != nil {
			results[i] = *res
			continue
		}
		accepted = append(accepted, sm)
		positions = append(positions, i)
	}
	pushBytes := 0
	for _, m := range accepted {
		pushBytes += mutationBytes(m)
	}
	if err := s.quotas.admitPush(c.professional.ID+"\x00"+c.principal.DeviceID, len(muts), pushBytes, now); err != nil {
		return nil, err
	}
	accepted, positions, err = s.householdQuota(ctx, c, accepted, positions, results, now)
	if err != nil {
		return nil, err
	}
	if len(accepted) > 0 {
		stored, err := s.domain.Push(ctx, s.actor(ctx, c), accepted)
		if err != nil {
			return nil, s.storeError(ctx, err, "mutation")
		}
		s.changes.changed(pushedHouseholds(accepted, stored))
		for j, r := range stored {
			results[positions[j]] = r
		}
	}
	out := &veiligv1.PushResponse{ServerStamp: uint64(hlc.New(now, 0))}
	for _, r := range results {
		out.Results = append(out.Results, &veiligv1.MutationResult{MutationId: r.MutationID, Outcome: veiligv1.MutationOutcome(r.Outcome),
			Reason: veiligv1.RejectReason(r.Reason), Detail: r.Detail})
	}
	return connect.NewResponse(out), nil
}

// pushedHouseholds lists the households of a push's mutations that were not rejected: the
// ones it changed (a re-send answered from the log wakes their streams again, which costs
// each one query and sends nothing).
func pushedHouseholds(muts []change.Mutation, results []change.Result) []string {
	seen := map[string]bool{}
	var out []string
	for i, m := range muts {
		if results[i].Outcome != change.OutcomeRejected && !seen[m.HouseholdID] {
			seen[m.HouseholdID] = true
			out = append(out, m.HouseholdID)
		}
	}
	return out
}

// householdQuota rejects the edits that would take a household the caller may see past its
// quota (Quotas.HouseholdBytes), filling their results, and returns the mutations left.
// Households the caller may not see are left to the domain layer, which refuses them as it
// always does: their size must not show in an answer.
func (s *Service) householdQuota(ctx context.Context, c *caller, accepted []change.Mutation, positions []int,
	results []change.Result, now time.Time) ([]change.Mutation, []int, error) {
	growing := false
	for _, m := range accepted {
		growing = growing || mutationBytes(m) > 0
	}
	if !growing {
		return accepted, positions, nil
	}
	visible, err := s.visibleVersions(ctx, c.professional.ID)
	if err != nil {
		return nil, nil, s.storeError(ctx, err, "household")
	}
	var mine []change.Mutation
	var at []int
	for j, m := range accepted {
		if _, ok := visible[m.HouseholdID]; ok {
			mine, at = append(mine, m), append(at, j)
		}
	}
	over, err := s.quotas.overQuota(ctx, mine, now, s.store.HouseholdSize)
	if err != nil {
		return nil, nil, s.storeError(ctx, err, "household")
	}
	if len(over) == 0 {
		return accepted, positions, nil
	}
	drop := make(map[int]bool, len(over))
	for k, res := range over {
		j := at[k]
		results[positions[j]] = res
		drop[j] = true
	}
	var keep []change.Mutation
	var keepAt []int
	for j, m := range accepted {
		if !drop[j] {
			keep, keepAt = append(keep, m), append(keepAt, positions[j])
		}
	}
	zerolog.Ctx(ctx).Warn().Int("rejected", len(over)).Str("professional_id", c.professional.ID).
		Msg("push edits rejected: household storage quota")
	return keep, keepAt, nil
}

var validator = func() protovalidate.Validator {
	v, err := protovalidate.New()
	if err != nil {
		panic(err) // the rules are compiled into the binary
	}
	return v
}()

// syncMutation validates and converts one mutation, clamping its stamps to the server's
// clock. It returns a result instead when the mutation is rejected here (the domain layer
// authorizes the rest).
func (s *Service) syncMutation(c *caller, m *veiligv1.Mutation, now time.Time) (change.Mutation, *change.Result) {
	reject := func(reason change.Reason, detail string) (change.Mutation, *change.Result) {
		return change.Mutation{}, &change.Result{MutationID: m.GetId(), Outcome: change.OutcomeRejected, Reason: reason, Detail: detail}
	}
	if err := validator.Validate(m); err != nil {
		return reject(change.ReasonInvalid, violations(err))
	}
	hid := m.GetHouseholdId()
	clamp := func(ts uint64) hlc.Timestamp {
		t, _ := hlc.Clamp(hlc.Timestamp(ts), now, hlc.DefaultMaxSkew)
		return t
	}
	device := c.principal.DeviceID
	if device == "" {
		device = "device-of-" + c.professional.ID
	}
	sm := change.Mutation{ID: m.GetId(), HouseholdID: hid, DeviceID: device, ProfessionalID: c.professional.ID}
	switch ch := m.GetChange().(type) {
	case *veiligv1.Mutation_Edit:
		e := ch.Edit
		if e.GetKind() != veiligv1.RecordKind_RECORD_KIND_PLAN_ENTRY {
			return reject(change.ReasonInvalid, "only plan entries sync through Push so far")
		}
		sm.Kind, sm.RecordID, sm.Section = change.KindEdit, e.GetRecordId(), change.Section(e.GetSection())
		for _, w := range e.GetFields() {
			stamp := clamp(w.GetStamp())
			sm.Writes = append(sm.Writes, change.FieldWrite{Field: w.GetField(), Value: w.GetValue(), Stamp: stamp, Seen: min(clamp(w.GetSeen()), stamp)})
		}
	case *veiligv1.Mutation_Delete:
		d := ch.Delete
		if d.GetKind() != veiligv1.RecordKind_RECORD_KIND_PLAN_ENTRY {
			return reject(change.ReasonInvalid, "only plan entries sync through Push so far")
		}
		sm.Kind, sm.RecordID, sm.Stamp = change.KindDelete, d.GetRecordId(), clamp(d.GetStamp())
		sm.Seen = min(clamp(d.GetSeen()), sm.Stamp)
	case *veiligv1.Mutation_Resolve:
		sm.Kind, sm.ConflictID = change.KindResolve, ch.Resolve.GetConflictId()
	case *veiligv1.Mutation_CheckIn:
		ci := ch.CheckIn
		sm.Kind, sm.Stamp = change.KindCheckIn, clamp(ci.GetStamp())
		sm.CheckIn = change.CheckIn{ScheduleID: ci.GetScheduleId(), Channel: channelNames[ci.GetChannel()], Outcome: outcomeNames[ci.GetOutcome()],
			Note: ci.GetNote(), RecordedBy: c.professional.ID, RecordedAt: utc(sm.Stamp.Wall())}
	}
	return sm, nil
}

// violations names the fields that broke a rule, never their values.
func violations(err error) string {
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		return "invalid mutation"
	}
	var paths []string
	for _, v := range verr.Violations {
		paths = append(paths, protovalidate.FieldPathString(v.Proto.GetField())+": "+v.Proto.GetRuleId())
	}
	slices.Sort(paths)
	return "invalid fields: " + strings.Join(paths, ", ")
}

// Pull implements veiligv1connect.SyncServiceHandler.
func (s *Service) Pull(ctx context.Context, req *connect.Request[veiligv1.PullRequest]) (*connect.Response[veiligv1.PullResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	cursors := make(map[string]int64, len(req.Msg.GetCursors()))
	for _, cur := range req.Msg.GetCursors() {
		cursors[cur.GetHouseholdId()] = cur.GetVersion()
	}
	maxBytes := int(min(req.Msg.GetMaxBytes(), maxPullBytes))
	page, err := s.domain.Pull(ctx, s.actor(ctx, c), cursors, maxBytes)
	if err != nil {
		return nil, s.storeError(ctx, err, "household")
	}
	out := &veiligv1.PullResponse{EvictedHouseholdIds: page.Evicted, HasMore: page.HasMore, ServerStamp: uint64(hlc.New(s.now(), 0)),
		Lease: leaseToProto(s.leaseOf(c))}
	for _, hc := range page.Households {
		out.Changes = append(out.Changes, householdChangesToProto(hc))
		out.Cursors = append(out.Cursors, &veiligv1.Cursor{HouseholdId: hc.Household.ID, Version: hc.Household.Version})
	}
	return connect.NewResponse(out), nil
}

func householdChangesToProto(hc *store.HouseholdChanges) *veiligv1.HouseholdChanges {
	out := &veiligv1.HouseholdChanges{HouseholdId: hc.Household.ID, Code: hc.Household.Code, TeamId: hc.Household.TeamID}
	for _, r := range hc.Records {
		rec := &veiligv1.RecordState{Kind: veiligv1.RecordKind_RECORD_KIND_PLAN_ENTRY, RecordId: r.ID, Section: string(r.Section), Deleted: r.Deleted, Version: r.Version}
		for _, f := range r.Fields {
			rec.Fields = append(rec.Fields, &veiligv1.FieldState{Field: f.Field, Value: f.Value, Stamp: uint64(f.Stamp), DeviceId: f.DeviceID})
		}
		out.Records = append(out.Records, rec)
	}
	for _, c := range hc.Conflicts {
		out.Conflicts = append(out.Conflicts, &veiligv1.ConflictRecord{Id: c.ID, Kind: veiligv1.RecordKind_RECORD_KIND_PLAN_ENTRY, RecordId: c.RecordID,
			Field: c.Field, Value: c.Value, Stamp: uint64(c.Stamp), DeviceId: c.DeviceID, AuthorId: c.AuthorID, OverwrittenBy: c.OverwrittenBy,
			Resolved: c.Resolved, Version: c.Version})
	}
	for _, ci := range hc.CheckIns {
		out.CheckIns = append(out.CheckIns, checkInToProto(ci))
	}
	for _, sc := range hc.Schedules {
		out.Schedules = append(out.Schedules, scheduleToProto(sc))
	}
	return out
}

// errTokenExpired ends a stream whose token expired.
var errTokenExpired = errors.New("token expired; subscribe again with a fresh token")

// Subscribe implements veiligv1connect.SyncServiceHandler: it names the caller's households
// that changed, and those the caller no longer sees (its next pull evicts them). It reads the
// caller's visible households when it opens and whenever the change hub wakes it (a push
// through this process, or the process's one poll per interval finding a change; see
// changeHub), so an idle stream sends no queries.
//
// A stream lives no longer than the token it was opened with: at the token's exp it ends with
// Unauthenticated (errTokenExpired) and the client subscribes again with a fresh token.
// Without that, an expired token (a stolen one, or one of a professional who has since left)
// would go on learning which households change, for as long as the connection holds. It ends
// at exp itself, not exp + auth.Leeway: the leeway forgives clock skew when a token is
// checked, it does not lengthen the token's life.
//
// Concurrent streams are capped per professional and per device (WithStreamLimits): a stream
// over a cap is refused with ResourceExhausted and logged at warn with ids only. Its slot is
// given back when the stream ends, whichever way it ends.
func (s *Service) Subscribe(ctx context.Context, _ *connect.Request[veiligv1.SubscribeRequest], stream *connect.ServerStream[veiligv1.SubscribeResponse]) error {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return err
	}
	// The expiry is judged on the real clock, as the verifier judged the token and as timers
	// run (the service's clock, WithClock, stamps data and may be fixed in tests).
	expiry := c.principal.ExpiresAt
	if expiry.IsZero() {
		// Every verified token has an expiry; a principal without one was not made by the
		// verifier, and a stream that could never end is refused rather than allowed.
		return connect.NewError(connect.CodeUnauthenticated, errors.New("token without expiry; subscribe with a token that has one"))
	}
	if !time.Now().Before(expiry) {
		return connect.NewError(connect.CodeUnauthenticated, errTokenExpired)
	}
	release, refused := s.streams.acquire(c.professional.ID, c.principal.DeviceID)
	if refused != nil {
		zerolog.Ctx(ctx).Warn().Str("professional_id", c.professional.ID).Str("device_id", c.principal.DeviceID).
			Str("cap", refused.scope).Int("limit", refused.limit).Msg("stream refused: too many concurrent Subscribe streams")
		what := "this account"
		if refused.scope == "device" {
			what = "this device"
		}
		return connect.NewError(connect.CodeResourceExhausted,
			fmt.Errorf("too many open Subscribe streams for %s (at most %d): close one before subscribing again", what, refused.limit))
	}
	defer release()
	if err := s.record(ctx, c, household.ActionSyncSubscribe, store.AuditAllowed, ""); err != nil {
		return s.storeError(ctx, err, "stream")
	}
	// The stream's context ends at the expiry: a timer that fires whatever the stream is doing
	// (polling, or waiting for the next tick), so that the end does not wait for a tick.
	ctx, cancel := context.WithDeadlineCause(ctx, expiry, errTokenExpired)
	defer cancel()
	// A revocation of the device or a disabling of the professional on this server ends the
	// stream at once, with its AccessEnded refusal as the cause (streamEnds); one on another
	// server within one interval: the change hub's poll wakes the stream, which checks its
	// caller again (recheck).
	ctx, end := context.WithCancelCause(ctx)
	defer end(nil)
	defer s.ends.add(c.professional.ID, c.deviceID(), end)()
	expired := func() bool { return errors.Is(context.Cause(ctx), errTokenExpired) }
	ended := func() error {
		if cause := context.Cause(ctx); errors.Is(cause, errDeviceRevoked) || errors.Is(cause, errProfessionalDisabled) {
			return cause
		}
		return nil
	}
	stopping := s.stopping(ctx)
	sub := s.changes.subscribe(c.professional.ID, c.deviceID())
	defer s.changes.unsubscribe(sub)
	var last map[string]int64
	for {
		// The caller was checked when the stream opened; it is checked again only when the
		// change hub found their access ended on another replica (a revocation here ends the
		// stream through its context), not on every wake.
		if s.changes.takeAccessEnded(sub) {
			if err := s.recheck(ctx, c); err != nil {
				if cause := ended(); cause != nil {
					return cause
				}
				return err
			}
		}
		versions, err := s.visibleVersions(ctx, c.professional.ID)
		if err != nil {
			// A poll cut short by the expiry is the expiry, not a store failure to log.
			if expired() {
				return connect.NewError(connect.CodeUnauthenticated, errTokenExpired)
			}
			if cause := ended(); cause != nil {
				return cause
			}
			return s.storeError(ctx, err, "household")
		}
		s.changes.watch(sub, versions)
		if last == nil {
			// The first message, empty, confirms the subscription (a client waits for the
			// response headers). It follows the first read of the caller's households, so every
			// change committed after the confirmation is named by a later message.
			if err := stream.Send(&veiligv1.SubscribeResponse{}); err != nil {
				return err
			}
		} else {
			var changed []string
			for id, v := range versions {
				if last[id] != v {
					changed = append(changed, id)
				}
			}
			for id := range last {
				if _, ok := versions[id]; !ok {
					changed = append(changed, id) // no longer visible: the next pull evicts it
				}
			}
			if len(changed) > 0 {
				slices.Sort(changed)
				if err := stream.Send(&veiligv1.SubscribeResponse{HouseholdIds: changed}); err != nil {
					return err
				}
			}
		}
		last = versions
		select {
		case <-ctx.Done():
			if expired() {
				return connect.NewError(connect.CodeUnauthenticated, errTokenExpired)
			}
			if cause := ended(); cause != nil {
				return cause
			}
			return nil // the client went away
		case <-stopping:
			return connect.NewError(connect.CodeUnavailable, errors.New("server shutting down; subscribe again"))
		case <-sub.wake:
		}
	}
}

// recheck refuses a stream's caller who has been disabled, or whose device has been revoked,
// since the stream opened (on any server: it reads the store).
func (s *Service) recheck(ctx context.Context, c *caller) error {
	p, err := s.store.ProfessionalGet(ctx, c.professional.ID)
	if err != nil {
		return s.storeError(ctx, fmt.Errorf("recheck caller %s: %w", c.professional.ID, err), "professional")
	}
	_, err = s.checkAccess(ctx, p, c.principal.DeviceID)
	return err
}

func (s *Service) visibleVersions(ctx context.Context, professionalID string) (map[string]int64, error) {
	out := map[string]int64{}
	after := ""
	for {
		hs, err := s.store.HouseholdListVisible(ctx, store.HouseholdListVisibleParams{ProfessionalID: professionalID, AfterID: after, Limit: 500})
		if err != nil {
			return nil, fmt.Errorf("list households of %s: %w", professionalID, err)
		}
		for _, h := range hs {
			out[h.ID] = h.Version
		}
		if len(hs) < 500 {
			return out, nil
		}
		after = hs[len(hs)-1].ID
	}
}
