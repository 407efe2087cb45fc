package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// The server side of RegionService is written beside this CLI; these tests check the CLI's
// own behaviour (flags, the token, batching and line numbers, the two passes of
// --all-or-nothing, exit status) against a fake that records what it is sent. The
// end-to-end onboarding test runs the real server.

const (
	adminToken = "admin-token"
	orgID      = "0f8e3c3a-8d7b-4a44-9a0e-1a2b3c4d5e6f"
	teamID     = "1f8e3c3a-8d7b-4a44-9a0e-1a2b3c4d5e6f"
	profID     = "2f8e3c3a-8d7b-4a44-9a0e-1a2b3c4d5e6f"
	prof2ID    = "3f8e3c3a-8d7b-4a44-9a0e-1a2b3c4d5e6f"
	hhID       = "4f8e3c3a-8d7b-4a44-9a0e-1a2b3c4d5e6f"
)

// fakeRegion records every request and answers as the contract says; an import row whose
// code starts with BAD fails.
type fakeRegion struct {
	veiligv1connect.UnimplementedRegionServiceHandler
	veiligv1connect.UnimplementedDirectoryServiceHandler

	mu      sync.Mutex
	calls   []proto.Message
	imports []*veiligv1.ImportCaseloadRequest
	created map[string]bool // ids and import codes that exist
	fail    error           // when set, every call answers it
}

func (f *fakeRegion) record(h http.Header, msg proto.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.Get("Authorization") != "Bearer "+adminToken {
		return connect.NewError(connect.CodeUnauthenticated, fmt.Errorf("no valid token"))
	}
	f.calls = append(f.calls, msg)
	if f.created == nil {
		f.created = map[string]bool{}
	}
	return f.fail
}

// create reports whether id is new, and remembers it.
func (f *fakeRegion) create(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	had := f.created[id]
	f.created[id] = true
	return !had
}

func (f *fakeRegion) CreateOrganization(_ context.Context, req *connect.Request[veiligv1.CreateOrganizationRequest]) (*connect.Response[veiligv1.CreateOrganizationResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.CreateOrganizationResponse{
		Organization: &veiligv1.Organization{Id: req.Msg.GetOrganizationId(), Name: req.Msg.GetName()},
		Created:      f.create(req.Msg.GetOrganizationId()),
	}), nil
}

func (f *fakeRegion) RenameOrganization(_ context.Context, req *connect.Request[veiligv1.RenameOrganizationRequest]) (*connect.Response[veiligv1.RenameOrganizationResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.RenameOrganizationResponse{}), nil
}

func (f *fakeRegion) BindIssuer(_ context.Context, req *connect.Request[veiligv1.BindIssuerRequest]) (*connect.Response[veiligv1.BindIssuerResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.BindIssuerResponse{Changed: f.create(req.Msg.GetIssuer())}), nil
}

func (f *fakeRegion) DeactivateOrganization(_ context.Context, req *connect.Request[veiligv1.DeactivateOrganizationRequest]) (*connect.Response[veiligv1.DeactivateOrganizationResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.DeactivateOrganizationResponse{
		DisabledProfessionalIds: []string{profID},
		DeactivatedAt:           timestamppb.New(mustTime("2026-12-02T05:00:00Z")),
	}), nil
}

