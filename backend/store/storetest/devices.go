package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/veilig/veilig/backend/store"
)

// Devices as records and disabling a professional (issue 12), on every engine.

// testDeviceRecords: a device record is registered, refreshed and revoked for good; a device
// id another professional registered stays theirs; revoking deletes the push token.
func testDeviceRecords(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	rec := store.DeviceRecord{ID: "phone-1", ProfessionalID: "p-care", Platform: "android", AppVersion: "1.4.0", PushToken: "tok-1", RegisteredAt: t0}
	must(t, s.DeviceRecordRegister(ctx(), rec))
	later := t0.Add(time.Hour)
	rec.AppVersion, rec.PushToken, rec.RegisteredAt = "1.5.0", "tok-2", later
	must(t, s.DeviceRecordRegister(ctx(), rec))
	got, err := s.DeviceRecordGet(ctx(), "phone-1")
	must(t, err)
	if got.AppVersion != "1.5.0" || got.PushToken != "tok-2" || !got.RegisteredAt.Equal(t0) || !got.LastSeenAt.Equal(later) || got.RevokedAt != nil {
		t.Fatalf("after re-registering: %+v", *got)
	}
	tokens, err := s.DeviceListByProfessional(ctx(), "p-care")
	must(t, err)
	equalIDs(t, "the replaced push token is gone", ids(tokens, func(d *store.Device) string { return d.Token }), []string{"tok-2"})

	// Another professional naming the id registers their push token only.
	must(t, s.DeviceRecordRegister(ctx(), store.DeviceRecord{ID: "phone-1", ProfessionalID: "p-colleague", PushToken: "tok-c", RegisteredAt: later}))
	got, err = s.DeviceRecordGet(ctx(), "phone-1")
	must(t, err)
	equal(t, "the device stays with its professional", got.ProfessionalID, "p-care")

	// Seen at most once a minute.
	must(t, s.DeviceSeen(ctx(), got, later.Add(30*time.Second)))
	got, err = s.DeviceRecordGet(ctx(), "phone-1")
	must(t, err)
	equal(t, "seen within a minute is not written", got.LastSeenAt.Equal(later), true)
	must(t, s.DeviceSeen(ctx(), got, later.Add(2*time.Minute)))
	got, err = s.DeviceRecordGet(ctx(), "phone-1")
	must(t, err)
	equal(t, "seen after a minute is written", got.LastSeenAt.Equal(later.Add(2*time.Minute)), true)

	revoked := later.Add(time.Hour)
	must(t, s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error { return tx.DeviceRecordRevoke(ctx, got, revoked) }))
	must(t, s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) error {
		return tx.DeviceRecordRevoke(ctx, got, revoked.Add(time.Hour))
	}))
	got, err = s.DeviceRecordGet(ctx(), "phone-1")
	must(t, err)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(revoked) {
		t.Fatalf("revoked at %v, want the first revocation %v", got.RevokedAt, revoked)
	}
	tokens, err = s.DeviceListByProfessional(ctx(), "p-care")
	must(t, err)
	equal(t, "a revoked device's push token is deleted", len(tokens), 0)
	if err := s.DeviceRecordRegister(ctx(), rec); !errors.Is(err, store.ErrDeviceRevoked) {
		t.Fatalf("registering a revoked device: %v, want ErrDeviceRevoked", err)
	}
}

// testProfessionalDisable: disabling revokes every device, deletes every push token and
// removes the professional from every care team, re-routing what they led.
func testProfessionalDisable(t *testing.T, s *store.DB) {
	seedDirectory(t, s)
	createHousehold(t, s, "h1", "team-north")
	setMember(t, s, "p-care", true, t0)
	setMember(t, s, "p-colleague", false, t0)
	ledSchedule(t, s, "s-lead", "p-care")
	for _, id := range []string{"phone-a", "phone-b"} {
		must(t, s.DeviceRecordRegister(ctx(), store.DeviceRecord{ID: id, ProfessionalID: "p-care", PushToken: "tok-" + id, RegisteredAt: t0}))
	}
	v := version(t, s, "h1")
	at := t0.Add(time.Hour)
	var devices, households []string
	must(t, s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) (err error) {
		devices, households, err = tx.ProfessionalDisable(ctx, "p-care", at)
		return err
	}))
	equalIDs(t, "revoked", devices, []string{"phone-a", "phone-b"})
	equalIDs(t, "left", households, []string{"h1"})
	p, err := s.ProfessionalGet(ctx(), "p-care")
	must(t, err)
	if p.DisabledAt == nil || !p.DisabledAt.Equal(at) {
		t.Fatalf("disabled at %v, want %v", p.DisabledAt, at)
	}
	recs, err := s.DeviceRecordListByProfessional(ctx(), "p-care")
	must(t, err)
	for _, r := range recs {
		if r.RevokedAt == nil {
			t.Errorf("device %s not revoked", r.ID)
		}
	}
	tokens, err := s.DeviceListByProfessional(ctx(), "p-care")
	must(t, err)
	equal(t, "push tokens left", len(tokens), 0)
	team, err := s.CareTeamMemberList(ctx(), "h1")
	must(t, err)
	equalIDs(t, "care team", ids(team, func(m *store.CareTeamMember) string { return m.ProfessionalID }), []string{"p-colleague"})
	equal(t, "the household's version moved", version(t, s, "h1") > v, true)
	lead, _ := scheduleLead(t, s, "s-lead")
	equal(t, "the leaver's schedule is re-routed (no lead: the supervisors)", lead, "")

	// Disabling again changes nothing.
	must(t, s.InTx(ctx(), func(ctx context.Context, tx *store.Tx) (err error) {
		devices, households, err = tx.ProfessionalDisable(ctx, "p-care", at.Add(time.Hour))
		return err
	}))
	equal(t, "revoked again", len(devices)+len(households), 0)
	p, err = s.ProfessionalGet(ctx(), "p-care")
	must(t, err)
	equal(t, "the first disabling time stays", p.DisabledAt.Equal(at), true)
}
