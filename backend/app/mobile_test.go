package app_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veilig/veilig/sync/client/mobile"
)

// tokenSource is the app's TokenSource: a fresh dev token per call, or an error while fail
// is set (a signed-out identity provider).
type tokenSource struct {
	b    *bundle
	t    *testing.T
	id   string
	mu   sync.Mutex
	fail bool
}

func (s *tokenSource) Token() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return "", errors.New("identity provider unreachable")
	}
	return s.b.token(s.t, s.id), nil
}

// listener is the app's Listener: it counts syncs and keeps the last error and erasures.
type listener struct {
	synced chan *mobile.SyncResult
	erased chan string
	mu     sync.Mutex
	errs   []string
}

func newListener() *listener {
	return &listener{synced: make(chan *mobile.SyncResult, 100), erased: make(chan string, 10)}
}

func (l *listener) OnErased(reason string) { l.erased <- reason }

func (l *listener) OnSync(r *mobile.SyncResult) { l.synced <- r }
func (l *listener) OnSyncError(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, msg)
}

func (l *listener) wait(t *testing.T, what string) *mobile.SyncResult {
	t.Helper()
	select {
	case r := <-l.synced:
		return r
	case <-time.After(10 * time.Second):
		l.mu.Lock()
		defer l.mu.Unlock()
		t.Fatalf("%s: no sync within 10 s (errors: %v)", what, l.errs)
	}
	return nil
}

// phoneApp is one phone running the SDK, as an Android or iOS app would: a key from the platform's
// key store, a replica file in the app's folder, a token source and a listener.
type phoneApp struct {
	*mobile.Replica
	path   string
	key    []byte
	tokens *tokenSource
	events *listener
}

func (b *bundle) phoneApp(t *testing.T, professionalID string) *phoneApp {
	t.Helper()
	key := make([]byte, mobile.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "replica.db")
	r, err := mobile.Open(path, key, "device-"+professionalID[:8])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	a := &phoneApp{Replica: r, path: path, key: key, tokens: &tokenSource{b: b, t: t, id: professionalID}, events: newListener()}
	r.SetServer(b.baseURL, a.tokens)
	r.SetListener(a.events)
	return a
}

func (a *phoneApp) sync(t *testing.T) *mobile.SyncResult {
	t.Helper()
	res, err := a.Sync(10)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return res
}

// entry is an entry of EntriesJSON.
type entryJSON struct {
	ID      string
	Section string
	Fields  map[string]string
}

func (a *phoneApp) entries(t *testing.T, hid string) map[string]entryJSON {
	t.Helper()
	s, err := a.EntriesJSON(hid)
	if err != nil {
		t.Fatal(err)
	}
	var list []entryJSON
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]entryJSON{}
	for _, e := range list {
		out[e.ID] = e
	}
	return out
}

type conflictJSON struct {
	ID, RecordID, Field, LosingValue string
}

