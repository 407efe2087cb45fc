package app_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
)

// violationFields returns the field paths of the protovalidate violations in a Connect error.
func violationFields(t *testing.T, ce *connect.Error) []string {
	t.Helper()
	var fields []string
	for _, d := range ce.Details() {
		msg, err := d.Value()
		if err != nil {
			t.Fatalf("detail: %v", err)
		}
		if vs, ok := msg.(*validate.Violations); ok {
			for _, v := range vs.GetViolations() {
				fields = append(fields, protovalidate.FieldPathString(v.GetField()))
			}
		}
	}
	sort.Strings(fields)
	return fields
}

func TestInvalidInputIsInvalidArgumentWithPerFieldDetails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	lead := b.token(t, b.region.LeadID)
	hid := b.region.FirstHouseholdID

	tests := []struct {
		name       string
		call       func() error
		wantFields []string
	}{
		{
			name: "a household id that is not a UUID",
			call: func() error {
				_, err := b.plan.GetPlan(ctx, as(lead, &veiligv1.GetPlanRequest{HouseholdId: "not-a-uuid"}))
				return err
			},
			wantFields: []string{"household_id"},
		},
		{
			name: "an agreement without who, with an unknown status, and a bad entry id",
			call: func() error {
				_, err := b.plan.UpsertPlanEntry(ctx, as(lead, &veiligv1.UpsertPlanEntryRequest{HouseholdId: hid, Entry: &veiligv1.PlanEntry{
					Id: "123", Content: &veiligv1.PlanEntry_Agreement{Agreement: &veiligv1.Agreement{What: "x", Status: 99}},
				}}))
				return err
			},
			wantFields: []string{"entry.agreement.status", "entry.agreement.who", "entry.id"},
		},
		{
			name: "a plan entry without content",
			call: func() error {
				_, err := b.plan.UpsertPlanEntry(ctx, as(lead, &veiligv1.UpsertPlanEntryRequest{HouseholdId: hid, Entry: &veiligv1.PlanEntry{Id: uuid.NewString()}}))
				return err
			},
			wantFields: []string{"entry.content"},
		},
		{
			name: "a review date that is not a date",
			call: func() error {
				_, err := b.plan.UpsertPlanEntry(ctx, as(lead, &veiligv1.UpsertPlanEntryRequest{HouseholdId: hid, Entry: &veiligv1.PlanEntry{
					Id: uuid.NewString(), Content: &veiligv1.PlanEntry_Review{Review: &veiligv1.Review{ReviewDate: "2027-13-45"}},
				}}))
				return err
			},
			wantFields: []string{"entry.review.review_date"},
		},
		{
			name: "a check-in without channel and outcome",
			call: func() error {
				_, err := b.checkIn.RecordCheckIn(ctx, as(lead, &veiligv1.RecordCheckInRequest{HouseholdId: hid, CheckInId: uuid.NewString()}))
				return err
			},
			wantFields: []string{"channel", "outcome"},
		},
		{
			name: "a page size over the limit",
			call: func() error {
				_, err := b.household.ListHouseholds(ctx, as(lead, &veiligv1.ListHouseholdsRequest{PageSize: 100000}))
				return err
			},
			wantFields: []string{"page_size"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := wantCode(t, tt.call(), connect.CodeInvalidArgument)
			got := violationFields(t, ce)
			if strings.Join(got, ",") != strings.Join(tt.wantFields, ",") {
				t.Fatalf("violations on %v, want %v", got, tt.wantFields)
			}
		})
	}
	t.Run("a page token this service never issued", func(t *testing.T) {
		_, err := b.household.ListHouseholds(ctx, as(lead, &veiligv1.ListHouseholdsRequest{PageToken: "'; DROP TABLE households; --"}))
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}

// signForeign makes a well-formed EdDSA JWT signed by a key nobody trusts.
func signForeign(t *testing.T, claims map[string]any) string {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	head := enc(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "foreign"})
	body := enc(claims)
	sig := ed25519.Sign(key, []byte(head+"."+body))
	return head + "." + body + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestBadTokensAreUnauthenticated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	valid := b.token(t, b.region.LeadID)
	expired, err := b.dev.Sign(b.region.LeadID, "d1", -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(valid, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), b.region.LeadID, b.region.SupervisorID, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
	exp := time.Now().Add(time.Hour).Unix()

	tests := []struct {
		name   string
		header string
	}{
		{"no Authorization header", ""},
		{"a Basic instead of a Bearer token", "Basic dXNlcjpwYXNz"},
		{"a token that is not a JWT", "Bearer not-a-jwt"},
		{"an expired token", "Bearer " + expired},
		{"a token whose payload was changed", "Bearer " + tampered},
		{"a token from an issuer that is not trusted", "Bearer " + signForeign(t, map[string]any{
			"iss": "https://idp.example.org", "sub": b.region.LeadID, "aud": "veilig", "exp": exp,
		})},
		{"a token claiming the dev issuer but signed by another key", "Bearer " + signForeign(t, map[string]any{
			"iss": "veilig-dev", "sub": b.region.LeadID, "aud": "veilig", "exp": exp,
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := connect.NewRequest(&veiligv1.GetMeRequest{})
			if tt.header != "" {
				req.Header().Set("Authorization", tt.header)
			}
			_, err := b.directory.GetMe(ctx, req)
			ce := wantCode(t, err, connect.CodeUnauthenticated)
			if strings.Contains(ce.Message(), parts[2]) || (len(tt.header) > 20 && strings.Contains(ce.Message(), tt.header[7:])) {
				t.Fatal("the error echoes the token")
			}
		})
	}
	t.Run("a valid token for somebody Veilig does not know is refused", func(t *testing.T) {
		_, err := b.directory.GetMe(ctx, as(b.token(t, uuid.NewString()), &veiligv1.GetMeRequest{}))
		wantCode(t, err, connect.CodePermissionDenied)
	})
	t.Run("an unauthenticated caller learns nothing about its input's validity", func(t *testing.T) {
		_, err := b.plan.GetPlan(ctx, connect.NewRequest(&veiligv1.GetPlanRequest{HouseholdId: "not-a-uuid"}))
		wantCode(t, err, connect.CodeUnauthenticated)
	})
}

func TestOversizedRequestsAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead := b.token(t, b.region.LeadID)
	// The test server allows 64 KiB; a 1 MiB note is refused before it is decoded.
	req := &veiligv1.RecordCheckInRequest{
		HouseholdId: b.region.FirstHouseholdID, CheckInId: uuid.NewString(),
		Channel: veiligv1.Channel_CHANNEL_HOME_VISIT, Outcome: veiligv1.Outcome_OUTCOME_SAFE,
		Note: strings.Repeat("a", 1<<20),
	}
	_, err := b.checkIn.RecordCheckIn(context.Background(), as(lead, req))
	wantCode(t, err, connect.CodeResourceExhausted)

	t.Run("also over plain HTTP with the Connect JSON protocol", func(t *testing.T) {
		body := `{"householdId":"` + b.region.FirstHouseholdID + `","note":"` + strings.Repeat("b", 1<<20) + `"}`
		hr, err := http.NewRequest(http.MethodPost, b.baseURL+"/veilig.v1.CheckInService/RecordCheckIn", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", "Bearer "+lead)
		res, err := b.http.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode == http.StatusOK || !strings.Contains(string(out), "resource_exhausted") {
			t.Fatalf("status %d, body %.200s", res.StatusCode, out)
		}
	})
}

// TestEveryValidationRuleCompiles builds the validator for every message of veilig.v1 up
// front, so that a rule with a typo fails here rather than on the first request that uses it.
func TestEveryValidationRuleCompiles(t *testing.T) {
	var descs []protoreflect.MessageDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("veilig.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Messages().Len() {
			descs = append(descs, fd.Messages().Get(i))
		}
		return true
	})
	_ = veiligv1.File_veilig_v1_plan_proto // make sure the package is linked and registered
	if len(descs) < 20 {
		t.Fatalf("found only %d messages", len(descs))
	}
	if _, err := protovalidate.New(protovalidate.WithMessageDescriptors(descs...), protovalidate.WithDisableLazy()); err != nil {
		t.Fatal(err)
	}
}