func (f *fakeRegion) SetOrganizationLease(_ context.Context, req *connect.Request[veiligv1.SetOrganizationLeaseRequest]) (*connect.Response[veiligv1.SetOrganizationLeaseResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	if req.Msg.GetClear() {
		return connect.NewResponse(&veiligv1.SetOrganizationLeaseResponse{DeploymentDefault: true,
			Lease: &veiligv1.Lease{LockAfter: durationpb.New(72 * time.Hour), EraseAfter: durationpb.New(336 * time.Hour)}}), nil
	}
	l := req.Msg.GetLease()
	return connect.NewResponse(&veiligv1.SetOrganizationLeaseResponse{Lease: &veiligv1.Lease{LockAfter: l.GetLockAfter(), EraseAfter: l.GetEraseAfter()}}), nil
}

func (f *fakeRegion) CreateTeam(_ context.Context, req *connect.Request[veiligv1.CreateTeamRequest]) (*connect.Response[veiligv1.CreateTeamResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.CreateTeamResponse{Created: f.create(req.Msg.GetTeamId())}), nil
}

func (f *fakeRegion) RenameTeam(_ context.Context, req *connect.Request[veiligv1.RenameTeamRequest]) (*connect.Response[veiligv1.RenameTeamResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.RenameTeamResponse{}), nil
}

func (f *fakeRegion) AddTeamMember(_ context.Context, req *connect.Request[veiligv1.AddTeamMemberRequest]) (*connect.Response[veiligv1.AddTeamMemberResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.AddTeamMemberResponse{ProfessionalIds: []string{prof2ID, req.Msg.GetProfessionalId()}}), nil
}

func (f *fakeRegion) RemoveTeamMember(_ context.Context, req *connect.Request[veiligv1.RemoveTeamMemberRequest]) (*connect.Response[veiligv1.RemoveTeamMemberResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.RemoveTeamMemberResponse{ProfessionalIds: []string{prof2ID}}), nil
}

func (f *fakeRegion) CreateHousehold(_ context.Context, req *connect.Request[veiligv1.CreateHouseholdRequest]) (*connect.Response[veiligv1.CreateHouseholdResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.CreateHouseholdResponse{
		Household: &veiligv1.Household{Id: req.Msg.GetHouseholdId(), Code: req.Msg.GetCode(), DisplayName: req.Msg.GetDisplayName()},
		Created:   f.create(req.Msg.GetHouseholdId()),
	}), nil
}

func (f *fakeRegion) TransferHousehold(_ context.Context, req *connect.Request[veiligv1.TransferHouseholdRequest]) (*connect.Response[veiligv1.TransferHouseholdResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.TransferHouseholdResponse{}), nil
}

func (f *fakeRegion) CloseHousehold(_ context.Context, req *connect.Request[veiligv1.CloseHouseholdRequest]) (*connect.Response[veiligv1.CloseHouseholdResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.CloseHouseholdResponse{ClosedAt: timestamppb.New(mustTime("2026-12-02T05:00:00Z"))}), nil
}

func (f *fakeRegion) ReopenHousehold(_ context.Context, req *connect.Request[veiligv1.ReopenHouseholdRequest]) (*connect.Response[veiligv1.ReopenHouseholdResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.ReopenHouseholdResponse{}), nil
}

func (f *fakeRegion) UpsertProfessional(_ context.Context, req *connect.Request[veiligv1.UpsertProfessionalRequest]) (*connect.Response[veiligv1.UpsertProfessionalResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	return connect.NewResponse(&veiligv1.UpsertProfessionalResponse{Professional: req.Msg.GetProfessional()}), nil
}

// ImportCaseload reads the batch as the server would: line numbers are the batch's own,
// its header line 1.
func (f *fakeRegion) ImportCaseload(_ context.Context, req *connect.Request[veiligv1.ImportCaseloadRequest]) (*connect.Response[veiligv1.ImportCaseloadResponse], error) {
	if err := f.record(req.Header(), req.Msg); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.imports = append(f.imports, req.Msg)
	f.mu.Unlock()
	r := csv.NewReader(bytes.NewReader(req.Msg.GetCsv()))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil || header[0] != "code" {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("the header must start with code, got %q", header))
	}
	res := &veiligv1.ImportCaseloadResponse{}
	var codes []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, connect.NewError(connect.CodeInvalidArgument, err)
		}
		line, _ := r.FieldPos(0)
		row := &veiligv1.ImportRow{Line: int32(line), Code: rec[0]}
		f.mu.Lock()
		exists := f.created[rec[0]]
		f.mu.Unlock()
		switch {
		case strings.HasPrefix(rec[0], "BAD"):
			row.Action, row.Message = veiligv1.ImportAction_IMPORT_ACTION_FAILED, "team: no such team"
			res.Failed++
		case exists:
			row.Action = veiligv1.ImportAction_IMPORT_ACTION_UNCHANGED
			res.Unchanged++
		default:
			row.Action = veiligv1.ImportAction_IMPORT_ACTION_CREATE
			res.Created++
			codes = append(codes, rec[0])
		}
		res.Rows = append(res.Rows, row)
	}
	if !req.Msg.GetDryRun() && !(req.Msg.GetAllOrNothing() && res.Failed > 0) {
		for _, c := range codes {
			f.create(c)
		}
		res.Applied = len(codes) > 0
	}
	return connect.NewResponse(res), nil
}

