package client_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/client"
	"github.com/veilig/veilig/sync/hlc"
)

// leaseServer is a Transport whose pulls bring one household with one entry and a lease, and
// that can be taken offline or told that access has ended.
type leaseServer struct {
	mu      sync.Mutex
	lease   client.Lease
	offline bool
	ended   bool
}

func (s *leaseServer) fail() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.ended:
		return fmt.Errorf("permission denied: %w", client.ErrAccessEnded)
	case s.offline:
		return errors.New("no network")
	}
	return nil
}

func (s *leaseServer) Push(_ context.Context, batch []client.Mutation) ([]change.Result, hlc.Timestamp, error) {
	if err := s.fail(); err != nil {
		return nil, 0, err
	}
	out := make([]change.Result, len(batch))
	for i, m := range batch {
		out[i] = change.Result{MutationID: m.ID, Outcome: change.OutcomeApplied}
	}
	return out, 0, nil
}

func (s *leaseServer) Pull(context.Context, map[string]int64, int) (*client.PullPage, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return &client.PullPage{Lease: s.lease, Households: []client.HouseholdChanges{{HouseholdID: "h1", Code: "HH-1", Version: 2,
		Records: []client.Record{{ID: "r1", Section: change.SectionAgreement, Fields: map[string]client.Field{"what": {Value: "belt de buurvrouw", Stamp: 1}}}}}}}, nil
}

// clock is a controllable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestReplicaLocksAfterTheLeaseAndErasesAfterTheSecondPeriod: a replica that has not pulled
// successfully for the lease's first period shows nothing and refuses edits
// (ErrLeaseExpired), shows its data again after the next successful pull, and after the
// second period erases everything, unsent edits included, also when it is reopened.
func TestReplicaLocksAfterTheLeaseAndErasesAfterTheSecondPeriod(t *testing.T) {
	ctx := context.Background()
	srv := &leaseServer{lease: client.Lease{LockAfter: 72 * time.Hour, EraseAfter: 14 * 24 * time.Hour}}
	clk := &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	storage := &client.MemoryStorage{}
	r, err := client.Open(ctx, "phone-1", storage, srv, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CheckLease(ctx); err != nil {
		t.Fatalf("a replica that never pulled: %v, want no lease to hold it", err)
	}
	if _, err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	shows := func() bool { return len(r.Households()) == 1 && len(r.Entries("h1")) == 1 && r.Code("h1") == "HH-1" }
	if !shows() || r.CheckLease(ctx) != nil {
		t.Fatal("after a pull the replica does not show its data")
	}

	srv.mu.Lock()
	srv.offline = true
	srv.mu.Unlock()
	clk.Add(72*time.Hour - time.Second)
	if !shows() || r.CheckLease(ctx) != nil {
		t.Fatal("the replica locked before the lease ran out")
	}
	if _, err := r.Edit(ctx, "h1", "r1", change.SectionAgreement, map[string]string{"what": "belt oma"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	if err := r.CheckLease(ctx); !errors.Is(err, client.ErrLeaseExpired) {
		t.Fatalf("CheckLease after the lease = %v, want ErrLeaseExpired", err)
	}
	if len(r.Households()) != 0 || len(r.Entries("h1")) != 0 || r.Code("h1") != "" || r.Snapshot("h1") != nil {
		t.Fatal("a replica past its lease still shows data")
	}
	if _, err := r.Edit(ctx, "h1", "r1", change.SectionAgreement, map[string]string{"what": "x"}); !errors.Is(err, client.ErrLeaseExpired) {
		t.Fatalf("an edit past the lease = %v, want ErrLeaseExpired", err)
	}
	if _, err := r.Sync(ctx); err == nil {
		t.Fatal("an offline sync succeeded")
	}
	if err := r.CheckLease(ctx); !errors.Is(err, client.ErrLeaseExpired) {
		t.Fatalf("a failed sync renewed the lease: %v", err)
	}

	// A successful contact renews the lease and shows the data again.
	srv.mu.Lock()
	srv.offline = false
	srv.mu.Unlock()
	if _, err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if !shows() || r.CheckLease(ctx) != nil || r.Pending() != 0 {
		t.Fatalf("after a successful sync: shows %v, lease %v, pending %d", shows(), r.CheckLease(ctx), r.Pending())
	}

	// Offline for the second period: everything is erased, and stays erased when reopened.
	srv.mu.Lock()
	srv.offline = true
	srv.mu.Unlock()
	if _, err := r.Edit(ctx, "h1", "r1", change.SectionAgreement, map[string]string{"what": "onverzonden"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(14*24*time.Hour - time.Second)
	if err := r.CheckLease(ctx); !errors.Is(err, client.ErrLeaseExpired) {
		t.Fatalf("just before the second period: %v, want ErrLeaseExpired", err)
	}
	clk.Add(time.Second)
	if err := r.CheckLease(ctx); !errors.Is(err, client.ErrErased) {
		t.Fatalf("after the second period: %v, want ErrErased", err)
	}
	if r.Erased() != client.ErasedLeaseExpired || r.Pending() != 0 {
		t.Fatalf("erased %q, pending %d", r.Erased(), r.Pending())
	}
	again, err := client.Open(ctx, "phone-1", storage, srv, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if again.Erased() != client.ErasedLeaseExpired || len(again.Households()) != 0 || again.Pending() != 0 {
		t.Fatal("the erased data came back from storage")
	}
}

// TestReplicaErasesWhenAccessEnds: a push or pull answered "access ended" (the device was
// revoked, or its professional disabled) erases all local data at once, unsent edits
// included; the replica syncs no more.
func TestReplicaErasesWhenAccessEnds(t *testing.T) {
	ctx := context.Background()
	srv := &leaseServer{}
	clk := &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	storage := &client.MemoryStorage{}
	r, err := client.Open(ctx, "phone-1", storage, srv, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Edit(ctx, "h1", "r1", change.SectionAgreement, map[string]string{"what": "onverzonden"}); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	srv.ended = true
	srv.mu.Unlock()
	if _, err := r.Sync(ctx); !errors.Is(err, client.ErrAccessEnded) {
		t.Fatalf("sync = %v, want ErrAccessEnded", err)
	}
	if r.Erased() != client.ErasedAccessEnded || len(r.Households()) != 0 || r.Pending() != 0 {
		t.Fatalf("after access ended: erased %q, %d households, %d pending", r.Erased(), len(r.Households()), r.Pending())
	}
	if _, err := r.Sync(ctx); !errors.Is(err, client.ErrErased) {
		t.Fatalf("a sync after erasure = %v, want ErrErased", err)
	}
	if err := r.CheckLease(ctx); !errors.Is(err, client.ErrErased) {
		t.Fatalf("CheckLease after erasure = %v, want ErrErased", err)
	}
}
