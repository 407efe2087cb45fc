package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/veilig/veilig/backend/household"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// The admin CLI is a client of RegionService and DirectoryService and nothing else: it never
// opens a database, so a regional administrator can set up a region from their own machine
// with a token, and every change goes through the same checks and access log as the API.

const adminUsage = `Usage: veilig admin <command> [flags]

Set up a region through the API (a regional administrator's token; see 'veilig admin init').

  veilig admin init                    create the first regional administrator (on the server)
  veilig admin org create              create an organization (prints its id)
  veilig admin org rename              rename an organization
  veilig admin org bind-issuer         trust an identity provider for an organization's professionals
  veilig admin org deactivate          disable an organization's professionals and issuers for good
  veilig admin org set-lease           set or clear an organization's offline lease (also an organization admin's)
  veilig admin team create             create a team (prints its id)
  veilig admin team rename             rename a team
  veilig admin team add                add a professional to a team
  veilig admin team remove             take a professional out of a team
  veilig admin professional upsert     create or update a professional (prints the id)
  veilig admin household create        create a household with its team, lead and care team (prints its id)
  veilig admin household transfer      move a household to another team
  veilig admin household close         close a household's file
  veilig admin household reopen        reopen a closed household
  veilig admin import FILE.csv         import a caseload (same as 'veilig import')

Every command takes --server (VEILIG_SERVER) and --token (VEILIG_TOKEN) or --token-file
(VEILIG_TOKEN_FILE); a token on the command line replaces the environment's, and two tokens
from one place are refused. Run 'veilig help admin <command>' for the flags of a command.
`

// derivedID is the default id of an object of kind named by key (household.DerivedID, which
// the server's import and admin init use too).
func derivedID(kind string, key ...string) string { return household.DerivedID(kind, key...) }

// adminCommand is one `veilig admin <group> <name>`: setup registers its flags and returns
// the function that runs it once they are parsed and a client is connected.
type adminCommand struct {
	group, name, summary string
	setup                func(fs *flag.FlagSet) func(ctx context.Context, c *adminClient, stdout, stderr io.Writer) error
}

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return errNoCommand
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, adminUsage)
		return flag.ErrHelp
	case "init":
		return runAdminInit(ctx, args[1:], stdout, stderr)
	case "import":
		return runImport(ctx, "admin import", args[1:], stdout, stderr)
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, adminUsage)
		return fmt.Errorf("admin: unknown command %q", args[0])
	}
	for _, cmd := range adminCommands {
		if cmd.group == args[0] && cmd.name == args[1] {
			return cmd.run(ctx, args[2:], stdout, stderr)
		}
	}
	fmt.Fprint(stderr, adminUsage)
	return fmt.Errorf("admin: unknown command %q", args[0]+" "+args[1])
}

func (cmd adminCommand) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	title := "admin " + cmd.group + " " + cmd.name
	fs := newFlagSet(title, "[flags]", cmd.summary)
	var conn connFlags
	conn.register(fs)
	do := cmd.setup(fs)
	if err := conn.parse(fs, args, stdout); err != nil {
		return err
	}
	// A name with a space passed without quotes leaves words behind: say so rather than drop
	// them.
	if err := noArguments(fs); err != nil {
		return err
	}
	c, err := conn.client(title, stderr)
	if err != nil {
		return err
	}
	return do(ctx, c, stdout, stderr)
}

// connFlags are the flags that say which server to call and as whom.
type connFlags struct {
	server    string
	token     string
	tokenFile string
	timeout   time.Duration
	src       flagSources
}

// connEnv is the environment of the API's clients (admin, import): only the connection's
// flags, so that an exported VEILIG_NAME never fills in an admin command's --name. The token
// comes from one place: a --token or --token-file on the command line replaces both
// VEILIG_TOKEN and VEILIG_TOKEN_FILE, and two tokens from the same place are refused.
var connEnv = envSpec{prefix: "VEILIG", only: []string{"server", "token", "token-file"}, oneSource: [][]string{{"token", "token-file"}}}

