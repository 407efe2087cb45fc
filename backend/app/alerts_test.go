package app_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/push/fcm"
	"github.com/veilig/veilig/backend/push/fcm/fcmtest"
	"github.com/veilig/veilig/backend/reminders"
	"github.com/veilig/veilig/backend/store"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/sync/client"
)

// TestSchedulesAlertsAndDevices drives the reminder path through the API: a lead registers a
// phone and sets a schedule; the scheduler, a day later, finds the check missed and pushes the
// lead through the real FCM SDK (to a fake FCM); the lead opens the alert the push refers to
// and acknowledges it. Another team sees none of it.
func TestSchedulesAlertsAndDevices(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	lead := b.token(t, b.region.LeadID)
	other := b.token(t, b.region.OtherTeamProfessionalID)
	hid := b.region.FirstHouseholdID
	scheduleID := uuid.NewString()
	req := &veiligv1.UpsertScheduleRequest{HouseholdId: hid, ScheduleId: scheduleID, Rule: "FREQ=DAILY", LocalTime: "18:00",
		GraceMinutes: 60, Channel: veiligv1.Channel_CHANNEL_PHONE_CALL, LeadProfessionalId: b.region.LeadID, StartDate: "2026-11-01",
		WindowEnd: "18:45"}

	t.Run("bad schedules are refused with the reason", func(t *testing.T) {
		cases := []struct {
			name   string
			change func(*veiligv1.UpsertScheduleRequest)
			code   connect.Code
		}{
			{"unsupported rule", func(r *veiligv1.UpsertScheduleRequest) { r.Rule = "FREQ=MONTHLY" }, connect.CodeInvalidArgument},
			{"unknown zone", func(r *veiligv1.UpsertScheduleRequest) { r.TimeZone = "Europe/Atlantis" }, connect.CodeInvalidArgument},
			{"bad time", func(r *veiligv1.UpsertScheduleRequest) { r.LocalTime = "24:00" }, connect.CodeInvalidArgument},
			{"no such date", func(r *veiligv1.UpsertScheduleRequest) { r.StartDate = "2027-02-29" }, connect.CodeInvalidArgument},
			{"end before start", func(r *veiligv1.UpsertScheduleRequest) { r.EndDate = "2026-10-01" }, connect.CodeInvalidArgument},
			{"window ending before it starts", func(r *veiligv1.UpsertScheduleRequest) { r.WindowEnd = "17:00" }, connect.CodeInvalidArgument},
			{"window end not a time", func(r *veiligv1.UpsertScheduleRequest) { r.WindowEnd = "7pm" }, connect.CodeInvalidArgument},
			{"grace reaching the next check", func(r *veiligv1.UpsertScheduleRequest) { r.GraceMinutes = 24 * 60 }, connect.CodeInvalidArgument},
			{"lead not on the care team", func(r *veiligv1.UpsertScheduleRequest) { r.LeadProfessionalId = b.region.OtherTeamProfessionalID }, connect.CodeInvalidArgument},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := proto.CloneOf(req)
				c.change(r)
				_, err := b.checkIn.UpsertSchedule(ctx, as(lead, r))
				ce := wantCode(t, err, c.code)
				if leak := containsAny(ce.Message(), demo.PersonalData()); leak != "" {
					t.Errorf("error message names %q", leak)
				}
			})
		}
		_, err := b.checkIn.UpsertSchedule(ctx, as(other, req))
		wantCode(t, err, connect.CodeNotFound)
	})

	fake := fcmtest.New()
	t.Cleanup(fake.Close)
	sender, err := fcm.New(ctx, fcm.Config{ProjectID: "veilig-test", Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.device.RegisterDevice(ctx, as(lead, &veiligv1.RegisterDeviceRequest{Token: "lead-phone", Platform: veiligv1.Platform_PLATFORM_ANDROID})); err != nil {
		t.Fatal(err)
	}
	res, err := b.checkIn.UpsertSchedule(ctx, as(lead, req))
	if err != nil {
		t.Fatal(err)
	}
	// testNow is 10:30 in Amsterdam: the first check is at 18:00 today, 17:00 UTC.
	if got := res.Msg.GetSchedule().GetNextDueAt().AsTime(); !got.Equal(time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC)) {
		t.Fatalf("next due = %v", got)
	}

	// Phones learn the schedule from a pull, and keep it for offline use.
	phone := b.phone(t, b.region.LeadID, &client.MemoryStorage{}, func() time.Time { return testNow })
	syncOK(t, phone)
	var onPhone *client.Schedule
	for _, sc := range phone.Schedules(hid) {
		if sc.ID == scheduleID {
			onPhone = &sc
		}
	}
	if onPhone == nil || onPhone.Rule != "FREQ=DAILY" || onPhone.Channel != "phone_call" || onPhone.WindowEnd != "18:45" || onPhone.NextDueUnix != time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC).Unix() {
		t.Fatalf("schedule on the phone = %+v", onPhone)
	}

	later := testNow.Add(10 * time.Hour) // 20:30 local: past 18:00 + 1h grace
	sched, err := reminders.New(b.store, sender, func() time.Time { return later }, zerolog.Nop(), reminders.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sched.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	// The lead's phone also gets a silent "please sync" poke per household it may see that was
	// written (the demo region's); the reminder is the one alert.
	var pushes []fcmtest.Received
	pokes := 0
	for _, m := range fake.ByToken("lead-phone") {
		switch m.Data["kind"] {
		case "alert":
			pushes = append(pushes, m)
		case "sync":
			pokes++
		}
	}
	if len(pushes) != 1 || pokes == 0 {
		t.Fatalf("%d alert pushes and %d sync pokes to the lead, want 1 alert and some pokes", len(pushes), pokes)
	}
	ref := pushes[0].Data["ref"]

	got, err := b.alert.GetAlert(ctx, as(lead, &veiligv1.GetAlertRequest{AlertId: ref}))
	if err != nil {
		t.Fatal(err)
	}
	a := got.Msg.GetAlert()
	if a.GetHouseholdId() != hid || a.GetScheduleId() != scheduleID || a.GetKind() != veiligv1.AlertKind_ALERT_KIND_OVERDUE ||
		a.GetStep() != veiligv1.EscalationStep_ESCALATION_STEP_LEAD || a.GetAcknowledgedAt() != nil {
		t.Fatalf("alert = %v", a)
	}
	_, err = b.alert.GetAlert(ctx, as(other, &veiligv1.GetAlertRequest{AlertId: ref}))
	wantCode(t, err, connect.CodeNotFound)
	_, err = b.alert.GetAlert(ctx, as(lead, &veiligv1.GetAlertRequest{AlertId: "al_0000"}))
	wantCode(t, err, connect.CodeNotFound)
	_, err = b.alert.GetAlert(ctx, as(lead, &veiligv1.GetAlertRequest{AlertId: "x' OR 1=1 --"}))
	wantCode(t, err, connect.CodeInvalidArgument)
	_, err = b.alert.AcknowledgeAlert(ctx, as(other, &veiligv1.AcknowledgeAlertRequest{AlertId: ref}))
	wantCode(t, err, connect.CodeNotFound)

	ack, err := b.alert.AcknowledgeAlert(ctx, as(lead, &veiligv1.AcknowledgeAlertRequest{AlertId: ref}))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Msg.GetAlert().GetAcknowledgedBy() != b.region.LeadID || ack.Msg.GetAlert().GetNextStepAt() != nil {
		t.Fatalf("acknowledged alert = %v", ack.Msg.GetAlert())
	}
	list, err := b.alert.ListAlerts(ctx, as(lead, &veiligv1.ListAlertsRequest{HouseholdId: hid}))
	if err != nil || len(list.Msg.GetAlerts()) != 1 {
		t.Fatalf("ListAlerts = %v, %v", list, err)
	}
	_, err = b.alert.ListAlerts(ctx, as(other, &veiligv1.ListAlertsRequest{HouseholdId: hid}))
	wantCode(t, err, connect.CodeNotFound)

	// Pausing clears the next due instant; resuming starts from the present.
	paused := proto.CloneOf(req)
	paused.Paused = true
	res, err = b.checkIn.UpsertSchedule(ctx, as(lead, paused))
	if err != nil || res.Msg.GetSchedule().GetNextDueAt() != nil || !res.Msg.GetSchedule().GetPaused() {
		t.Fatalf("paused schedule = %v, %v", res, err)
	}

	// Signing out removes the token; someone else cannot remove it.
	if _, err := b.device.UnregisterDevice(ctx, as(other, &veiligv1.UnregisterDeviceRequest{Token: "lead-phone"})); err != nil {
		t.Fatal(err)
	}
	if ds, _ := b.store.DeviceListByProfessional(ctx, b.region.LeadID); len(ds) != 1 {
		t.Fatalf("another professional removed the lead's token: %v", ds)
	}
	if _, err := b.device.UnregisterDevice(ctx, as(lead, &veiligv1.UnregisterDeviceRequest{Token: "lead-phone"})); err != nil {
		t.Fatal(err)
	}
	if ds, _ := b.store.DeviceListByProfessional(ctx, b.region.LeadID); len(ds) != 0 {
		t.Fatalf("devices after sign-out: %v", ds)
	}
	_, err = b.device.RegisterDevice(ctx, as(lead, &veiligv1.RegisterDeviceRequest{Token: "t", Platform: veiligv1.Platform_PLATFORM_UNSPECIFIED}))
	wantCode(t, err, connect.CodeInvalidArgument)
}

