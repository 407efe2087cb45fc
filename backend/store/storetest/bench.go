package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/sync/change"
	"github.com/veilig/veilig/sync/hlc"
)

// Benchmark measures the sync paths of an engine. open must return a new, empty, migrated
// store for each call.
//
//	push-1000:           one push of 1,000 small mutations (one field each) into one household
//	push-1000-parallel:  the same from 8 concurrent writers, one household each
//	pull-10000:          one pull of a household holding 10,000 field changes, from cursor 0
func Benchmark(b *testing.B, open func(testing.TB) store.Driver) {
	b.Run("push-1000", func(b *testing.B) {
		s := Open(b, open)
		seedDirectory(b, s)
		createHousehold(b, s, "h0", "team-north")
		b.ResetTimer()
		for i := range b.N {
			must(b, pushBatch(s, "h0", i, 1000))
		}
		b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "mutations/s")
		reportRetries(b, s)
	})
	b.Run("push-1000-parallel", func(b *testing.B) {
		s := Open(b, open)
		seedDirectory(b, s)
		const writers = 8
		for w := range writers {
			createHousehold(b, s, fmt.Sprintf("h%d", w), "team-north")
		}
		var next, batches atomic.Int64
		b.SetParallelism((writers + 1) / 2) // × GOMAXPROCS goroutines: 8 on a 2-core machine
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			h := fmt.Sprintf("h%d", next.Add(1)%writers)
			for pb.Next() {
				if err := pushBatch(s, h, int(batches.Add(1)), 1000); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(batches.Load()*1000)/b.Elapsed().Seconds(), "mutations/s")
		reportRetries(b, s)
	})
	b.Run("pull-10000", func(b *testing.B) {
		s := Open(b, open)
		seedDirectory(b, s)
		createHousehold(b, s, "h0", "team-north")
		must(b, s.CareTeamMemberSet(ctx(), store.CareTeamMemberSetParams{Member: store.CareTeamMember{HouseholdID: "h0", ProfessionalID: "p-care"}, Now: t0}))
		for i := range 10 {
			must(b, pushBatch(s, "h0", i, 1000))
		}
		b.ResetTimer()
		for range b.N {
			page, err := s.SyncPull(ctx(), store.SyncPullParams{ProfessionalID: "p-care", MaxBytes: 4 << 20})
			must(b, err)
			fields := 0
			for _, hc := range page.Households {
				for _, r := range hc.Records {
					fields += len(r.Fields)
				}
			}
			if fields != 10000 || page.HasMore {
				b.Fatalf("pulled %d field changes (more: %v), want 10000 in one page", fields, page.HasMore)
			}
		}
		b.ReportMetric(float64(b.N*10000)/b.Elapsed().Seconds(), "changes/s")
	})
}

// pushBatch pushes n one-field edits: n/10 new plan entries with 10 fields each.
func pushBatch(s *store.DB, household string, batch, n int) error {
	muts := make([]change.Mutation, n)
	stamp := hlc.New(t0.Add(time.Duration(batch)*time.Second), 0)
	for i := range muts {
		muts[i] = change.Mutation{ID: fmt.Sprintf("%s-%d-%d", household, batch, i), HouseholdID: household, DeviceID: "phone",
			ProfessionalID: "p-care", Kind: change.KindEdit, RecordID: fmt.Sprintf("%s-e%d-%d", household, batch, i/10),
			Section: change.SectionAgreement,
			Writes:  []change.FieldWrite{{Field: fmt.Sprintf("f%d", i%10), Value: "afspraak: om 18:00 thuis", Stamp: stamp + hlc.Timestamp(i)}}}
	}
	res, err := s.SyncPush(ctx(), store.SyncPushParams{Mutations: muts, Now: t0})
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Outcome != change.OutcomeApplied {
			return fmt.Errorf("mutation %s: %+v", r.MutationID, r)
		}
	}
	return nil
}

// reportRetries reports serialization retries per operation for engines that count them.
func reportRetries(b *testing.B, s *store.DB) {
	if r, ok := s.Driver().(interface{ Retries() int64 }); ok {
		b.ReportMetric(float64(r.Retries())/float64(b.N), "retries/op")
	}
}