func (f *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.server, "server", "http://127.0.0.1:8080", "base URL of the Veilig server")
	// The token has no default: -h prints defaults, and a token must never be printed.
	fs.StringVar(&f.token, "token", "", "a regional administrator's bearer token; a --token or --token-file here replaces the environment's")
	fs.StringVar(&f.tokenFile, "token-file", "", "read the token from this file instead, keeping it out of the shell history")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "how long to wait for each call")
}

// parse parses the command's flags with the connection's environment.
func (f *connFlags) parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	src, err := parseFlags(fs, args, connEnv, stdout)
	f.src = src
	return err
}

// bearer is the token to send: --token's or the file's, from the command line, else from
// VEILIG_TOKEN or VEILIG_TOKEN_FILE; two at once are refused, never one picked.
func (f *connFlags) bearer(title string) (string, error) {
	tok := f.token
	switch {
	case f.token != "" && f.tokenFile != "":
		return "", fmt.Errorf("%s: %s and %s: give one of them", title, f.src.of("token"), f.src.of("token-file"))
	case f.tokenFile != "":
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return "", fmt.Errorf("%s: %s: %w", title, f.src.of("token-file"), err)
		}
		tok = string(b)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", fmt.Errorf("%s: no token: pass --token or --token-file, or set VEILIG_TOKEN or VEILIG_TOKEN_FILE (a regional administrator's token)", title)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("%s: the token contains white space: pass the token alone", title)
	}
	return tok, nil
}

// adminClient calls the server as the token's holder.
type adminClient struct {
	region    veiligv1connect.RegionServiceClient
	directory veiligv1connect.DirectoryServiceClient
	timeout   time.Duration
}

func (f *connFlags) client(title string, stderr io.Writer) (*adminClient, error) {
	base, err := url.Parse(f.server)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%s: %s=%q: want an http:// or https:// URL such as http://127.0.0.1:8080", title, f.src.of("server"), f.server)
	}
	if err := wantPositive(f.src, "timeout", f.timeout); err != nil {
		return nil, fmt.Errorf("%s: %w", title, err)
	}
	tok, err := f.bearer(title)
	if err != nil {
		return nil, err
	}
	if base.Scheme == "http" && !loopback(base.Hostname()) {
		fmt.Fprintf(stderr, "%s: warning: the token goes unencrypted to %s; use https:// for a remote server\n", title, base.Host)
	}
	auth := connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+tok)
			req.Header().Set("User-Agent", "veilig-admin/"+version)
			return next(ctx, req)
		}
	})
	hc := &http.Client{}
	return &adminClient{
		region:    veiligv1connect.NewRegionServiceClient(hc, f.server, connect.WithInterceptors(auth)),
		directory: veiligv1connect.NewDirectoryServiceClient(hc, f.server, connect.WithInterceptors(auth)),
		timeout:   f.timeout,
	}, nil
}

// stamp formats a server time; a missing one reads "an unknown time" rather than 1970.
func stamp(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "an unknown time"
	}
	return ts.AsTime().UTC().Format(time.RFC3339)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// call makes one RPC with the client's timeout. Its error reads "<procedure>: <code>:
// <message>" (main prefixes "veilig: "), which says what failed without a stack of
// wrappers; the server's messages name ids, never personal data.
func call[Req, Res any](ctx context.Context, c *adminClient, procedure string, fn func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error), req *Req) (*Res, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := fn(ctx, connect.NewRequest(req))
	if err != nil {
		procedure = strings.TrimPrefix(procedure, "/")
		var ce *connect.Error
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("%s: %s: %s", procedure, ce.Code(), ce.Message())
		}
		return nil, fmt.Errorf("%s: %w", procedure, err)
	}
	return res.Msg, nil
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// need checks the parsed flags: each named flag must be set and, for the ids, be a UUID, so
// that a mistake names its flag before anything is sent.
type need struct {
	title string
	err   error
}

func (n *need) value(flagName, v string) string {
	v = strings.TrimSpace(v)
	if n.err == nil && v == "" {
		n.err = fmt.Errorf("%s: --%s is required", n.title, flagName)
	}
	return v
}

func (n *need) id(flagName, v string) string {
	v = n.value(flagName, v)
	n.checkID(flagName, v)
	return v
}

