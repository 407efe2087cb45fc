package app_test

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// TestRegisterDeviceRefusesAnotherProfessionalsToken: a push token registered to one
// professional is not taken over by another (whose phone would then get the first one's
// urgent pushes): the registration is refused with FailedPrecondition, without saying whose it
// is, logged at warn with both ids, and the token stays with its holder. Re-registering one's
// own token stays idempotent, and unregistering someone else's token leaves it alone.
func TestRegisterDeviceRefusesAnotherProfessionalsToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	leadID, superID := b.region.LeadID, b.region.SupervisorID
	lead, super := b.token(t, leadID), b.token(t, superID)
	const token = "fcm-token-of-the-leads-phone"
	register := func(tok string, platform veiligv1.Platform) error {
		_, err := b.device.RegisterDevice(ctx, as(tok, &veiligv1.RegisterDeviceRequest{Token: token, Platform: platform}))
		return err
	}
	devices := func(professionalID string) []*store.Device {
		t.Helper()
		ds, err := b.store.DeviceListByProfessional(ctx, professionalID)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}

	if err := register(lead, veiligv1.Platform_PLATFORM_ANDROID); err != nil {
		t.Fatal(err)
	}
	if err := register(lead, veiligv1.Platform_PLATFORM_IOS); err != nil {
		t.Fatalf("re-registering one's own token: %v", err)
	}
	if ds := devices(leadID); len(ds) != 1 || ds[0].Platform != "ios" {
		t.Fatalf("the lead's devices after re-registering = %v, want the token once, on ios", ds)
	}

	err := register(super, veiligv1.Platform_PLATFORM_ANDROID)
	ce := wantCode(t, err, connect.CodeFailedPrecondition)
	if msg := ce.Message(); strings.Contains(msg, leadID) || strings.Contains(msg, token) {
		t.Errorf("the refusal tells who holds the token, or repeats it: %q", msg)
	}
	if ds := devices(leadID); len(ds) != 1 || ds[0].Platform != "ios" {
		t.Fatalf("the lead's devices after a refused takeover = %v, want the token unchanged", ds)
	}
	if ds := devices(superID); len(ds) != 0 {
		t.Fatalf("the supervisor holds %v after a refused takeover", ds)
	}
	logs := b.logs.String()
	for _, want := range []string{`"level":"warn"`, "device registration refused", `"professional_id":"` + superID + `"`,
		`"holder_professional_id":"` + leadID + `"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, token) {
		t.Error("a push token was logged")
	}

	// Unregistering someone else's token is answered like an unknown one and changes nothing.
	if _, err := b.device.UnregisterDevice(ctx, as(super, &veiligv1.UnregisterDeviceRequest{Token: token})); err != nil {
		t.Fatal(err)
	}
	if ds := devices(leadID); len(ds) != 1 {
		t.Fatalf("another professional unregistered the lead's token: %v", ds)
	}
	// Once its holder signs out, the token is free for whoever registers it next.
	if _, err := b.device.UnregisterDevice(ctx, as(lead, &veiligv1.UnregisterDeviceRequest{Token: token})); err != nil {
		t.Fatal(err)
	}
	if err := register(super, veiligv1.Platform_PLATFORM_ANDROID); err != nil {
		t.Fatalf("registering a token its holder unregistered: %v", err)
	}
	if ds := devices(superID); len(ds) != 1 {
		t.Fatalf("the supervisor's devices = %v, want the token", ds)
	}
}
