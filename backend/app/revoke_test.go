package app_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/veilig/veilig/backend/household"
	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/client"
	"github.com/veilig/veilig/sync/client/clientconnect"
	"github.com/veilig/veilig/sync/client/mobile"
)

// phone is one device of a test: its token, its replica and its open stream.
type phone struct {
	id      string
	token   string
	replica *client.Replica
	stream  *openStream
}

// newPhone registers a device of professionalID through the API, syncs a replica of it and
// opens its Subscribe stream.
func (b *bundle) newPhone(t *testing.T, professionalID, deviceID string) *phone {
	t.Helper()
	ctx := context.Background()
	p := &phone{id: deviceID, token: b.sign(t, professionalID, deviceID, time.Hour)}
	req := as(p.token, &veiligv1.RegisterDeviceRequest{Token: "fcm-" + deviceID, Platform: veiligv1.Platform_PLATFORM_ANDROID})
	req.Header().Set(clientconnect.AppVersionHeader, "1.4.2")
	if _, err := b.device.RegisterDevice(ctx, req); err != nil {
		t.Fatal(err)
	}
	r, err := client.Open(ctx, deviceID, &client.MemoryStorage{}, clientconnect.New(b.http, b.baseURL, func() string { return p.token },
		clientconnect.WithAppVersion("1.4.2")), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if len(r.Households()) == 0 {
		t.Fatalf("%s holds no households after its first sync", deviceID)
	}
	p.replica = r
	p.stream = b.mustSubscribe(t, p.token)
	return p
}

// wantAccessEnded fails unless err is PermissionDenied with an AccessEnded detail of reason.
func wantAccessEnded(t *testing.T, err error, reason veiligv1.AccessEndedReason) {
	t.Helper()
	got, ok := clientconnect.AccessEnded(err)
	if !ok || got != reason {
		t.Fatalf("got %v, want permission_denied with AccessEnded %v", err, reason)
	}
}

// streamEnds waits for a stream to end and returns its error.
func streamEnds(t *testing.T, s *openStream, within time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		for s.Receive() {
		}
		done <- s.Err()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Fatalf("the stream did not end within %s", within)
		return nil
	}
}

// streamStaysOpen fails if the stream ends within d.
func streamStaysOpen(t *testing.T, s *openStream, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		for s.Receive() {
		}
		close(done)
	}()
	select {
	case <-done:
		t.Fatalf("the stream ended: %v", s.Err())
	case <-time.After(d):
	}
}

// works fails unless the phone's requests are still served: a read, a sync and its data.
func (p *phone) works(t *testing.T, b *bundle) {
	t.Helper()
	ctx := context.Background()
	if _, err := b.household.ListHouseholds(ctx, as(p.token, &veiligv1.ListHouseholdsRequest{})); err != nil {
		t.Fatalf("%s: %v", p.id, err)
	}
	if _, err := p.replica.Sync(ctx); err != nil {
		t.Fatalf("%s: %v", p.id, err)
	}
	if len(p.replica.Households()) == 0 || p.replica.Erased() != "" {
		t.Fatalf("%s lost its data", p.id)
	}
}