// TestAScheduleStoredWithATooLongGraceKeepsRunning: a schedule stored before the grace rule
// (its grace reaches the next check) is not refused by the writes that keep its grace: a
// household closed and reopened plans it again, from the reopening.
func TestAScheduleStoredWithATooLongGraceKeepsRunning(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	hid := b.region.FirstHouseholdID
	adm := b.token(t, b.region.RegionalAdminID)
	schedules, err := b.store.ScheduleListByHousehold(ctx, hid)
	if err != nil || len(schedules) == 0 {
		t.Fatalf("the demo household's schedules: %v, %v", schedules, err)
	}
	legacy := *schedules[0]
	legacy.Rule, legacy.GraceMinutes = "FREQ=DAILY;INTERVAL=1", 26*60
	if _, err := b.store.ScheduleUpsert(ctx, store.ScheduleUpsertParams{Schedule: legacy, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.regionAPI.CloseHousehold(ctx, as(adm, &veiligv1.CloseHouseholdRequest{HouseholdId: hid})); err != nil {
		t.Fatal(err)
	}
	if _, err := b.regionAPI.ReopenHousehold(ctx, as(adm, &veiligv1.ReopenHouseholdRequest{HouseholdId: hid})); err != nil {
		t.Fatalf("reopening a household with a schedule stored before the grace rule: %v", err)
	}
	after, err := b.store.ScheduleListByHousehold(ctx, hid)
	if err != nil {
		t.Fatal(err)
	}
	if after[0].NextDueAt == nil || after[0].GraceMinutes != 26*60 {
		t.Fatalf("the reopened schedule: next due %v, grace %d", after[0].NextDueAt, after[0].GraceMinutes)
	}
}
