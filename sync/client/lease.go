package client

// The offline lease and erasure (issue 12). A phone may be lost, or kept from the network by
// the person a family fled; what it holds must not stay readable forever.
//
//   - Every pull answer carries a Lease from the server. The replica keeps it with the time of
//     the last successful pull (State.LastContact), on its own clock.
//   - From LastContact + LockAfter on, the replica refuses to show its data: every read
//     shows nothing, edits are refused, and CheckLease returns ErrLeaseExpired. Nothing is
//     lost: the next successful Sync renews the lease and shows the data again (Sync itself
//     is allowed, as it is what renews the lease).
//   - From LastContact + EraseAfter on, CheckLease (and Open) erase all local data, unsent
//     edits included, and CheckLease returns ErrErased.
//   - When the server answers that access has ended on this device (the device was revoked,
//     or its professional disabled: the Transport returns an error wrapping ErrAccessEnded),
//     Sync erases all local data at once and returns that error.
//
// A replica that has never pulled has no lease and nothing to show; it is never locked.

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Lease is how long the replica may show its data without a successful contact with the
// server (LockAfter), and how long it may keep it (EraseAfter), both counted from the last
// successful pull. A zero period is no limit.
type Lease struct {
	LockAfter, EraseAfter time.Duration
}

// Errors of the lease and of erasure.
var (
	// ErrLeaseExpired: the lease ran out without a successful contact; the data is kept but
	// not shown until the next successful Sync.
	ErrLeaseExpired = errors.New("the offline lease has run out: connect and sync to show the data again")
	// ErrErased: the replica's data was erased (see State.Erased for why).
	ErrErased = errors.New("the local data was erased")
	// ErrAccessEnded is what a Transport wraps when the server says access has ended for
	// good on this device (revoked, or its professional disabled): the replica erases all it
	// holds.
	ErrAccessEnded = errors.New("access ended on this device")
)

// Reasons of an erasure (State.Erased).
const (
	ErasedAccessEnded  = "access_ended"
	ErasedLeaseExpired = "lease_expired"
)

// Eraser is implemented by a Storage that can erase what it stored beyond overwriting it
// (clientsqlite deletes the row, vacuums and truncates its log). A Storage without it is
// erased by saving an empty state.
type Eraser interface {
	Erase(ctx context.Context) error
}

// locked reports whether the lease has run out; r.mu is held.
func (r *Replica) locked() bool {
	l := r.st.Lease
	return l.LockAfter > 0 && !r.st.LastContact.IsZero() && !r.now().Before(r.st.LastContact.Add(l.LockAfter))
}

// eraseDue reports whether the second period has run out; r.mu is held.
func (r *Replica) eraseDue() bool {
	l := r.st.Lease
	return l.EraseAfter > 0 && !r.st.LastContact.IsZero() && !r.now().Before(r.st.LastContact.Add(l.EraseAfter))
}

// shown is the households the reads may show: none while the lease has run out; r.mu is held.
func (r *Replica) shown() map[string]*Household {
	if r.locked() {
		return nil
	}
	return r.st.Households
}

// shownLocal is local() unless the lease has run out; r.mu is held.
func (r *Replica) shownLocal() []Mutation {
	if r.locked() {
		return nil
	}
	return r.local()
}

// CheckLease reports whether the replica may show its data: nil, ErrLeaseExpired (the data
// is hidden until the next successful Sync), or ErrErased, after erasing all local data when
// the second period has run out now (or the data was erased before). The app calls it before
// it shows anything, and on a timer while it shows data.
func (r *Replica) CheckLease(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.st.Erased != "" {
		return ErrErased
	}
	if r.eraseDue() {
		if err := r.erase(ctx, ErasedLeaseExpired); err != nil {
			return err
		}
		return ErrErased
	}
	if r.locked() {
		return ErrLeaseExpired
	}
	return nil
}

// Erased returns why the replica's data was erased (ErasedAccessEnded, ErasedLeaseExpired),
// or "" when it was not.
func (r *Replica) Erased() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.Erased
}

// LastContact returns the time of the last successful pull (zero before the first).
func (r *Replica) LastContact() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.LastContact
}

// Erase erases all local data (households, cursors, outbox, rejections) for reason and keeps
// only the device id and the reason. It is for good: the replica shows nothing afterwards.
func (r *Replica) Erase(ctx context.Context, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.erase(ctx, reason)
}

// erase is Erase with r.mu held.
func (r *Replica) erase(ctx context.Context, reason string) error {
	r.st = &State{DeviceID: r.st.DeviceID, Clock: r.st.Clock, Cursors: map[string]int64{}, Households: map[string]*Household{}, Erased: reason}
	if e, ok := r.storage.(Eraser); ok {
		if err := e.Erase(ctx); err != nil {
			return fmt.Errorf("erase replica: %w", err)
		}
	}
	if err := r.storage.Save(ctx, r.st); err != nil {
		return fmt.Errorf("erase replica: %w", err)
	}
	return nil
}