func (a *phoneApp) conflicts(t *testing.T, hid string) []conflictJSON {
	t.Helper()
	s, err := a.ConflictsJSON(hid)
	if err != nil {
		t.Fatal(err)
	}
	var out []conflictJSON
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMobileSDKAsAnAppUsesIt drives package mobile through its bound API only, against the
// real server: a first sync, offline edits, a concurrent edit shown as a conflict and
// resolved, a "please sync" push, the Subscribe stream, schedules and a check-in, the push
// token, and lock, unlock and erase.
func TestMobileSDKAsAnAppUsesIt(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{now: time.Now}) // the phones' clock: see options.now
	hid := b.region.FirstHouseholdID
	lead := b.phoneApp(t, b.region.LeadID)
	super := b.phoneApp(t, b.region.SupervisorID)

	// First start: the phone pulls its households.
	if res := lead.sync(t); res.Pulled == 0 {
		t.Fatalf("the first sync pulled nothing: %+v", res)
	}
	super.sync(t)
	households, err := lead.HouseholdsJSON()
	if err != nil || !strings.Contains(households, hid) {
		t.Fatalf("households %s, %v: want %s among them", households, err, hid)
	}

	// Offline (the token cannot be had, the server unreachable): edits show at once and wait.
	lead.tokens.mu.Lock()
	lead.tokens.fail = true
	lead.tokens.mu.Unlock()
	rid := mobile.NewRecordID()
	if _, err := lead.EditEntry(hid, rid, "crisis_contact", `{"name": "Huisarts", "phone": "0201111111"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := lead.Sync(5); err == nil {
		t.Fatal("a sync without a token succeeded")
	}
	if e := lead.entries(t, hid)[rid]; e.Section != "crisis_contact" || e.Fields["phone"] != "0201111111" || lead.Pending() != 1 {
		t.Fatalf("an offline edit does not show at once: %+v, pending %d", e, lead.Pending())
	}
	if _, err := lead.EditEntry(hid, rid, "no_such_section", `{"x": "y"}`); err == nil {
		t.Fatal("an unknown section was accepted")
	}
	lead.tokens.mu.Lock()
	lead.tokens.fail = false
	lead.tokens.mu.Unlock()
	if res := lead.sync(t); res.Pushed != 1 || res.Pending != 0 {
		t.Fatalf("back online: %+v", res)
	}
	super.sync(t)

	// Both change the same phone number without seeing the other's: the server keeps one and
	// makes the other a conflict, which both phones show until one resolves it.
	if _, err := lead.SetField(hid, rid, "", "phone", "0202222222"); err != nil {
		t.Fatal(err)
	}
	if _, err := super.SetField(hid, rid, "", "phone", "0203333333"); err != nil {
		t.Fatal(err)
	}
	lead.sync(t)
	super.sync(t)
	lead.sync(t)
	for _, a := range []*phoneApp{lead, super} {
		cs := a.conflicts(t, hid)
		if len(cs) != 1 || cs[0].RecordID != rid || cs[0].Field != "phone" {
			t.Fatalf("conflicts %+v: want the one on %s.phone", cs, rid)
		}
	}
	winner := lead.entries(t, hid)[rid].Fields["phone"]
	if got := super.entries(t, hid)[rid].Fields["phone"]; got != winner || (winner != "0202222222" && winner != "0203333333") {
		t.Fatalf("the phones disagree on the winner: %q and %q", winner, got)
	}
	if loser := lead.conflicts(t, hid)[0].LosingValue; loser == winner || (loser != "0202222222" && loser != "0203333333") {
		t.Fatalf("the conflict keeps %q, winner %q", loser, winner)
	}
	if _, err := super.ResolveConflict(hid, super.conflicts(t, hid)[0].ID); err != nil {
		t.Fatal(err)
	}
	super.sync(t)

	// A "please sync" push: the lead's phone syncs, and its listener hears of it.
	if err := lead.HandlePush("sync", "", 10); err != nil {
		t.Fatal(err)
	}
	lead.events.wait(t, "HandlePush")
	if cs := lead.conflicts(t, hid); len(cs) != 0 {
		t.Fatalf("after the push the lead still shows conflicts %+v", cs)
	}
	if err := lead.HandlePush("something-else", "", 10); err == nil {
		t.Fatal("an unknown push kind was accepted")
	}

	// In the foreground the stream pokes the phone: a colleague's edit arrives by itself.
	if err := lead.Subscribe(); err != nil {
		t.Fatal(err)
	}
	lead.events.wait(t, "Subscribe's first sync")
	if _, err := super.SetField(hid, rid, "", "name", "Huisartsenpost"); err != nil {
		t.Fatal(err)
	}
	super.sync(t)
	deadline := time.Now().Add(10 * time.Second)
	for lead.entries(t, hid)[rid].Fields["name"] != "Huisartsenpost" {
		if time.Now().After(deadline) {
			t.Fatal("a colleague's edit did not reach the subscribed phone")
		}
		lead.events.wait(t, "a poke")
	}
	lead.Unsubscribe()

	// The household's schedule, computed on the phone: the demo plans daily at 09:00 local.
	s, err := lead.SchedulesJSON(hid, 3)
	if err != nil {
		t.Fatal(err)
	}
	var schedules []struct {
		ID       string
		Upcoming []struct{ Due, OverdueAt string }
	}
	if err := json.Unmarshal([]byte(s), &schedules); err != nil || len(schedules) == 0 || len(schedules[0].Upcoming) != 3 {
		t.Fatalf("schedules %s, %v: want one with 3 upcoming check-ins", s, err)
	}
	first, err := time.Parse(time.RFC3339, schedules[0].Upcoming[0].Due)
	if err != nil {
		t.Fatal(err)
	}
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	if local := first.In(ams); local.Hour() != 9 || local.Minute() != 0 {
		t.Fatalf("next check-in at %v, want 09:00 Amsterdam time", local)
	}

	// A check-in, recorded offline and sent: the phone holds it once.
	cid, err := lead.CheckIn(hid, schedules[0].ID, "home_visit", "safe", "")
	if err != nil {
		t.Fatal(err)
	}
	lead.sync(t)
	lead.sync(t)
	ids, err := lead.CheckInIDsJSON(hid)
	if err != nil || strings.Count(ids, cid) != 1 {
		t.Fatalf("check-ins %s, %v: want %s once", ids, err, cid)
	}
	if _, err := lead.CheckIn(hid, "", "carrier_pigeon", "safe", ""); err == nil {
		t.Fatal("an unknown channel was accepted")
	}

	if err := lead.RegisterPushToken("fcm-token-of-the-lead", "android"); err != nil {
		t.Fatal(err)
	}

	// Locked, nothing of a household is readable; the file does not show it either.
	if err := lead.Lock(); err != nil {
		t.Fatal(err)
	}
	if _, err := lead.EntriesJSON(hid); !errors.Is(err, mobile.ErrLocked) {
		t.Fatalf("a locked replica answered EntriesJSON: %v", err)
	}
	raw, err := os.ReadFile(lead.path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Huisartsenpost")) || bytes.Contains(raw, []byte(hid)) {
		t.Fatal("the replica file holds plaintext")
	}
	wrong := bytes.Clone(lead.key)
	wrong[0] ^= 1
	if err := lead.Unlock(wrong); err == nil || !lead.IsLocked() {
		t.Fatal("a wrong key unlocked the replica")
	}
	if err := lead.Unlock(lead.key); err != nil {
		t.Fatal(err)
	}
	if lead.entries(t, hid)[rid].Fields["name"] != "Huisartsenpost" {
		t.Fatal("the unlocked replica lost its data")
	}

	// Erased, the file is gone and the replica refuses every call.
	if err := lead.Erase(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lead.path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the replica file is still there: %v", err)
	}
	if _, err := lead.Sync(5); !errors.Is(err, mobile.ErrErased) {
		t.Fatalf("an erased replica synced: %v", err)
	}
	if err := lead.Unlock(lead.key); !errors.Is(err, mobile.ErrErased) {
		t.Fatalf("an erased replica unlocked: %v", err)
	}
}

// lockingListener locks its replica from inside the first OnSync, as an app does that locks
// when a sync tells it the device must be re-authorized.
type lockingListener struct {
	r      *mobile.Replica
	once   sync.Once
	locked chan error
}

func (l *lockingListener) OnSync(*mobile.SyncResult) {
	l.once.Do(func() { l.locked <- l.r.Lock() })
}
func (l *lockingListener) OnSyncError(string) {}
func (l *lockingListener) OnErased(string)    {}

// TestMobileSDKLocksFromACallbackWhileSubscribed pins that Lock may be called from a Listener
// callback, which runs on the Subscribe stream's own goroutine, without a deadlock, and that
// it ends the stream.
func TestMobileSDKLocksFromACallbackWhileSubscribed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.phoneApp(t, b.region.LeadID)
	l := &lockingListener{r: a.Replica, locked: make(chan error, 1)}
	a.SetListener(l)
	if err := a.Subscribe(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-l.locked:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Lock from a callback did not return")
	}
	if !a.IsLocked() {
		t.Fatal("not locked")
	}
	a.Unsubscribe() // the stream is already gone: returns at once
	if err := a.Unlock(a.key); err != nil {
		t.Fatal(err)
	}
	if _, err := a.HouseholdsJSON(); err != nil {
		t.Fatal(err)
	}
}
