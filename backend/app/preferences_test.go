package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/veilig/veilig/backend/household"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// TestPreferencesOverTheWire (issue 14): a supervisor reads their preferences (all the
// deployment's defaults at first), sets their own, sees them take effect with the defaults
// named, resets one by leaving it empty; their organization's admin may set them too, a
// colleague may not; bad values are refused with InvalidArgument, by protovalidate at the edge
// or by the domain (a zone the server does not know), without echoing the value; every call
// is recorded in the access log with the person as subject.
func TestPreferencesOverTheWire(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	supID := b.region.SupervisorID
	sup, admin, other := b.token(t, supID), b.token(t, b.region.AdminID), b.token(t, b.region.OtherTeamProfessionalID)
	all := []veiligv1.PreferenceField{veiligv1.PreferenceField_PREFERENCE_FIELD_LANGUAGE, veiligv1.PreferenceField_PREFERENCE_FIELD_DIGEST_TIMES,
		veiligv1.PreferenceField_PREFERENCE_FIELD_QUIET_HOURS, veiligv1.PreferenceField_PREFERENCE_FIELD_TIME_ZONE}

	got, err := b.directory.GetPreferences(ctx, as(sup, &veiligv1.GetPreferencesRequest{ProfessionalId: supID}))
	if err != nil {
		t.Fatal(err)
	}
	e := got.Msg.GetEffective()
	if e.GetLanguage() != "nl" || !slices.Equal(e.GetDigestTimes(), []string{"08:00", "16:00"}) || e.GetQuietStart() != "22:00" ||
		e.GetQuietEnd() != "07:00" || e.GetTimeZone() != "Europe/Amsterdam" || !slices.Equal(got.Msg.GetDefaults(), all) || got.Msg.GetUpdatedAt() != nil {
		t.Fatalf("preferences never set = %v, want the deployment's defaults, all named", got.Msg)
	}

	set, err := b.directory.SetPreferences(ctx, as(sup, &veiligv1.SetPreferencesRequest{ProfessionalId: supID, Preferences: &veiligv1.Preferences{
		Language: "en-gb", DigestTimes: []string{"16:00", "07:30"}, QuietStart: "21:00", QuietEnd: "06:00", TimeZone: "Europe/London"}}))
	if err != nil {
		t.Fatal(err)
	}
	e = set.Msg.GetEffective()
	if e.GetLanguage() != "en-GB" || !slices.Equal(e.GetDigestTimes(), []string{"07:30", "16:00"}) || e.GetQuietStart() != "21:00" ||
		e.GetQuietEnd() != "06:00" || e.GetTimeZone() != "Europe/London" || len(set.Msg.GetDefaults()) != 0 || set.Msg.GetUpdatedAt() == nil {
		t.Fatalf("after setting all = %v, want them canonical and sorted, none a default", set.Msg)
	}
	row, err := b.store.PreferencesGet(ctx, supID)
	if err != nil || row.DigestTimes != "07:30,16:00" || row.Language != "en-GB" {
		t.Fatalf("stored %+v, %v", row, err)
	}

	// The admin of the supervisor's organization leaves all but the digest times to the
	// deployment.
	set, err = b.directory.SetPreferences(ctx, as(admin, &veiligv1.SetPreferencesRequest{ProfessionalId: supID,
		Preferences: &veiligv1.Preferences{DigestTimes: []string{"09:15"}}}))
	if err != nil {
		t.Fatal(err)
	}
	want := []veiligv1.PreferenceField{veiligv1.PreferenceField_PREFERENCE_FIELD_LANGUAGE, veiligv1.PreferenceField_PREFERENCE_FIELD_QUIET_HOURS,
		veiligv1.PreferenceField_PREFERENCE_FIELD_TIME_ZONE}
	if e := set.Msg.GetEffective(); !slices.Equal(e.GetDigestTimes(), []string{"09:15"}) || e.GetTimeZone() != "Europe/Amsterdam" ||
		!slices.Equal(set.Msg.GetDefaults(), want) {
		t.Fatalf("after the admin's reset = %v", set.Msg)
	}

	// A colleague may neither read nor set them.
	_, err = b.directory.GetPreferences(ctx, as(other, &veiligv1.GetPreferencesRequest{ProfessionalId: supID}))
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = b.directory.SetPreferences(ctx, as(other, &veiligv1.SetPreferencesRequest{ProfessionalId: supID, Preferences: &veiligv1.Preferences{}}))
	wantCode(t, err, connect.CodePermissionDenied)

	for _, bad := range []*veiligv1.Preferences{
		{TimeZone: "Local"},
		{TimeZone: "Mars/Olympus_Mons"},
		{Language: "not a tag"},
		{Language: "qq-1234567890"},
		{DigestTimes: []string{"24:00"}},
		{DigestTimes: []string{"08:00", "08:00"}},
		{QuietStart: "22:00"},
		{QuietStart: "22:00", QuietEnd: "7:00"},
	} {
		_, err := b.directory.SetPreferences(ctx, as(sup, &veiligv1.SetPreferencesRequest{ProfessionalId: supID, Preferences: bad}))
		ce := wantCode(t, err, connect.CodeInvalidArgument)
		if strings.Contains(ce.Message(), "Olympus") {
			t.Errorf("the refusal of %v repeats the value: %q", bad, ce.Message())
		}
	}
	if row, err := b.store.PreferencesGet(ctx, supID); err != nil || row.DigestTimes != "09:15" {
		t.Fatalf("a refused request changed the preferences: %+v, %v", row, err)
	}

	// Every call is in the access log, about the supervisor, with its outcome.
	var records []string
	for _, e := range allRecords(t, b.store) {
		if e.SubjectID == supID && strings.HasPrefix(e.Action, "preferences.") {
			records = append(records, e.Action+":"+string(e.Outcome))
		}
	}
	wantRecords := []string{household.ActionPreferencesRead + ":allowed", household.ActionPreferencesWrite + ":allowed",
		household.ActionPreferencesWrite + ":allowed", household.ActionPreferencesRead + ":denied", household.ActionPreferencesWrite + ":denied",
		household.ActionPreferencesWrite + ":denied"} // the zone the server does not know is the domain's refusal
	slices.Sort(records)
	slices.Sort(wantRecords)
	if !slices.Equal(records, wantRecords) {
		t.Fatalf("access records about the supervisor's preferences = %v, want %v", records, wantRecords)
	}
}