// applied lists the import codes written, in order.
func (f *fakeRegion) applied() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for c := range f.created {
		if strings.HasPrefix(c, "HH") {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// startFake serves f on a loopback HTTP server, as `veilig serve` would serve the services.
func startFake(t *testing.T, f *fakeRegion) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(veiligv1connect.NewRegionServiceHandler(f))
	mux.Handle(veiligv1connect.NewDirectoryServiceHandler(f))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// cleanAdminEnv unsets the settings a developer's shell may hold, so that the tests see
// only the flags they pass.
func cleanAdminEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"VEILIG_SERVER", "VEILIG_TOKEN", "VEILIG_TOKEN_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// veiligRun runs the command line as main does and returns its outputs.
func veiligRun(args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestAdminFlagErrors(t *testing.T) {
	cleanAdminEnv(t)
	f := &fakeRegion{}
	url := startFake(t, f)
	conn := []string{"--server", url, "--token", adminToken}
	csvPath := filepath.Join(t.TempDir(), "caseload.csv")
	if err := os.WriteFile(csvPath, []byte("code,team\nHH-1,T\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"admin", "org", "frobnicate"}, `admin: unknown command "org frobnicate"`},
		{"unknown flag", append([]string{"admin", "org", "create", "--nmae", "X"}, conn...), "unknown flag --nmae"},
		{"missing name", append([]string{"admin", "org", "create"}, conn...), "admin org create: --name is required"},
		{"bad id", append([]string{"admin", "org", "create", "--id", "nope", "--name", "X"}, conn...), `admin org create: --id: "nope" is not a UUID`},
		{"unquoted name", append(conn, "--name", "Jeugdzorg", "Noord"), `unexpected argument "Noord"`},
		{"bind needs audience", append([]string{"admin", "org", "bind-issuer", "--id", orgID, "--issuer", "https://idp", "--jwks-url", "https://idp/keys"}, conn...), "--audience is required"},
		{"team add needs professional", append([]string{"admin", "team", "add", "--team", teamID}, conn...), "admin team add: --professional is required"},
		{"team remove bad professional", append([]string{"admin", "team", "remove", "--team", teamID, "--professional", "p1"}, conn...), `--professional: "p1" is not a UUID`},
		{"bad role", append([]string{"admin", "professional", "upsert", "--org", orgID, "--name", "N", "--email", "a@b", "--role", "boss"}, conn...), `--role: want professional, supervisor, admin or privacy_officer, got "boss"`},
		{"issuer without subject", append([]string{"admin", "professional", "upsert", "--org", orgID, "--name", "N", "--email", "a@b", "--issuer", "https://idp"}, conn...), "--issuer and --subject: give both or neither"},
		{"professional without id or email", append([]string{"admin", "professional", "upsert", "--org", orgID, "--name", "N"}, conn...), "--id or --email is required"},
		{"household without lead", append([]string{"admin", "household", "create", "--code", "HH-1", "--team", teamID, "--name", "N"}, conn...), "admin household create: --lead is required"},
		{"household bad member", append([]string{"admin", "household", "create", "--code", "HH-1", "--team", teamID, "--name", "N", "--lead", profID, "--member", prof2ID, "--member", "x"}, conn...), `--member: "x" is not a UUID`},
		{"set-lease needs a lease or clear", append([]string{"admin", "org", "set-lease", "--id", orgID}, conn...), "admin org set-lease: give --lock-after and --erase-after, or --clear"},
		{"set-lease without an erase period", append([]string{"admin", "org", "set-lease", "--id", orgID, "--lock-after", "72h"}, conn...), "the lease must lock after a positive period and erase after a longer one"},
		{"set-lease erase before lock", append([]string{"admin", "org", "set-lease", "--id", orgID, "--lock-after", "72h", "--erase-after", "24h"}, conn...), "erase after a longer one"},
		{"set-lease too long", append([]string{"admin", "org", "set-lease", "--id", orgID, "--lock-after", "72h", "--erase-after", "9000h"}, conn...), "the lease may lock after at most"},
		{"set-lease clear and a lease", append([]string{"admin", "org", "set-lease", "--id", orgID, "--clear", "--lock-after", "72h"}, conn...), "--clear and --lock-after, --erase-after: give one or the other"},
		{"set-lease needs an id", append([]string{"admin", "org", "set-lease", "--clear"}, conn...), "admin org set-lease: --id is required"},
		{"transfer needs team", append([]string{"admin", "household", "transfer", "--id", hhID}, conn...), "--team is required"},
		{"no token", []string{"admin", "household", "close", "--server", url, "--id", hhID}, "admin household close: no token: pass --token or --token-file, or set VEILIG_TOKEN"},
		{"token and token file", []string{"admin", "household", "close", "--server", url, "--token", "a", "--token-file", "b", "--id", hhID}, "--token and --token-file: give one of them"},
		{"missing token file", []string{"admin", "household", "close", "--server", url, "--token-file", filepath.Join(t.TempDir(), "none"), "--id", hhID}, "--token-file: open"},
		{"bad server", []string{"admin", "household", "reopen", "--server", "ftp://x", "--token", adminToken, "--id", hhID}, `--server="ftp://x": want an http:// or https:// URL`},
		{"import no file", append([]string{"import"}, conn...), "import: want one FILE.csv, got 0 arguments"},
		{"import two files", append([]string{"import", csvPath, csvPath}, conn...), "want one FILE.csv, got 2 arguments"},
		{"import bad batch", append([]string{"import", "--batch", "0", csvPath}, conn...), "import: --batch=0: want at least 1"},
		{"import unknown flag after file", append([]string{"admin", "import", csvPath, "--dryrun"}, conn...), "unknown flag --dryrun"},
		{"import no token", []string{"import", "--server", url, csvPath}, "import: no token"},
	}
	// "unquoted name" is an org create too.
	tests[4].args = append([]string{"admin", "org", "create"}, tests[4].args...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := veiligRun(tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("veilig %s: error %v, want one containing %q", strings.Join(tt.args, " "), err, tt.want)
			}
		})
	}
	if len(f.calls) != 0 {
		t.Errorf("a refused command line reached the server: %v", f.calls)
	}
}

func TestAdminHelpPrintsFlags(t *testing.T) {
	cleanAdminEnv(t)
	t.Setenv("VEILIG_TOKEN", "secret-token-value")
	for _, args := range [][]string{{"admin", "org", "bind-issuer", "-h"}, {"import", "-h"}} {
		stderr, _, err := veiligRun(args...) // help is asked for: it goes to stdout
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("veilig %v: %v, want flag.ErrHelp (exit 0)", args, err)
		}
		if !strings.Contains(stderr, "-server") || !strings.Contains(stderr, "-token-file") {
			t.Errorf("veilig %v: help lacks the connection flags:\n%s", args, stderr)
		}
		if strings.Contains(stderr, "secret-token-value") {
			t.Errorf("veilig %v: help prints the token", args)
		}
	}
	stderr, _, _ := veiligRun("admin", "org", "bind-issuer", "-h")
	for _, f := range []string{"-id", "-issuer", "-jwks-url", "-audience"} {
		if !strings.Contains(stderr, f) {
			t.Errorf("bind-issuer -h lacks %s:\n%s", f, stderr)
		}
	}
}

func TestAdminCommands(t *testing.T) {
	cleanAdminEnv(t)
	f := &fakeRegion{}
	url := startFake(t, f)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(adminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VEILIG_SERVER", url)
	defaultOrg := derivedID("organization", "Jeugdzorg Noord")
	defaultTeam := derivedID("team", "Team Noord")
	defaultProf := derivedID("professional", orgID, "anna@example.org")
	defaultHH := derivedID("household", "HH-7K3Q9")
	tests := []struct {
		name       string
		args       []string
		wantOut    string
		wantStderr string
		wantReq    proto.Message
	}{
		{"org create derives the id", []string{"admin", "org", "create", "--name", "Jeugdzorg Noord"},
			defaultOrg + "\n", "created", &veiligv1.CreateOrganizationRequest{OrganizationId: defaultOrg, Name: "Jeugdzorg Noord"}},
		{"org create again is idempotent", []string{"admin", "org", "create", "--name", "Jeugdzorg Noord"},
			defaultOrg + "\n", "exists already", &veiligv1.CreateOrganizationRequest{OrganizationId: defaultOrg, Name: "Jeugdzorg Noord"}},
		{"org create with an id", []string{"admin", "org", "create", "--id", orgID, "--name", "Zuid"},
			orgID + "\n", "created", &veiligv1.CreateOrganizationRequest{OrganizationId: orgID, Name: "Zuid"}},
		{"org rename", []string{"admin", "org", "rename", "--id", orgID, "--name", "Zuid-Oost"},
			"organization " + orgID + " renamed\n", "", &veiligv1.RenameOrganizationRequest{OrganizationId: orgID, Name: "Zuid-Oost"}},
		{"org bind-issuer", []string{"admin", "org", "bind-issuer", "--id", orgID, "--issuer", "https://idp.example", "--jwks-url", "https://idp.example/keys", "--audience", "veilig"},
			"issuer https://idp.example bound to organization " + orgID + "\n", "", &veiligv1.BindIssuerRequest{OrganizationId: orgID, Issuer: "https://idp.example", JwksUrl: "https://idp.example/keys", Audience: "veilig"}},
		{"org bind-issuer again", []string{"admin", "org", "bind-issuer", "--id", orgID, "--issuer", "https://idp.example", "--jwks-url", "https://idp.example/keys", "--audience", "veilig"},
			"issuer https://idp.example bound to organization " + orgID + " already, unchanged\n", "", nil},
		{"org deactivate", []string{"admin", "org", "deactivate", "--id", orgID},
			"professional " + profID + " disabled\norganization " + orgID + " deactivated at 2026-12-02T05:00:00Z\n", "", &veiligv1.DeactivateOrganizationRequest{OrganizationId: orgID}},
		{"org set-lease", []string{"admin", "org", "set-lease", "--id", orgID, "--lock-after", "24h", "--erase-after", "120h"},
			"organization " + orgID + ": phones lock after 24h0m0s and erase after 120h0m0s without a successful pull (its own lease)\n", "",
			&veiligv1.SetOrganizationLeaseRequest{OrganizationId: orgID, Change: &veiligv1.SetOrganizationLeaseRequest_Lease{Lease: &veiligv1.LeasePeriods{
				LockAfter: durationpb.New(24 * time.Hour), EraseAfter: durationpb.New(120 * time.Hour)}}}},
		{"org set-lease --clear", []string{"admin", "org", "set-lease", "--id", orgID, "--clear"},
			"organization " + orgID + ": phones lock after 72h0m0s and erase after 336h0m0s without a successful pull (the server's default)\n", "",
			&veiligv1.SetOrganizationLeaseRequest{OrganizationId: orgID, Change: &veiligv1.SetOrganizationLeaseRequest_Clear{Clear: true}}},
		{"team create", []string{"admin", "team", "create", "--name", "Team Noord"},
			defaultTeam + "\n", "created", &veiligv1.CreateTeamRequest{TeamId: defaultTeam, Name: "Team Noord"}},
		{"team rename", []string{"admin", "team", "rename", "--id", teamID, "--name", "Team Zuid"},
			"team " + teamID + " renamed\n", "", &veiligv1.RenameTeamRequest{TeamId: teamID, Name: "Team Zuid"}},
		{"team add", []string{"admin", "team", "add", "--team", teamID, "--professional", profID},
			"team " + teamID + ": professional " + profID + " added (2 members)\n", "", &veiligv1.AddTeamMemberRequest{TeamId: teamID, ProfessionalId: profID}},
		{"team remove", []string{"admin", "team", "remove", "--team", teamID, "--professional", profID},
			"team " + teamID + ": professional " + profID + " removed (1 members)\n", "", &veiligv1.RemoveTeamMemberRequest{TeamId: teamID, ProfessionalId: profID}},
		{"professional upsert derives the id from the e-mail", []string{"admin", "professional", "upsert", "--org", orgID, "--name", "Anna", "--email", "Anna@Example.org", "--role", "supervisor", "--issuer", "https://idp.example", "--subject", "sub-1"},
			defaultProf + "\n", "", &veiligv1.UpsertProfessionalRequest{
				Professional: &veiligv1.Professional{Id: defaultProf, OrganizationId: orgID, DisplayName: "Anna", Email: "Anna@Example.org", Role: veiligv1.Role_ROLE_SUPERVISOR},
				Issuer:       "https://idp.example", Subject: "sub-1"}},
		{"professional upsert with an id", []string{"admin", "professional", "upsert", "--org", orgID, "--id", profID, "--name", "Bram", "--phone", "+31201234567", "--role", "privacy_officer"},
			profID + "\n", "", &veiligv1.UpsertProfessionalRequest{
				Professional: &veiligv1.Professional{Id: profID, OrganizationId: orgID, DisplayName: "Bram", Phone: "+31201234567", Role: veiligv1.Role_ROLE_PRIVACY_OFFICER}}},
		{"household create", []string{"admin", "household", "create", "--code", "HH-7K3Q9", "--team", teamID, "--name", "Fam. Jansen", "--lead", profID, "--member", prof2ID},
			defaultHH + "\n", "created", &veiligv1.CreateHouseholdRequest{HouseholdId: defaultHH, Code: "HH-7K3Q9", TeamId: teamID, DisplayName: "Fam. Jansen", LeadProfessionalId: profID, CareTeamProfessionalIds: []string{prof2ID}}},
		{"household transfer", []string{"admin", "household", "transfer", "--id", hhID, "--team", teamID},
			"household " + hhID + " transferred to team " + teamID + "\n", "", &veiligv1.TransferHouseholdRequest{HouseholdId: hhID, TeamId: teamID}},
		{"household close", []string{"admin", "household", "close", "--id", hhID},
			"household " + hhID + " closed at 2026-12-02T05:00:00Z\n", "", &veiligv1.CloseHouseholdRequest{HouseholdId: hhID}},
		{"household reopen", []string{"admin", "household", "reopen", "--id", hhID},
			"household " + hhID + " reopened\n", "", &veiligv1.ReopenHouseholdRequest{HouseholdId: hhID}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if i%2 == 0 { // both ways of passing the token
				args = append(args, "--token", adminToken)
			} else {
				args = append(args, "--token-file", tokenFile)
			}
			stdout, stderr, err := veiligRun(args...)
			if err != nil {
				t.Fatalf("veilig %v: %v\n%s", args, err, stderr)
			}
			if stdout != tt.wantOut {
				t.Errorf("stdout = %q, want %q", stdout, tt.wantOut)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantStderr)
			}
			if strings.Contains(stdout+stderr, "Fam. Jansen") || strings.Contains(stdout+stderr, "Anna") {
				t.Errorf("output shows a display name: %q %q", stdout, stderr)
			}
			if tt.wantReq != nil {
				got := f.calls[len(f.calls)-1]
				if !proto.Equal(got, tt.wantReq) {
					t.Errorf("server got %v, want %v", got, tt.wantReq)
				}
			}
		})
	}
	if n := len(f.calls); n != len(tests) {
		t.Errorf("the server got %d calls, want %d", n, len(tests))
	}
}