// TestRevokingADeviceEndsItAndOnlyIt is issue 12's acceptance 3, first half, over the wire:
// two phones of one professional; one is revoked. Its next request is refused with
// PermissionDenied and an AccessEnded detail, its open stream ends at once (the poll interval
// is an hour, so only the revocation can end it), and its replica erases everything at its
// next contact; the other phone keeps working, stream included.
func TestRevokingADeviceEndsItAndOnlyIt(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{pollInterval: time.Hour})
	ctx := context.Background()
	lead := b.region.LeadID
	lost, kept := b.newPhone(t, lead, "phone-lost"), b.newPhone(t, lead, "tablet-kept")

	list, err := b.device.ListDevices(ctx, as(kept.token, &veiligv1.ListDevicesRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if ds := list.Msg.GetDevices(); len(ds) != 2 || ds[0].GetId() != "phone-lost" || ds[0].GetAppVersion() != "1.4.2" ||
		!ds[0].GetHasPushToken() || ds[0].GetRevokedAt() != nil || ds[0].GetPlatform() != veiligv1.Platform_PLATFORM_ANDROID {
		t.Fatalf("devices before the revocation: %v", ds)
	}

	if _, err := b.device.RevokeDevice(ctx, as(kept.token, &veiligv1.RevokeDeviceRequest{DeviceId: "phone-lost"})); err != nil {
		t.Fatal(err)
	}

	// Its stream ends at once, with the reason.
	wantAccessEnded(t, streamEnds(t, lost.stream, 5*time.Second), veiligv1.AccessEndedReason_ACCESS_ENDED_REASON_DEVICE_REVOKED)
	// Its next request is refused, whatever the RPC.
	_, err = b.plan.GetPlan(ctx, as(lost.token, &veiligv1.GetPlanRequest{HouseholdId: b.region.FirstHouseholdID}))
	wantAccessEnded(t, err, veiligv1.AccessEndedReason_ACCESS_ENDED_REASON_DEVICE_REVOKED)
	_, err = b.subscribe(t, lost.token)
	wantAccessEnded(t, err, veiligv1.AccessEndedReason_ACCESS_ENDED_REASON_DEVICE_REVOKED)
	// Its replica, with an unsent edit, erases everything at its next contact.
	if _, err := lost.replica.Edit(ctx, b.region.FirstHouseholdID, client.NewID(), "agreement", map[string]string{"what": "onverzonden"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lost.replica.Sync(ctx); !errors.Is(err, client.ErrAccessEnded) {
		t.Fatalf("the revoked phone's sync = %v, want ErrAccessEnded", err)
	}
	if lost.replica.Erased() != client.ErasedAccessEnded || len(lost.replica.Households()) != 0 || lost.replica.Pending() != 0 {
		t.Fatal("the revoked phone's replica kept data")
	}
	// Registering the revoked device again does not bring it back.
	_, err = b.device.RegisterDevice(ctx, as(lost.token, &veiligv1.RegisterDeviceRequest{Token: "fcm-new", Platform: veiligv1.Platform_PLATFORM_ANDROID}))
	wantAccessEnded(t, err, veiligv1.AccessEndedReason_ACCESS_ENDED_REASON_DEVICE_REVOKED)

	// The other phone keeps working, and its stream stays open.
	kept.works(t, b)
	streamStaysOpen(t, kept.stream, 300*time.Millisecond)

	// The list shows the revocation; the revoked phone's push token is gone.
	list, err = b.device.ListDevices(ctx, as(kept.token, &veiligv1.ListDevicesRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if ds := list.Msg.GetDevices(); len(ds) != 2 || ds[0].GetRevokedAt() == nil || ds[1].GetRevokedAt() != nil {
		t.Fatalf("devices after the revocation: %v", ds)
	}
	tokens, err := b.store.DeviceListByProfessional(ctx, lead)
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 1 || tokens[0].Token != "fcm-tablet-kept" {
		t.Fatalf("push tokens after the revocation: %v", tokens)
	}
	// Recorded in the access log, naming the device's professional.
	if !audited(t, b, household.ActionDeviceRevoke, lead) {
		t.Error("the revocation is not in the access log")
	}
}

// TestAnAdminRevokesOnlyTheirOrganizationsDevices: an organization admin lists and revokes
// the phones of their organization's people, not another organization's; a professional may
// not touch a colleague's.
func TestAnAdminRevokesOnlyTheirOrganizationsDevices(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{pollInterval: time.Hour})
	ctx := context.Background()
	// The demo's admin is of the first organization, as is the professional of the second
	// team; the lead is of another organization.
	owner := b.region.OtherTeamProfessionalID
	lost := b.newPhone(t, owner, "phone-lost")
	admin, other := b.sign(t, b.region.AdminID, "", time.Hour), b.sign(t, b.region.LeadID, "", time.Hour)

	_, err := b.device.ListDevices(ctx, as(other, &veiligv1.ListDevicesRequest{ProfessionalId: owner}))
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = b.device.ListDevices(ctx, as(admin, &veiligv1.ListDevicesRequest{ProfessionalId: b.region.LeadID}))
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = b.device.RevokeDevice(ctx, as(other, &veiligv1.RevokeDeviceRequest{DeviceId: "phone-lost"}))
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = b.device.RevokeDevice(ctx, as(admin, &veiligv1.RevokeDeviceRequest{DeviceId: "no-such-phone"}))
	wantCode(t, err, connect.CodePermissionDenied) // existence does not leak

	list, err := b.device.ListDevices(ctx, as(admin, &veiligv1.ListDevicesRequest{ProfessionalId: owner}))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Msg.GetDevices()) != 1 {
		t.Fatalf("the admin sees %v", list.Msg.GetDevices())
	}
	if _, err := b.device.RevokeDevice(ctx, as(admin, &veiligv1.RevokeDeviceRequest{DeviceId: "phone-lost"})); err != nil {
		t.Fatal(err)
	}
	wantAccessEnded(t, streamEnds(t, lost.stream, 5*time.Second), veiligv1.AccessEndedReason_ACCESS_ENDED_REASON_DEVICE_REVOKED)
}

// TestDisablingAProfessionalEndsAllTheirDevices is acceptance 3, second half: an admin
// disables a professional who leaves; every request with their tokens is refused at once
// (also a token naming no device), both phones' streams end, both replicas erase their data,
// and the professional is in no care team any more (the household's version moved, so the
// other members' phones learn of it). Their colleague's phone keeps working.
func TestDisablingAProfessionalEndsAllTheirDevices(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{pollInterval: time.Hour})
	ctx := context.Background()
	// The demo's admin is of the first organization, as is the professional of the second
	// team, who leaves; the lead (another organization) is the colleague who stays.
	leaver := b.region.OtherTeamProfessionalID
	phoneA, phoneB := b.newPhone(t, leaver, "phone-a"), b.newPhone(t, leaver, "phone-b")
	colleague := b.newPhone(t, b.region.LeadID, "phone-colleague")
	admin := b.sign(t, b.region.AdminID, "", time.Hour)
	hid := phoneA.replica.Households()[0] // a household whose care team the leaver is in
	before, err := b.store.HouseholdGet(ctx, hid)
	if err != nil {
		t.Fatal(err)
	}

	_, err = b.directory.DisableProfessional(ctx, as(colleague.token, &veiligv1.DisableProfessionalRequest{ProfessionalId: leaver}))
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = b.directory.DisableProfessional(ctx, as(admin, &veiligv1.DisableProfessionalRequest{ProfessionalId: b.region.AdminID}))
	wantCode(t, err, connect.CodePermissionDenied)
	res, err := b.directory.DisableProfessional(ctx, as(admin, &veiligv1.DisableProfessionalRequest{ProfessionalId: leaver}))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Msg.GetRevokedDeviceIds(); !slices.Equal(got, []string{"phone-a", "phone-b"}) {
		t.Fatalf("revoked %v", got)
	}
	if !slices.Contains(res.Msg.GetHouseholdIds(), hid) {
		t.Fatalf("left the care teams of %v, want %s among them", res.Msg.GetHouseholdIds(), hid)
	}

	const disabled = veiligv1.AccessEndedReason_ACCESS_ENDED_REASON_PROFESSIONAL_DISABLED
	for _, p := range []*phone{phoneA, phoneB} {
		wantAccessEnded(t, streamEnds(t, p.stream, 5*time.Second), disabled)
		_, err := b.plan.GetPlan(ctx, as(p.token, &veiligv1.GetPlanRequest{HouseholdId: hid}))
		wantAccessEnded(t, err, disabled)
		if _, err := p.replica.Sync(ctx); !errors.Is(err, client.ErrAccessEnded) {
			t.Fatalf("%s: sync = %v, want ErrAccessEnded", p.id, err)
		}
		if p.replica.Erased() != client.ErasedAccessEnded || len(p.replica.Households()) != 0 {
			t.Fatalf("%s kept its data", p.id)
		}
	}
	// A fresh token naming no device is refused too.
	_, err = b.household.ListHouseholds(ctx, as(b.sign(t, leaver, "", time.Hour), &veiligv1.ListHouseholdsRequest{}))
	wantAccessEnded(t, err, disabled)

	team, err := b.store.CareTeamMemberList(ctx, hid)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(team, func(m *store.CareTeamMember) bool { return m.ProfessionalID == leaver }) {
		t.Fatal("the disabled professional is still in the care team")
	}
	after, err := b.store.HouseholdGet(ctx, hid)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version <= before.Version {
		t.Fatal("leaving the care team did not move the household's version")
	}
	tokens, err := b.store.DeviceListByProfessional(ctx, leaver)
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 0 {
		t.Fatalf("the disabled professional keeps push tokens %v", tokens)
	}
	if !audited(t, b, household.ActionProfessionalDisable, leaver) {
		t.Error("the disabling is not in the access log")
	}
	events, err := b.store.AuditListByHousehold(ctx, hid)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(events, func(e *store.AuditEvent) bool {
		return e.Action == household.ActionCareTeamWrite && e.SubjectID == leaver && e.ProfessionalID == b.region.AdminID
	}) {
		t.Error("leaving the care team is not in the household's access log")
	}

	colleague.works(t, b)
	streamStaysOpen(t, colleague.stream, 300*time.Millisecond)
}

// audited reports whether the access log holds a record of action about subject (records of
// no household are read through the store's test helper, AuditListByHousehold with "").
func audited(t *testing.T, b *bundle, action, subject string) bool {
	t.Helper()
	events, err := b.store.AuditListByHousehold(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(events, func(e *store.AuditEvent) bool { return e.Action == action && e.SubjectID == subject })
}

// TestARevocationOnAnotherServerEndsTheStreamAtItsNextPoll: a device revoked in the database
// by another replica of the server (here: straight through the store, so this server's
// in-process signal is not sent) ends the device's stream within one poll of the process's
// change hub (AccessEndedList), which wakes the stream to check its caller again.
func TestARevocationOnAnotherServerEndsTheStreamAtItsNextPoll(t *testing.T) {
	t.Parallel()
	b := setup(t) // polls every 20 ms
	ctx := context.Background()
	lost := b.newPhone(t, b.region.LeadID, "phone-lost")
	err := b.store.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		d, err := tx.DeviceRecordGet(ctx, "phone-lost")
		if err != nil {
			return err
		}
		return tx.DeviceRecordRevoke(ctx, d, time.Now().UTC())
	})
	if err != nil {
		t.Fatal(err)
	}
	wantAccessEnded(t, streamEnds(t, lost.stream, 5*time.Second), veiligv1.AccessEndedReason_ACCESS_ENDED_REASON_DEVICE_REVOKED)
}

// TestMinimumAppVersion: with a minimum app version set, a request from an older app, or
// from one that sends no version, is refused with FailedPrecondition naming the minimum,
// streams too; the minimum itself and newer versions are served (compared as semantic
// versions: 1.10.0 is newer than 1.9.0).
func TestMinimumAppVersion(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{minAppVersion: "1.9.0"})
	ctx := context.Background()
	tok := b.token(t, b.region.LeadID)
	call := func(version string) error {
		req := as(tok, &veiligv1.ListHouseholdsRequest{})
		if version != "" {
			req.Header().Set(clientconnect.AppVersionHeader, version)
		}
		_, err := b.household.ListHouseholds(ctx, req)
		return err
	}
	for _, tt := range []struct {
		version string
		ok      bool
	}{{"1.9.0", true}, {"1.10.0", true}, {"v2.0.1", true}, {"1.8.9", false}, {"1.9.0-beta.1", false}, {"", false}, {"nonsense", false}} {
		err := call(tt.version)
		if tt.ok {
			if err != nil {
				t.Errorf("version %q: %v", tt.version, err)
			}
			continue
		}
		wantMessage(t, err, connect.CodeFailedPrecondition, "update the app to version 1.9.0 or later")
	}
	// A stream of an old app is refused the same way.
	stream, err := b.sync.Subscribe(ctx, as(tok, &veiligv1.SubscribeRequest{}))
	if err == nil {
		defer stream.Close()
		if stream.Receive() {
			t.Fatal("an old app's stream was served")
		}
		err = stream.Err()
	}
	wantCode(t, err, connect.CodeFailedPrecondition)
	// The replica's transport sends its version.
	r, err := client.Open(ctx, "phone-1", &client.MemoryStorage{}, clientconnect.New(b.http, b.baseURL, func() string { return tok },
		clientconnect.WithAppVersion("1.9.3")), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestPullCarriesTheLease: every pull answer carries the deployment's offline lease (the
// defaults here), and the replica keeps it.
func TestPullCarriesTheLease(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	res, err := b.sync.Pull(ctx, as(b.token(t, b.region.LeadID), &veiligv1.PullRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if l := res.Msg.GetLease(); l.GetLockAfter().AsDuration() != 72*time.Hour || l.GetEraseAfter().AsDuration() != 14*24*time.Hour {
		t.Fatalf("lease %v, want 72h and 14 days", l)
	}
}

// TestMobileSDKErasesARevokedPhone: the app's replica (the gomobile facade, on its encrypted
// SQLite file) of a revoked phone erases everything at its next contact, removes its file and
// tells the app through Listener.OnErased; its Subscribe stream ends and erases it as well.
func TestMobileSDKErasesARevokedPhone(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{pollInterval: time.Hour})
	ctx := context.Background()
	// One professional per way, as the phone app's tokens name a device of its professional.
	for via, who := range map[string]string{"sync": b.region.LeadID, "stream": b.region.SupervisorID} {
		t.Run("via "+via, func(t *testing.T) {
			a := b.phoneApp(t, who)
			device := "device-" + who[:8]
			a.SetAppVersion("1.4.2")
			if err := a.RegisterPushToken("fcm-"+via, "android"); err != nil {
				t.Fatal(err)
			}
			a.sync(t)
			if s, err := a.HouseholdsJSON(); err != nil || s == "[]" {
				t.Fatalf("households before: %s, %v", s, err)
			}
			if via == "stream" {
				if err := a.Subscribe(); err != nil {
					t.Fatal(err)
				}
				a.events.wait(t, "the stream's first sync")
			}
			self := b.sign(t, who, "", time.Hour) // the professional themself, from another session
			if _, err := b.device.RevokeDevice(ctx, as(self, &veiligv1.RevokeDeviceRequest{DeviceId: device})); err != nil {
				t.Fatal(err)
			}
			if via == "sync" {
				if _, err := a.Sync(10); !errors.Is(err, mobile.ErrErased) {
					t.Fatalf("sync of a revoked phone = %v, want ErrErased", err)
				}
			}
			select {
			case reason := <-a.events.erased:
				if reason != client.ErasedAccessEnded {
					t.Fatalf("erased for %q", reason)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the app was not told of the erasure")
			}
			if _, err := a.HouseholdsJSON(); !errors.Is(err, mobile.ErrErased) {
				t.Fatalf("a read after the erasure = %v, want ErrErased", err)
			}
			if _, err := os.Stat(a.path); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the replica file is still there: %v", err)
			}
		})
	}
}
