package household

import (
	"context"
	"fmt"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// The offline lease (issue 12). Every SyncService.Pull answer carries one: after LockAfter
// without a successful pull the phone's replica refuses to show its data, after EraseAfter it
// erases it (sync/client). A deployment has a default (veilig serve --lease-lock-after,
// --lease-erase-after); an organization may have its own (SetOrganizationLease), which its
// professionals' pulls carry instead. The rule of what a lease may be is CheckLease's, for
// both.

// The default lease: a phone that has not pulled for three days locks its data, and one that
// has not pulled for two weeks erases it. Three days cover a long weekend in a basement
// office; two weeks bound how long a lost phone holds a family's plan.
const (
	DefaultLeaseLockAfter  = 72 * time.Hour
	DefaultLeaseEraseAfter = 14 * 24 * time.Hour
)

// The longest lease: a phone may stay locked but hold its data for up to a year, and show it
// without contact for up to 90 days. Longer would leave a lost phone holding a family's plan
// for longer than any organization could explain. proto/veilig/v1/region.proto
// (LeasePeriods) refuses the same at the edge; a test in backend/app keeps the two equal.
const (
	MaxLeaseLockAfter  = 90 * 24 * time.Hour
	MaxLeaseEraseAfter = 365 * 24 * time.Hour
)

// ActionOrganizationLease is the access record of setting or clearing an organization's own
// lease; its object is the organization.
const ActionOrganizationLease = "organization.lease"

var opSetOrganizationLease = operation{veiligv1connect.RegionServiceSetOrganizationLeaseProcedure, ActionOrganizationLease}

// CheckLease reports whether lockAfter and eraseAfter make a lease: 0 < lockAfter <
// eraseAfter, lockAfter at most MaxLeaseLockAfter and eraseAfter at most MaxLeaseEraseAfter.
// The error names the periods, never anything else.
func CheckLease(lockAfter, eraseAfter time.Duration) error {
	switch {
	case lockAfter <= 0 || eraseAfter <= lockAfter:
		return fmt.Errorf("the lease must lock after a positive period and erase after a longer one (got %s and %s)", lockAfter, eraseAfter)
	case lockAfter > MaxLeaseLockAfter || eraseAfter > MaxLeaseEraseAfter:
		return fmt.Errorf("the lease may lock after at most %s and erase after at most %s (got %s and %s)",
			MaxLeaseLockAfter, MaxLeaseEraseAfter, lockAfter, eraseAfter)
	}
	return nil
}

// SetOrganizationLease sets an organization's own lease, or clears it (the zero Lease) so
// that its professionals' pulls carry the deployment's default again, and returns the
// organization as stored. The regional administrator may set any organization's lease, an
// admin of the organization their own (adminOf; a refusal is recorded as denied). A lease
// that CheckLease refuses, or that is not in whole seconds (what the store keeps), is
// ErrInvalid; an unknown organization is store.ErrNotFound. The change and its access record
// commit together.
func (s *Service) SetOrganizationLease(ctx context.Context, a Actor, organizationID string, lease store.Lease) (*store.Organization, error) {
	now := s.Now()
	var org *store.Organization
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := adminOf(ctx, a, opSetOrganizationLease.procedure, opSetOrganizationLease.action, organizationID); err != nil {
			return err
		}
		if !lease.IsZero() {
			if err := CheckLease(lease.LockAfter, lease.EraseAfter); err != nil {
				return refuse(ErrInvalid, "lease: "+err.Error())
			}
			if lease.LockAfter%time.Second != 0 || lease.EraseAfter%time.Second != 0 {
				return refuse(ErrInvalid, "lease: whole seconds only")
			}
		}
		ev := eventOf(a, "", opSetOrganizationLease.action, now)
		ev.ObjectKind, ev.ObjectID = "organization", organizationID
		allowed(ctx, ev)
		if err := tx.OrganizationLeaseSet(ctx, organizationID, lease); err != nil {
			return err
		}
		if org, err = tx.OrganizationGet(ctx, organizationID); err != nil {
			return err
		}
		return tx.AuditAppend(ctx, []store.AuditEvent{ev})
	})
	return org, err
}
