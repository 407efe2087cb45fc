package careapi

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// WithLease sets the deployment's default offline lease: every SyncService.Pull answer
// carries the lease of the caller's organization (RegionService.SetOrganizationLease), or
// this one when the organization has none of its own. After lockAfter without a successful
// pull the phone replica refuses to show its data, after eraseAfter it erases it. Defaults:
// household.DefaultLeaseLockAfter, household.DefaultLeaseEraseAfter. It panics unless
// household.CheckLease accepts the periods: callers validate configuration first.
func WithLease(lockAfter, eraseAfter time.Duration) Option {
	if err := household.CheckLease(lockAfter, eraseAfter); err != nil {
		panic(fmt.Sprintf("careapi.WithLease: %v", err))
	}
	return func(s *Service) { s.lease = store.Lease{LockAfter: lockAfter, EraseAfter: eraseAfter} }
}

func defaultLease() store.Lease {
	return store.Lease{LockAfter: household.DefaultLeaseLockAfter, EraseAfter: household.DefaultLeaseEraseAfter}
}

// leaseOf is the lease a pull of c carries: their organization's own (read with the caller,
// no extra round trip), else the deployment's default.
func (s *Service) leaseOf(c *caller) store.Lease {
	return c.professional.OrganizationLease.Or(s.lease)
}

func leaseToProto(l store.Lease) *veiligv1.Lease {
	return &veiligv1.Lease{LockAfter: durationpb.New(l.LockAfter), EraseAfter: durationpb.New(l.EraseAfter)}
}
