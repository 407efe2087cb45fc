package careapi

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// The default offline lease (WithLease) every pull grants: a phone that has not pulled for
// three days locks its data, and one that has not pulled for two weeks erases it. Three days
// cover a long weekend in a basement office; two weeks bound how long a lost phone holds a
// family's plan.
const (
	DefaultLeaseLockAfter  = 72 * time.Hour
	DefaultLeaseEraseAfter = 14 * 24 * time.Hour
)

// WithLease sets the offline lease that every SyncService.Pull answer carries (veilig.v1.Lease):
// after lockAfter without a successful pull the phone replica refuses to show its data, after
// eraseAfter it erases it. Defaults: DefaultLeaseLockAfter, DefaultLeaseEraseAfter. The lease
// is one per deployment. It panics unless 0 < lockAfter < eraseAfter: callers validate
// configuration first (CheckLease).
func WithLease(lockAfter, eraseAfter time.Duration) Option {
	if err := CheckLease(lockAfter, eraseAfter); err != nil {
		panic(fmt.Sprintf("careapi.WithLease: %v", err))
	}
	return func(s *Service) {
		s.lease = &veiligv1.Lease{LockAfter: durationpb.New(lockAfter), EraseAfter: durationpb.New(eraseAfter)}
	}
}

// CheckLease reports whether 0 < lockAfter < eraseAfter.
func CheckLease(lockAfter, eraseAfter time.Duration) error {
	if lockAfter <= 0 || eraseAfter <= lockAfter {
		return fmt.Errorf("the lease must lock after a positive period and erase after a longer one (got %s and %s)", lockAfter, eraseAfter)
	}
	return nil
}

func defaultLease() *veiligv1.Lease {
	return &veiligv1.Lease{LockAfter: durationpb.New(DefaultLeaseLockAfter), EraseAfter: durationpb.New(DefaultLeaseEraseAfter)}
}
