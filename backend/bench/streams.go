package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"connectrpc.com/connect"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// streamsPerProfessional is how many of the scenario's streams one professional holds (a
// phone and a tablet, reconnects): Streams/10 professionals, so the server's per-stream work
// covers a thousand professionals' households at the default size.
const streamsPerProfessional = 10

// pokeWave is how many pokes are measured at once, each for another professional's household:
// at the default poll interval a poke takes up to 2 s, and waves keep the scenario short.
const pokeWave = 10

// pokeTimeout bounds the wait for one poke: far above the 2 s poll interval, because 10,000
// polling streams can saturate a 2-core machine, and a slow poke is a figure, not a failure.
const pokeTimeout = time.Minute

// runStreams opens Streams SyncService/Subscribe streams (h2c, sharing connections as phones
// behind one carrier do not, but as 20,000 file descriptors would otherwise require), and
// with all of them open measures: the process's memory delta (heap and stacks after a GC;
// in process, so it holds the bench's client side of the streams too), its idle CPU over
// IdleWindow (user+system time from getrusage), and Pokes push-to-poke latencies (a push of
// one edit, from its start until a stream of that household's professional names the
// household).
func (r *runner) runStreams(ctx context.Context) error {
	professionals := max(1, r.cfg.Streams/streamsPerProfessional)
	if err := r.t.fix.ensure(ctx, professionals); err != nil {
		return err
	}
	// Connections of earlier scenarios close on the server a moment after their clients
	// close them; measured before that, their buffers would count against the streams.
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	base := inProcessMemory()
	set, err := r.openStreams(ctx, professionals)
	if err != nil {
		return err
	}
	defer set.close()
	cse := fmt.Sprintf("%d streams", r.cfg.Streams)
	r.progress("streams: %d open", r.cfg.Streams)
	if r.t.external {
		r.na(ScenarioStreams, cse, "memory delta", "MB", "server not in process")
		r.na(ScenarioStreams, cse, "idle CPU", "cores", "server not in process")
	} else {
		r.record(ScenarioStreams, cse, "memory delta", "MB", float64(inProcessMemory()-base)/(1<<20))
		cores, err := idleCPU(ctx, r.cfg.IdleWindow)
		if err != nil {
			return err
		}
		r.record(ScenarioStreams, cse, "idle CPU", "cores", cores)
	}
	lat, lost, lastLost, err := r.pokes(ctx, set, professionals)
	if err != nil {
		return err
	}
	if lost > 0 {
		r.progress("streams: %d of %d pokes lost, the last with: %v", lost, r.cfg.Pokes, lastLost)
	}
	r.record(ScenarioStreams, cse, "push-to-poke p50", "ms", ms(percentile(lat, 50)))
	r.record(ScenarioStreams, cse, "push-to-poke p99", "ms", ms(percentile(lat, 99)))
	r.record(ScenarioStreams, cse, "pokes lost (push failed or no poke)", "count", float64(lost))
	return set.failed()
}

// settle is how long the streams scenario waits for earlier connections to close before it
// takes its memory baseline.
const settle = time.Second

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// inProcessMemory is the heap in use plus goroutine stacks, after a collection.
func inProcessMemory() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}

// idleCPU returns the cores this process used over window: (user + system time) / window.
func idleCPU(ctx context.Context, window time.Duration) (float64, error) {
	before, err := cpuTime()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := sleep(ctx, window); err != nil {
		return 0, err
	}
	after, err := cpuTime()
	if err != nil {
		return 0, err
	}
	return float64(after-before) / float64(time.Since(start)), nil
}

func cpuTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// streamSet is the open streams: the goroutines receiving on them, the waiters for pokes by
// household, and how many streams ended before close.
type streamSet struct {
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	transport *http.Transport
	waiters   sync.Map // household id → chan time.Time
	ended     atomic.Int64
	lastErr   atomic.Value
	closing   atomic.Bool
}

// close ends every stream and waits for their goroutines.
func (s *streamSet) close() {
	s.closing.Store(true)
	s.cancel()
	s.wg.Wait()
	s.transport.CloseIdleConnections()
}

// failed reports streams that ended before close.
func (s *streamSet) failed() error {
	if n := s.ended.Load(); n > 0 {
		return fmt.Errorf("%d streams ended early, last with: %v", n, s.lastErr.Load())
	}
	return nil
}

