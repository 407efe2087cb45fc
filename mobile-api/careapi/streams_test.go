package careapi

import (
	"sync"
	"testing"
)

func TestStreamLimiterCapsAndReleases(t *testing.T) {
	t.Parallel()
	l := newStreamLimiter(3, 2)
	phoneA1, refused := l.acquire("p-a", "phone-1")
	if refused != nil {
		t.Fatalf("first stream refused: %+v", refused)
	}
	phoneA2, _ := l.acquire("p-a", "phone-1")
	if _, refused := l.acquire("p-a", "phone-1"); refused == nil || refused.scope != "device" || refused.limit != 2 {
		t.Fatalf("a third stream of one device = %+v, want the device cap of 2", refused)
	}
	// The same device id under another professional is another device: device ids are token
	// claims, and one professional's tokens must not use up another's slots.
	if release, refused := l.acquire("p-b", "phone-1"); refused != nil {
		t.Fatalf("another professional's device refused: %+v", refused)
	} else {
		release()
	}
	tablet, refused := l.acquire("p-a", "tablet")
	if refused != nil {
		t.Fatalf("a stream of the professional's second device refused: %+v", refused)
	}
	if _, refused := l.acquire("p-a", ""); refused == nil || refused.scope != "professional" || refused.limit != 3 {
		t.Fatalf("a fourth stream of one professional = %+v, want the professional cap of 3", refused)
	}

	// Releasing twice frees one slot, not two.
	phoneA1()
	phoneA1()
	if p, d := l.open("p-a", "phone-1"); p != 2 || d != 1 {
		t.Fatalf("after one release: %d streams of the professional, %d of the device; want 2 and 1", p, d)
	}
	noDevice, refused := l.acquire("p-a", "")
	if refused != nil {
		t.Fatalf("a stream without device after a release refused: %+v", refused)
	}
	if _, refused := l.acquire("p-a", "phone-2"); refused == nil || refused.scope != "professional" {
		t.Fatalf("a stream over the professional cap = %+v, want refused", refused)
	}
	for _, release := range []func(){phoneA2, tablet, noDevice} {
		release()
	}
	if len(l.byProfessional) != 0 || len(l.byDevice) != 0 {
		t.Fatalf("counts left after every stream ended: %v %v", l.byProfessional, l.byDevice)
	}
}

// TestStreamLimiterConcurrent: subscribes at once never overshoot a cap, and every slot comes
// back.
func TestStreamLimiterConcurrent(t *testing.T) {
	t.Parallel()
	l := newStreamLimiter(8, 2)
	var mu sync.Mutex
	admitted := map[string]int{}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			device := []string{"d1", "d2", "d3", "d4", "d5", ""}[i%6]
			release, refused := l.acquire("p", device)
			if refused != nil {
				return
			}
			mu.Lock()
			admitted[device]++
			mu.Unlock()
			_ = release // held until the end: counts only grow while the goroutines run
		}()
	}
	wg.Wait()
	total := 0
	for device, n := range admitted {
		total += n
		if device != "" && n > 2 {
			t.Errorf("device %s admitted %d streams, cap 2", device, n)
		}
	}
	if total != 8 {
		t.Errorf("%d streams admitted, want exactly the professional cap of 8", total)
	}

	// Streams that open and end at once, concurrently, give every slot back.
	l = newStreamLimiter(8, 2)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if release, refused := l.acquire("p", []string{"d1", "d2", ""}[i%3]); refused == nil {
					release()
				}
			}
		}()
	}
	wg.Wait()
	if len(l.byProfessional) != 0 || len(l.byDevice) != 0 {
		t.Fatalf("counts left after every stream ended: %v %v", l.byProfessional, l.byDevice)
	}
}
