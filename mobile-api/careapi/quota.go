package careapi

import (
	"context"
	"fmt"
	"sync"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/time/rate"

	"github.com/veilig/veilig/sync/change"
)

// Quotas bound what one device may push and what one household may hold (issue 13, point 1:
// one care-team member grew a household to hundreds of megabytes in minutes, and every pull
// of the team grew with it). Zero fields take the defaults below; WithQuotas sets them.
type Quotas struct {
	// MutationsPerPush caps one push (DefaultMutationsPerPush); a phone sends a longer
	// outbox in several pushes.
	MutationsPerPush int
	// MutationsPerMinute caps the mutations one device (of one professional) pushes a
	// minute, with a burst of the same size (DefaultMutationsPerMinute).
	MutationsPerMinute int
	// PushBytesPerMinute caps the field bytes one device pushes a minute, burst the same
	// (DefaultPushBytesPerMinute): overwriting one field again and again grows the stored
	// history without growing the household.
	PushBytesPerMinute int
	// HouseholdBytes caps a household's current data as a first pull sends it
	// (store.HouseholdSize; DefaultHouseholdBytes). Edits that would grow a household past
	// it are rejected, each with the reason; check-ins, deletes and resolutions never are.
	HouseholdBytes int64
}

// Defaults of Quotas. A professional edits a plan by hand: tens of mutations a visit, a few
// thousand after a week offline. A household's plan is a few dozen short entries, kilobytes;
// 16 MiB is thousands of times that.
const (
	// DefaultMutationsPerPush is Quotas.MutationsPerPush's default.
	DefaultMutationsPerPush = 1000
	// DefaultMutationsPerMinute is Quotas.MutationsPerMinute's default: three full pushes.
	DefaultMutationsPerMinute = 3000
	// DefaultPushBytesPerMinute is Quotas.PushBytesPerMinute's default.
	DefaultPushBytesPerMinute = 8 << 20
	// DefaultHouseholdBytes is Quotas.HouseholdBytes's default.
	DefaultHouseholdBytes = 16 << 20
)

// WithQuotas sets the push and household quotas; zero fields keep their defaults. The rates
// and the household sizes are kept in memory per server process (like the stream caps): n
// replicas admit up to n times the rate, and a household's size is re-read at most every
// householdSizeTTL, so it may pass its quota by what one minute of pushes adds.
func WithQuotas(q Quotas) Option {
	return func(s *Service) { s.quotas = newQuotaGuard(q) }
}

// householdSizeTTL is how long a household's measured size is trusted before it is read
// again (reading it costs a pass over the household's current rows).
const householdSizeTTL = time.Minute

// quotaGuard enforces Quotas.
type quotaGuard struct {
	q       Quotas
	mu      sync.Mutex
	devices map[string]*deviceBudget
	sizes   map[string]*householdSize
}

type deviceBudget struct {
	mutations, bytes *rate.Limiter
	seen             time.Time
}

type householdSize struct {
	bytes    int64
	measured time.Time
}

// quotaMapMax bounds the guard's maps; idle entries are swept when it is reached.
const quotaMapMax = 100_000

func newQuotaGuard(q Quotas) *quotaGuard {
	if q.MutationsPerPush <= 0 {
		q.MutationsPerPush = DefaultMutationsPerPush
	}
	if q.MutationsPerMinute <= 0 {
		q.MutationsPerMinute = DefaultMutationsPerMinute
	}
	// A push within MutationsPerPush must be able to pass an idle device's bucket.
	q.MutationsPerMinute = max(q.MutationsPerMinute, q.MutationsPerPush)
	if q.PushBytesPerMinute <= 0 {
		q.PushBytesPerMinute = DefaultPushBytesPerMinute
	}
	if q.HouseholdBytes <= 0 {
		q.HouseholdBytes = DefaultHouseholdBytes
	}
	return &quotaGuard{q: q, devices: make(map[string]*deviceBudget), sizes: make(map[string]*householdSize)}
}

// mutationBytes is what an edit adds to its household (store.Size's allowances): its field
// writes. Other kinds add nothing that counts against a quota.
func mutationBytes(m change.Mutation) int {
	if m.Kind != change.KindEdit {
		return 0
	}
	n := 48 + len(m.RecordID) + len(m.Section)
	for _, w := range m.Writes {
		n += 24 + len(w.Field) + len(w.Value) + len(m.DeviceID)
	}
	return n
}