// openStreams opens Config.Streams streams, stream j held by professional j%professionals,
// at most 64 being opened at once, and returns when every one has its confirmation.
func (r *runner) openStreams(ctx context.Context, professionals int) (*streamSet, error) {
	tr := &http.Transport{IdleConnTimeout: 5 * time.Minute}
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetUnencryptedHTTP2(true)
	client := veiligv1connect.NewSyncServiceClient(&http.Client{Transport: tr}, r.t.baseURL)
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &streamSet{cancel: cancel, transport: tr}
	opening := make(chan struct{}, 64)
	ready := make(chan error, r.cfg.Streams)
	for j := range r.cfg.Streams {
		tok, err := r.t.token(j%professionals, fmt.Sprintf("stream-%d-%d", r.round, j))
		if err != nil {
			s.close()
			return nil, err
		}
		opening <- struct{}{}
		s.wg.Add(1)
		go s.hold(streamCtx, client, tok, opening, ready)
	}
	for range r.cfg.Streams {
		select {
		case err := <-ready:
			if err != nil {
				s.close()
				return nil, err
			}
		case <-ctx.Done():
			s.close()
			return nil, ctx.Err()
		}
	}
	return s, nil
}

// hold opens one stream, reports on ready once it is confirmed (or failed), then delivers
// pokes to the waiters until the stream ends.
func (s *streamSet) hold(ctx context.Context, client veiligv1connect.SyncServiceClient, tok string, opening chan struct{}, ready chan<- error) {
	defer s.wg.Done()
	stream, err := client.Subscribe(ctx, authorized(tok, &veiligv1.SubscribeRequest{}))
	if err == nil && !stream.Receive() {
		err = stream.Err()
		if err == nil {
			err = errors.New("the stream ended before its confirmation")
		}
	}
	<-opening
	if err != nil {
		ready <- fmt.Errorf("subscribe: %w", err)
		return
	}
	ready <- nil
	defer stream.Close()
	for stream.Receive() {
		now := time.Now()
		for _, h := range stream.Msg().GetHouseholdIds() {
			if ch, ok := s.waiters.Load(h); ok {
				select {
				case ch.(chan time.Time) <- now:
				default:
				}
			}
		}
	}
	if !s.closing.Load() {
		s.ended.Add(1)
		s.lastErr.Store(fmt.Sprint(connect.CodeOf(stream.Err())))
	}
}

// pokes measures Config.Pokes push-to-poke latencies in waves of pokeWave, each poke for the
// household of another professional. A poke whose push fails or that never arrives is
// counted, not fatal: under 10,000 polling streams a small machine can be too busy to answer
// a push in time (the server's write timeout cuts it), and that is a finding. It fails only
// when no poke arrived at all.
func (r *runner) pokes(ctx context.Context, set *streamSet, professionals int) (lat []time.Duration, lost int, lastLost, err error) {
	var mu sync.Mutex
	for done := 0; done < r.cfg.Pokes; {
		wave := min(pokeWave, r.cfg.Pokes-done, professionals)
		var wg sync.WaitGroup
		for k := range wave {
			i := (done + k) % professionals
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := r.poke(ctx, set, i, done+k)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					lost, lastLost = lost+1, err
					return
				}
				lat = append(lat, d)
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, lost, lastLost, err
		}
		done += wave
	}
	if len(lat) == 0 {
		return nil, lost, lastLost, fmt.Errorf("no poke arrived of %d: %w", lost, lastLost)
	}
	return lat, lost, lastLost, nil
}

// poke pushes one edit into professional i's household and waits for a stream to name it.
func (r *runner) poke(ctx context.Context, set *streamSet, i, n int) (time.Duration, error) {
	d, err := r.t.newDevice(i, fmt.Sprintf("poker-%d-%d", r.round, n))
	if err != nil {
		return 0, err
	}
	defer d.close()
	ch := make(chan time.Time, 1)
	set.waiters.Store(d.household, ch)
	defer set.waiters.Delete(d.household)
	start := time.Now()
	if err := d.push(ctx, d.editBatch(1)); err != nil {
		return 0, err
	}
	select {
	case at := <-ch:
		return at.Sub(start), nil
	case <-time.After(pokeTimeout):
		return 0, fmt.Errorf("no stream was poked within %v of a push", pokeTimeout)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
