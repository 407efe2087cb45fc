package household

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/store"
)

// The access log's outcomes, decided once for every use case (issue 12):
//
//   - allowed: the use case appends its record in its own transaction (access, or the use
//     case itself), so a write and its record commit together and a read's record commits
//     before the data is returned;
//   - denied: decide refuses with a *denial that carries the record. The use case's
//     transaction rolls back, record included, so inTx appends the denial afterwards in a
//     small transaction of its own (a push, which commits despite a refused household,
//     appends it with the rest);
//   - failed: a use case that was allowed but then failed rolls back, its allowed record
//     with it (a failed write never leaves a "done" row); inTx appends a copy marked failed,
//     with the class of the error as its reason (Push, which is not run by inTx, does the
//     same for a batch that fails after it was authorized, its denials appended again).
//
// Must never: write a denial or failure inside the refused transaction (it would roll back),
// or put an error's text into a reason (only rule messages and error classes, no values).

// denial is decide's refusal with the access record it leaves. It unwraps to the refusal, so
// callers test it as before (ErrHouseholdNotFound, *Refusal).
type denial struct {
	err   error
	event store.AuditEvent
}

func (d *denial) Error() string { return d.err.Error() }
func (d *denial) Unwrap() error { return d.err }

// deny records a refusal of a to do action on an object (with its household, if any).
func deny(a Actor, err error, householdID, action, objectKind, objectID string) error {
	ev := eventOf(a, householdID, action, time.Time{})
	ev.ObjectKind, ev.ObjectID = objectKind, objectID
	ev.Outcome, ev.Reason = store.AuditDenied, reasonOf(err)
	return &denial{err: err, event: ev}
}

// reasonOf names why a call was refused or failed, without values.
func reasonOf(err error) string {
	var r *Refusal
	switch {
	case errors.Is(err, ErrHouseholdNotFound):
		return "not_found: the household is not visible to the actor"
	case errors.Is(err, ErrAlertNotFound):
		return "not_found: the alert is not visible to the actor"
	case errors.As(err, &r):
		return r.Kind.Error() + ": " + r.Message
	case errors.Is(err, store.ErrNotFound):
		return "not_found"
	case errors.Is(err, store.ErrConflict):
		return "conflict"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	default:
		return "error"
	}
}

// recordKey finds a use case's allowed record in its context.
type recordKey struct{}

// allowedRecord is the last allowed record a use case's transaction appended.
type allowedRecord struct{ event *store.AuditEvent }

// allowed notes, for inTx, the allowed record a transaction appended.
func allowed(ctx context.Context, ev store.AuditEvent) {
	if r, ok := ctx.Value(recordKey{}).(*allowedRecord); ok {
		r.event = &ev
	}
}

// inTx runs a use case in one transaction and logs its outcome when it does not commit: a
// denial's record, or a failed copy of the allowed record it rolled back. The error returned
// is the use case's.
func (s *Service) inTx(ctx context.Context, f func(ctx context.Context, tx *store.Tx) error) error {
	rec := &allowedRecord{}
	err := s.db.InTx(context.WithValue(ctx, recordKey{}, rec), func(ctx context.Context, tx *store.Tx) error {
		rec.event = nil // a retried transaction starts over
		return f(ctx, tx)
	})
	if err == nil {
		return nil
	}
	var d *denial
	switch {
	case errors.As(err, &d):
		s.appendOutcome(ctx, d.event)
		return d.err
	case rec.event != nil:
		ev := *rec.event
		ev.Outcome, ev.Reason = store.AuditFailed, reasonOf(err)
		s.appendOutcome(ctx, ev)
	}
	return err
}

// appendOutcome appends a denial or failure record in its own transaction. Failing to is
// logged (ids only) and does not change the use case's answer.
func (s *Service) appendOutcome(ctx context.Context, ev store.AuditEvent) {
	s.appendOutcomes(ctx, []store.AuditEvent{ev})
}

// appendOutcomes is appendOutcome for several records, appended together in one transaction.
// Each gets a fresh id and the time of now.
func (s *Service) appendOutcomes(ctx context.Context, evs []store.AuditEvent) {
	at := s.Now()
	for i := range evs {
		evs[i].ID, evs[i].At = uuid.NewString(), at
	}
	if err := s.db.AuditAppend(context.WithoutCancel(ctx), evs); err != nil {
		ev := evs[0]
		zerolog.Ctx(ctx).Error().Err(fmt.Errorf("append audit record: %w", err)).Str("professional_id", ev.ProfessionalID).
			Str("action", ev.Action).Str("outcome", string(ev.Outcome)).Int("records", len(evs)).Msg("access record lost")
	}
}

// Record appends one access record of a call on the actor's own data (a device registered or
// unregistered, a stream opened) with its outcome, in its own transaction: for calls that do
// not run through a use case of this package. objectKind and objectID name what was acted
// on; reason is for a denied or failed call and holds no values.
func (s *Service) Record(ctx context.Context, a Actor, action, objectKind, objectID string, outcome store.AuditOutcome, reason string) error {
	ev := eventOf(a, "", action, s.Now())
	ev.ObjectKind, ev.ObjectID, ev.Outcome, ev.Reason = objectKind, objectID, outcome, reason
	if err := s.db.AuditAppend(ctx, []store.AuditEvent{ev}); err != nil {
		return fmt.Errorf("record %s: %w", action, err)
	}
	return nil
}