func TestAdminConnectErrors(t *testing.T) {
	cleanAdminEnv(t)
	f := &fakeRegion{fail: connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("issuer is bound to organization %s", orgID))}
	url := startFake(t, f)
	_, _, err := veiligRun("admin", "org", "bind-issuer", "--server", url, "--token", adminToken,
		"--id", orgID, "--issuer", "https://idp.example", "--jwks-url", "https://idp.example/keys", "--audience", "veilig")
	want := "veilig.v1.RegionService/BindIssuer: failed_precondition: issuer is bound to organization " + orgID
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	_, _, err = veiligRun("admin", "household", "close", "--server", url, "--token", "wrong", "--id", hhID)
	want = "veilig.v1.RegionService/CloseHousehold: unauthenticated: no valid token"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	_, _, err = veiligRun("admin", "professional", "upsert", "--server", url, "--token", adminToken, "--org", orgID, "--name", "N", "--email", "n@x")
	want = "veilig.v1.DirectoryService/UpsertProfessional: failed_precondition: "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %v, want it to start with %q", err, want)
	}
}

func TestAdminImportLineMapping(t *testing.T) {
	// Row 4 of the file (line 5) is the second row of the second batch of three: the server
	// reports it as line 3 of that batch (header line 1); a blank line and a quoted line
	// break shift what follows.
	data := "code,team\nHH-1,T\nHH-2,T\nHH-3,T\nHH-4,T\nHH-5,T\n\nHH-6,\"two\nlines\"\nHH-7,T"
	f, err := splitCSV([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	batches, err := f.batches(3, maxBatchBytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != 3 {
		t.Fatalf("%d batches, want 3", len(batches))
	}
	for i, b := range batches {
		if !bytes.HasPrefix(b.csv, []byte("code,team\n")) {
			t.Errorf("batch %d does not start with the header: %q", i+1, b.csv)
		}
	}
	if got := string(batches[1].csv); got != "code,team\nHH-4,T\nHH-5,T\n\nHH-6,\"two\nlines\"\n" {
		t.Errorf("batch 2 = %q", got)
	}
	tests := []struct{ batch, local, file int }{
		{1, 1, 1}, {1, 2, 2}, {1, 4, 4},
		{2, 1, 1}, {2, 2, 5}, {2, 3, 6}, {2, 5, 8}, {2, 6, 9},
		{3, 2, 10},
	}
	for _, tt := range tests {
		if got := batches[tt.batch-1].fileLine(tt.local); got != tt.file {
			t.Errorf("batch %d line %d maps to line %d, want %d", tt.batch, tt.local, got, tt.file)
		}
	}
	if got := batches[1].fileLine(2); got != 5 {
		t.Errorf("server line 2 of batch 2 (batch size 3) maps to %d, want 5", got)
	}

	// The bound fits the header with the longest row (the blank line and the quoted break).
	small, err := f.batches(100, len("code,team\n")+len("\nHH-6,\"two\nlines\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(small) != 5 { // HH-1,2 | HH-3,4 | HH-5 | HH-6 | HH-7
		t.Errorf("byte-bounded batching gave %d batches, want 5", len(small))
	}
	if _, err := f.batches(100, 12); err == nil || !strings.Contains(err.Error(), "line 2: the row is too long") {
		t.Errorf("a row over the byte bound: %v", err)
	}
	for _, bad := range []struct{ data, want string }{
		{"", "the file is empty"},
		{"code,team\n", "the file has a header but no rows"},
		{"code,team\nHH-1,\"open\n", "line 2"},
	} {
		if _, err := splitCSV([]byte(bad.data)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("splitCSV(%q): %v, want %q", bad.data, err, bad.want)
		}
	}
	if got := thousands(20000); got != "20,000" {
		t.Errorf("thousands(20000) = %q", got)
	}
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("thousands(1234567) = %q", got)
	}
}

// writeCaseload writes a CSV with rows named by codes and returns its path.
func writeCaseload(t *testing.T, codes ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("code,team,lead_email\n")
	for _, c := range codes {
		fmt.Fprintf(&b, "%s,Team Noord,lead@example.org\n", c)
	}
	path := filepath.Join(t.TempDir(), "caseload.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAdminImport(t *testing.T) {
	cleanAdminEnv(t)
	good := []string{"HH-1", "HH-2", "HH-3", "HH-4", "HH-5", "HH-6", "HH-7"}
	withBad := []string{"HH-1", "HH-2", "HH-3", "HH-4", "BAD-5", "HH-6", "HH-7"} // file line 6, batch 2
	type phase struct{ dryRun, allOrNothing bool }
	tests := []struct {
		name      string
		flags     []string
		codes     []string
		wantErr   string
		wantLines []string
		wantCalls []phase
		applied   []string
	}{
		{"applies good rows, reports bad ones", nil, withBad,
			"import: 1 of 7 rows failed and were not applied; the others were",
			[]string{"line 2  HH-1  create", "line 6  BAD-5  FAILED: team: no such team", "line 8  HH-7  create", "6 created, 0 changed, 0 unchanged, 1 failed; applied"},
			[]phase{{}, {}, {}}, []string{"HH-1", "HH-2", "HH-3", "HH-4", "HH-6", "HH-7"}},
		{"dry run changes nothing", []string{"--dry-run"}, withBad,
			"import: 1 of 7 rows would fail",
			[]string{"line 6  BAD-5  FAILED: team: no such team", "6 created, 0 changed, 0 unchanged, 1 failed; dry run, nothing applied"},
			[]phase{{dryRun: true}, {dryRun: true}, {dryRun: true}}, nil},
		{"dry run of a good file", []string{"--dry-run"}, good, "",
			[]string{"line 8  HH-7  create", "7 created, 0 changed, 0 unchanged, 0 failed; dry run, nothing applied"},
			[]phase{{dryRun: true}, {dryRun: true}, {dryRun: true}}, nil},
		{"all or nothing with a bad row in batch 2 applies nothing", []string{"--all-or-nothing"}, withBad,
			"import: 1 of 7 rows failed; nothing applied (--all-or-nothing)",
			[]string{"line 6  BAD-5  FAILED: team: no such team", "6 created, 0 changed, 0 unchanged, 1 failed; nothing applied (--all-or-nothing)"},
			[]phase{{dryRun: true}, {dryRun: true}, {dryRun: true}}, nil},
		{"all or nothing checks, then applies", []string{"--all-or-nothing"}, good, "",
			[]string{"line 2  HH-1  create", "line 8  HH-7  create", "7 created, 0 changed, 0 unchanged, 0 failed; applied"},
			[]phase{{dryRun: true}, {dryRun: true}, {dryRun: true}, {allOrNothing: true}, {allOrNothing: true}, {allOrNothing: true}}, good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeRegion{}
			url := startFake(t, f)
			path := writeCaseload(t, tt.codes...)
			// Flags after the file name count too.
			args := append([]string{"import", "--server", url, "--token", adminToken, "--batch", "3", path}, tt.flags...)
			stdout, stderr, err := veiligRun(args...)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("veilig %v: %v\n%s", args, err, stderr)
			}
			if tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			for _, want := range tt.wantLines {
				if !slices.Contains(lines, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if rows := len(lines) - 1; rows != len(tt.codes) {
				t.Errorf("%d row lines, want %d:\n%s", rows, len(tt.codes), stdout)
			}
			var got []phase
			for _, req := range f.imports {
				got = append(got, phase{req.GetDryRun(), req.GetAllOrNothing()})
				if !bytes.HasPrefix(req.GetCsv(), []byte("code,team,lead_email\n")) {
					t.Errorf("a batch without the header: %q", req.GetCsv())
				}
			}
			if !slices.Equal(got, tt.wantCalls) {
				t.Errorf("calls %v, want %v", got, tt.wantCalls)
			}
			if a := f.applied(); !slices.Equal(a, tt.applied) {
				t.Errorf("applied %v, want %v", a, tt.applied)
			}
			if !strings.Contains(stderr, "rows 4–6 of 7 …") {
				t.Errorf("stderr lacks progress:\n%s", stderr)
			}
		})
	}
}

func TestAdminImportTwiceChangesNothing(t *testing.T) {
	cleanAdminEnv(t)
	f := &fakeRegion{}
	url := startFake(t, f)
	path := writeCaseload(t, "HH-1", "HH-2", "HH-3", "HH-4")
	for i, want := range []string{
		"4 created, 0 changed, 0 unchanged, 0 failed; applied",
		"0 created, 0 changed, 4 unchanged, 0 failed; nothing applied",
	} {
		stdout, stderr, err := veiligRun("admin", "import", "--server", url, "--token", adminToken, "--batch", "2", path)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, stderr)
		}
		if !strings.Contains(stdout, want) || (i == 1 && !strings.Contains(stdout, "line 5  HH-4  unchanged")) {
			t.Errorf("run %d:\n%s\nwant %q", i+1, stdout, want)
		}
	}
}

func TestAdminImportStopsAtAFailedCall(t *testing.T) {
	cleanAdminEnv(t)
	f := &fakeRegion{}
	url := startFake(t, f)
	// The header line is the server's to check; the fake refuses one that does not start
	// with code, on the first batch already.
	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(path, []byte("team,code\nT,HH-1\nT,HH-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := veiligRun("import", "--server", url, "--token", adminToken, "--batch", "1", "--all-or-nothing", path)
	want := `import: rows 1–1: veilig.v1.RegionService/ImportCaseload: invalid_argument: the header must start with code, got ["team" "code"]; nothing applied`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if len(f.imports) != 1 {
		t.Errorf("%d calls after a refused one, want 1", len(f.imports))
	}
}

func TestAdminTokenFromTheEnvironment(t *testing.T) {
	cleanAdminEnv(t)
	f := &fakeRegion{}
	t.Setenv("VEILIG_SERVER", startFake(t, f))
	t.Setenv("VEILIG_TOKEN", adminToken)
	stdout, _, err := veiligRun("admin", "household", "reopen", "--id", hhID)
	if err != nil || stdout != "household "+hhID+" reopened\n" {
		t.Fatalf("with VEILIG_SERVER and VEILIG_TOKEN: %q, %v", stdout, err)
	}
	// Sending the token in the clear to another machine is allowed (a private network) but
	// said; 192.0.2.1 is a documentation address that answers nothing.
	_, stderr, err := veiligRun("admin", "household", "reopen", "--server", "http://192.0.2.1:1", "--timeout", "50ms", "--id", hhID)
	if err == nil || !strings.Contains(stderr, "warning: the token goes unencrypted to 192.0.2.1:1") {
		t.Fatalf("plain http to another host: %v, stderr %q", err, stderr)
	}
}

// TestRetentionFlag: serve and worker refuse a retention under an hour, from the flag or the
// environment, with an error naming the flag, before they open a database.
func TestRetentionFlag(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"serve", "worker"} {
		_, _, err := veiligRun(cmd, "--data-dir", dir, "--retention", "59m")
		if err == nil || !strings.Contains(err.Error(), "--retention=59m0s: want at least 1h") {
			t.Errorf("%s --retention 59m: %v", cmd, err)
		}
	}
	t.Setenv("VEILIG_RETENTION", "30s")
	_, _, err := veiligRun("worker", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "VEILIG_RETENTION=30s: want at least 1h") {
		t.Errorf("worker with VEILIG_RETENTION=30s: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused start wrote %d files in the data dir", len(entries))
	}
}