// admitPush takes a push of n mutations carrying bytes field bytes from a device's budget, or
// refuses the whole push with ResourceExhausted naming the limit: nothing of it is applied,
// so the phone keeps it in its outbox and sends it again later.
func (g *quotaGuard) admitPush(device string, n, bytes int, now time.Time) error {
	if n > g.q.MutationsPerPush {
		return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf(
			"a push carries at most %d mutations (limit --max-mutations-per-push), not %d: send the rest in another push", g.q.MutationsPerPush, n))
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.devices[device]
	if b == nil {
		if len(g.devices) >= quotaMapMax {
			for k, old := range g.devices {
				if now.Sub(old.seen) > time.Minute {
					delete(g.devices, k)
				}
			}
		}
		b = &deviceBudget{
			mutations: rate.NewLimiter(rate.Limit(float64(g.q.MutationsPerMinute)/60), g.q.MutationsPerMinute),
			bytes:     rate.NewLimiter(rate.Limit(float64(g.q.PushBytesPerMinute)/60), g.q.PushBytesPerMinute),
		}
		g.devices[device] = b
	}
	b.seen = now
	// Check both before taking from either, so a refused push costs its device nothing.
	bytes = min(bytes, g.q.PushBytesPerMinute)
	if r := b.mutations.ReserveN(now, n); !r.OK() || r.DelayFrom(now) > 0 {
		r.CancelAt(now)
		return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf(
			"this device pushed more than %d mutations in a minute (limit --max-mutations-per-minute); send again later", g.q.MutationsPerMinute))
	} else if rb := b.bytes.ReserveN(now, bytes); !rb.OK() || rb.DelayFrom(now) > 0 {
		rb.CancelAt(now)
		r.CancelAt(now)
		return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf(
			"this device pushed more than %d bytes of fields in a minute (limit --max-push-bytes-per-minute); send again later", g.q.PushBytesPerMinute))
	}
	return nil
}

// overQuota returns, for the edits of accepted that would take their household past
// HouseholdBytes, the rejection to answer instead; it counts the edits it lets through
// against their households. measure reads a household's size when the cached one is stale.
func (g *quotaGuard) overQuota(ctx context.Context, accepted []change.Mutation, now time.Time,
	measure func(ctx context.Context, householdID string) (int64, error)) (map[int]change.Result, error) {
	grow := map[string]int64{}
	for _, m := range accepted {
		if b := mutationBytes(m); b > 0 {
			grow[m.HouseholdID] += int64(b)
		}
	}
	if len(grow) == 0 {
		return nil, nil
	}
	current := make(map[string]int64, len(grow))
	for id := range grow {
		g.mu.Lock()
		hs := g.sizes[id]
		fresh := hs != nil && now.Sub(hs.measured) < householdSizeTTL
		if fresh {
			current[id] = hs.bytes
		}
		g.mu.Unlock()
		if fresh {
			continue
		}
		n, err := measure(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("measure household: %w", err)
		}
		current[id] = n
	}
	var out map[int]change.Result
	for i, m := range accepted {
		b := int64(mutationBytes(m))
		if b == 0 {
			continue
		}
		if current[m.HouseholdID]+b > g.q.HouseholdBytes {
			if out == nil {
				out = map[int]change.Result{}
			}
			out[i] = change.Result{MutationID: m.ID, Outcome: change.OutcomeRejected, Reason: change.ReasonInvalid,
				Detail: fmt.Sprintf("the household holds its quota of %d bytes (limit --max-household-bytes): delete entries or ask an administrator", g.q.HouseholdBytes)}
			continue
		}
		current[m.HouseholdID] += b
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.sizes) >= quotaMapMax {
		clear(g.sizes) // sizes are a cache: dropping them costs a re-read each
	}
	for id, n := range current {
		if hs := g.sizes[id]; hs != nil && now.Sub(hs.measured) < householdSizeTTL {
			hs.bytes = n
			continue
		}
		g.sizes[id] = &householdSize{bytes: n, measured: now}
	}
	return out, nil
}