// optionalID returns v, checked when set, or def.
func (n *need) optionalID(flagName, v string, def func() string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return def()
	}
	n.checkID(flagName, v)
	return v
}

func (n *need) checkID(flagName, v string) {
	if n.err != nil || v == "" {
		return
	}
	if _, err := uuid.Parse(v); err != nil {
		n.err = fmt.Errorf("%s: --%s: %q is not a UUID", n.title, flagName, v)
	}
}

// createdOrExists tells the user, on stderr, whether a create call created anything; stdout
// gets only the id, so that a script can write ORG=$(veilig admin org create …).
func createdOrExists(stderr io.Writer, title string, created bool) {
	if created {
		fmt.Fprintf(stderr, "%s: created\n", title)
	} else {
		fmt.Fprintf(stderr, "%s: exists already, left as it was\n", title)
	}
}

var roles = map[string]veiligv1.Role{
	"professional":    veiligv1.Role_ROLE_PROFESSIONAL,
	"supervisor":      veiligv1.Role_ROLE_SUPERVISOR,
	"admin":           veiligv1.Role_ROLE_ADMIN,
	"privacy_officer": veiligv1.Role_ROLE_PRIVACY_OFFICER,
}

var adminCommands = []adminCommand{
	{group: "org", name: "create", summary: "Create an organization, or confirm it exists; prints its id. Without --id the id is derived from the name, so running it again changes nothing.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the organization's id (UUID); default derived from --name")
			name := fs.String("name", "", "the organization's name; required")
			return func(ctx context.Context, c *adminClient, stdout, stderr io.Writer) error {
				n := need{title: "admin org create"}
				nm := n.value("name", *name)
				oid := n.optionalID("id", *id, func() string { return derivedID("organization", nm) })
				if n.err != nil {
					return n.err
				}
				res, err := call(ctx, c, veiligv1connect.RegionServiceCreateOrganizationProcedure, c.region.CreateOrganization,
					&veiligv1.CreateOrganizationRequest{OrganizationId: oid, Name: nm})
				if err != nil {
					return err
				}
				createdOrExists(stderr, "admin org create: organization "+oid, res.GetCreated())
				fmt.Fprintln(stdout, oid)
				return nil
			}
		}},
	{group: "org", name: "rename", summary: "Rename an organization.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the organization's id; required")
			name := fs.String("name", "", "the new name; required")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				n := need{title: "admin org rename"}
				oid, nm := n.id("id", *id), n.value("name", *name)
				if n.err != nil {
					return n.err
				}
				if _, err := call(ctx, c, veiligv1connect.RegionServiceRenameOrganizationProcedure, c.region.RenameOrganization,
					&veiligv1.RenameOrganizationRequest{OrganizationId: oid, Name: nm}); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "organization %s renamed\n", oid)
				return nil
			}
		}},
	{group: "org", name: "bind-issuer", summary: "Trust an OpenID Connect identity provider for one organization's professionals.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the organization's id; required")
			issuer := fs.String("issuer", "", "the tokens' iss, an https:// URL; required")
			jwks := fs.String("jwks-url", "", "where the provider publishes its keys, an https:// URL; required")
			aud := fs.String("audience", "", "one of the tokens' aud values; required")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				n := need{title: "admin org bind-issuer"}
				oid, iss, jw, au := n.id("id", *id), n.value("issuer", *issuer), n.value("jwks-url", *jwks), n.value("audience", *aud)
				if n.err != nil {
					return n.err
				}
				res, err := call(ctx, c, veiligv1connect.RegionServiceBindIssuerProcedure, c.region.BindIssuer,
					&veiligv1.BindIssuerRequest{OrganizationId: oid, Issuer: iss, JwksUrl: jw, Audience: au})
				if err != nil {
					return err
				}
				if res.GetChanged() {
					fmt.Fprintf(stdout, "issuer %s bound to organization %s\n", iss, oid)
				} else {
					fmt.Fprintf(stdout, "issuer %s bound to organization %s already, unchanged\n", iss, oid)
				}
				return nil
			}
		}},
	{group: "org", name: "deactivate", summary: "Deactivate an organization for good: every professional of it is disabled and its issuers sign nobody in. It cannot be undone through the API.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the organization's id; required")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				n := need{title: "admin org deactivate"}
				oid := n.id("id", *id)
				if n.err != nil {
					return n.err
				}
				res, err := call(ctx, c, veiligv1connect.RegionServiceDeactivateOrganizationProcedure, c.region.DeactivateOrganization,
					&veiligv1.DeactivateOrganizationRequest{OrganizationId: oid})
				if err != nil {
					return err
				}
				for _, p := range res.GetDisabledProfessionalIds() {
					fmt.Fprintf(stdout, "professional %s disabled\n", p)
				}
				fmt.Fprintf(stdout, "organization %s deactivated at %s\n", oid, stamp(res.GetDeactivatedAt()))
				return nil
			}
		}},
	{group: "org", name: "set-lease", summary: "Set the offline lease of an organization's phones (lock after --lock-after, erase after --erase-after without a successful pull), or --clear it back to the server's default. An organization's admin may set their own organization's lease.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the organization's id; required")
			lockAfter := fs.Duration("lock-after", 0, "a phone locks its data after this long without a successful pull (e.g. 72h); at most 2160h")
			eraseAfter := fs.Duration("erase-after", 0, "a phone erases its data after this long without a successful pull (e.g. 336h); longer than --lock-after, at most 8760h")
			clear := fs.Bool("clear", false, "clear the organization's own lease: its phones get the server's default again")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				const title = "admin org set-lease"
				n := need{title: title}
				oid := n.id("id", *id)
				if n.err != nil {
					return n.err
				}
				req := &veiligv1.SetOrganizationLeaseRequest{OrganizationId: oid}
				switch {
				case *clear && (*lockAfter != 0 || *eraseAfter != 0):
					return fmt.Errorf("%s: --clear and --lock-after, --erase-after: give one or the other", title)
				case *clear:
					req.Change = &veiligv1.SetOrganizationLeaseRequest_Clear{Clear: true}
				case *lockAfter == 0 && *eraseAfter == 0:
					return fmt.Errorf("%s: give --lock-after and --erase-after, or --clear", title)
				default:
					if err := household.CheckLease(*lockAfter, *eraseAfter); err != nil {
						return fmt.Errorf("%s: --lock-after, --erase-after: %w", title, err)
					}
					req.Change = &veiligv1.SetOrganizationLeaseRequest_Lease{Lease: &veiligv1.LeasePeriods{
						LockAfter: durationpb.New(*lockAfter), EraseAfter: durationpb.New(*eraseAfter)}}
				}
				res, err := call(ctx, c, veiligv1connect.RegionServiceSetOrganizationLeaseProcedure, c.region.SetOrganizationLease, req)
				if err != nil {
					return err
				}
				whose := "its own lease"
				if res.GetDeploymentDefault() {
					whose = "the server's default"
				}
				fmt.Fprintf(stdout, "organization %s: phones lock after %s and erase after %s without a successful pull (%s)\n", oid,
					res.GetLease().GetLockAfter().AsDuration(), res.GetLease().GetEraseAfter().AsDuration(), whose)
				return nil
			}
		}},
	{group: "team", name: "create", summary: "Create a team, or confirm it exists; prints its id. Without --id the id is derived from the name, so running it again changes nothing.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the team's id (UUID); default derived from --name")
			name := fs.String("name", "", "the team's name; required")
			return func(ctx context.Context, c *adminClient, stdout, stderr io.Writer) error {
				n := need{title: "admin team create"}
				nm := n.value("name", *name)
				tid := n.optionalID("id", *id, func() string { return derivedID("team", nm) })
				if n.err != nil {
					return n.err
				}
				res, err := call(ctx, c, veiligv1connect.RegionServiceCreateTeamProcedure, c.region.CreateTeam,
					&veiligv1.CreateTeamRequest{TeamId: tid, Name: nm})
				if err != nil {
					return err
				}
				createdOrExists(stderr, "admin team create: team "+tid, res.GetCreated())
				fmt.Fprintln(stdout, tid)
				return nil
			}
		}},
	{group: "team", name: "rename", summary: "Rename a team.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the team's id; required")
			name := fs.String("name", "", "the new name; required")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				n := need{title: "admin team rename"}
				tid, nm := n.id("id", *id), n.value("name", *name)
				if n.err != nil {
					return n.err
				}
				if _, err := call(ctx, c, veiligv1connect.RegionServiceRenameTeamProcedure, c.region.RenameTeam,
					&veiligv1.RenameTeamRequest{TeamId: tid, Name: nm}); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "team %s renamed\n", tid)
				return nil
			}
		}},
	{group: "team", name: "add", summary: "Add a professional of any organization to a team (supervisors then supervise its households).",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			team := fs.String("team", "", "the team's id; required")
			prof := fs.String("professional", "", "the professional's id; required")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				n := need{title: "admin team add"}
				tid, pid := n.id("team", *team), n.id("professional", *prof)
				if n.err != nil {
					return n.err
				}
				res, err := call(ctx, c, veiligv1connect.RegionServiceAddTeamMemberProcedure, c.region.AddTeamMember,
					&veiligv1.AddTeamMemberRequest{TeamId: tid, ProfessionalId: pid})
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "team %s: professional %s added (%d members)\n", tid, pid, len(res.GetProfessionalIds()))
				return nil
			}
		}},
	{group: "team", name: "remove", summary: "Take a professional out of a team (their care-team places stay).",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			team := fs.String("team", "", "the team's id; required")
			prof := fs.String("professional", "", "the professional's id; required")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				n := need{title: "admin team remove"}
				tid, pid := n.id("team", *team), n.id("professional", *prof)
				if n.err != nil {
					return n.err
				}
				res, err := call(ctx, c, veiligv1connect.RegionServiceRemoveTeamMemberProcedure, c.region.RemoveTeamMember,
					&veiligv1.RemoveTeamMemberRequest{TeamId: tid, ProfessionalId: pid})
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "team %s: professional %s removed (%d members)\n", tid, pid, len(res.GetProfessionalIds()))
				return nil
			}
		}},
	{group: "professional", name: "upsert", summary: "Create or update a professional of an organization; prints the id. Without --id the id is derived from --org and --email, so running it again updates the same professional.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			org := fs.String("org", "", "the organization's id; required")
			id := fs.String("id", "", "the professional's id (UUID); default derived from --org and --email")
			name := fs.String("name", "", "the professional's display name; required")
			email := fs.String("email", "", "work e-mail address")
			phone := fs.String("phone", "", "work phone number in international form, e.g. +31201234567")
			role := fs.String("role", "professional", "professional, supervisor, admin or privacy_officer")
			issuer := fs.String("issuer", "", "identity provider whose tokens sign this professional in (with --subject); bound to --org by 'org bind-issuer'")
			subject := fs.String("subject", "", "the professional's subject (sub) at --issuer")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				n := need{title: "admin professional upsert"}
				oid, nm := n.id("org", *org), n.value("name", *name)
				mail := strings.TrimSpace(*email)
				pid := n.optionalID("id", *id, func() string {
					if mail == "" && n.err == nil {
						n.err = errors.New("admin professional upsert: --id or --email is required (the default id is derived from the e-mail)")
					}
					return derivedID("professional", oid, strings.ToLower(mail))
				})
				r, ok := roles[*role]
				if !ok && n.err == nil {
					n.err = fmt.Errorf("admin professional upsert: --role: want professional, supervisor, admin or privacy_officer, got %q", *role)
				}
				iss, sub := strings.TrimSpace(*issuer), strings.TrimSpace(*subject)
				if (iss == "") != (sub == "") && n.err == nil {
					n.err = errors.New("admin professional upsert: --issuer and --subject: give both or neither")
				}
				if n.err != nil {
					return n.err
				}
				res, err := call(ctx, c, veiligv1connect.DirectoryServiceUpsertProfessionalProcedure, c.directory.UpsertProfessional,
					&veiligv1.UpsertProfessionalRequest{
						Professional: &veiligv1.Professional{Id: pid, OrganizationId: oid, DisplayName: nm, Email: mail, Phone: strings.TrimSpace(*phone), Role: r},
						Issuer:       iss,
						Subject:      sub,
					})
				if err != nil {
					return err
				}
				if got := res.GetProfessional().GetId(); got != "" {
					pid = got
				}
				fmt.Fprintln(stdout, pid)
				return nil
			}
		}},
	{group: "household", name: "create", summary: "Create a household of a team with its lead and care team, or confirm it exists; prints its id. Without --id the id is derived from --code, so running it again changes nothing.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the household's id (UUID); default derived from --code")
			code := fs.String("code", "", "opaque code such as HH-7K3Q9 (capitals, digits, dashes); required")
			team := fs.String("team", "", "the team's id; required")
			name := fs.String("name", "", "the household's display name, held only in its own record; required")
			lead := fs.String("lead", "", "the lead professional's id; required")
			var members stringList
			fs.Var(&members, "member", "a further care-team member's id (repeatable)")
			return func(ctx context.Context, c *adminClient, stdout, stderr io.Writer) error {
				n := need{title: "admin household create"}
				cd := n.value("code", *code)
				hid := n.optionalID("id", *id, func() string { return derivedID("household", cd) })
				tid, nm, lid := n.id("team", *team), n.value("name", *name), n.id("lead", *lead)
				var care []string
				for _, m := range members {
					care = append(care, n.id("member", m))
				}
				if n.err != nil {
					return n.err
				}
				res, err := call(ctx, c, veiligv1connect.RegionServiceCreateHouseholdProcedure, c.region.CreateHousehold,
					&veiligv1.CreateHouseholdRequest{HouseholdId: hid, Code: cd, TeamId: tid, DisplayName: nm, LeadProfessionalId: lid, CareTeamProfessionalIds: care})
				if err != nil {
					return err
				}
				createdOrExists(stderr, "admin household create: household "+hid+" ("+cd+")", res.GetCreated())
				fmt.Fprintln(stdout, hid)
				return nil
			}
		}},
	{group: "household", name: "transfer", summary: "Move a household to another team: the old team's supervisors lose sight of it, the new team's gain it; the care team stays.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the household's id; required")
			team := fs.String("team", "", "the new team's id; required")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				n := need{title: "admin household transfer"}
				hid, tid := n.id("id", *id), n.id("team", *team)
				if n.err != nil {
					return n.err
				}
				if _, err := call(ctx, c, veiligv1connect.RegionServiceTransferHouseholdProcedure, c.region.TransferHousehold,
					&veiligv1.TransferHouseholdRequest{HouseholdId: hid, TeamId: tid}); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "household %s transferred to team %s\n", hid, tid)
				return nil
			}
		}},
	{group: "household", name: "close", summary: "Close a household's file: every phone drops it at its next pull and its schedules stop; its data is kept for the retention period.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the household's id; required")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				n := need{title: "admin household close"}
				hid := n.id("id", *id)
				if n.err != nil {
					return n.err
				}
				res, err := call(ctx, c, veiligv1connect.RegionServiceCloseHouseholdProcedure, c.region.CloseHousehold,
					&veiligv1.CloseHouseholdRequest{HouseholdId: hid})
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "household %s closed at %s\n", hid, stamp(res.GetClosedAt()))
				return nil
			}
		}},
	{group: "household", name: "reopen", summary: "Reopen a closed household: its care team and team see it again and its schedules restart from now.",
		setup: func(fs *flag.FlagSet) func(context.Context, *adminClient, io.Writer, io.Writer) error {
			id := fs.String("id", "", "the household's id; required")
			return func(ctx context.Context, c *adminClient, stdout, _ io.Writer) error {
				n := need{title: "admin household reopen"}
				hid := n.id("id", *id)
				if n.err != nil {
					return n.err
				}
				if _, err := call(ctx, c, veiligv1connect.RegionServiceReopenHouseholdProcedure, c.region.ReopenHousehold,
					&veiligv1.ReopenHouseholdRequest{HouseholdId: hid}); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "household %s reopened\n", hid)
				return nil
			}
		}},
}
