// Command veilig is the Veilig backend: one binary for the server and its tools.
//
//	veilig serve     run the backend (embedded SQLite in ./veilig-data unless --database-url)
//	veilig worker    run only the scheduler (overdue checks, escalation, digests, pushes)
//	veilig migrate   apply database migrations and print each (up), or list them (status)
//	veilig demo      seed a demo region and print commands to try the API
//	veilig token     print a short-lived dev token for a professional
//	veilig audit     verify the access log's hash chains (audit verify)
//	veilig sim       simulate phones syncing through faults, then check nothing was lost
//	veilig bench     measure push, pull, streams, detection and fan-out over HTTP on each engine
//	veilig healthcheck  GET the ops listener's /readyz: exit 0 when it answers 2xx (Docker HEALTHCHECK)
//	veilig version   print the version
//	veilig help CMD  print a command's usage
//
// Every flag can also be set by an environment variable: --database-url is
// VEILIG_DATABASE_URL, and so on; bench, sim and healthcheck use their own prefixes
// (VEILIG_BENCH_, VEILIG_SIM_, VEILIG_HEALTHCHECK_). Flags win over the environment, and a
// malformed value from either is an error naming it (flags.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"
	_ "time/tzdata" // schedules are planned in IANA zones; do not depend on the host's tz database
)

// version is set at build time with -ldflags "-X main.version=..."; when it is not, the
// version is read from the build information (versionString).
var version = "dev"

const usage = `veilig: the offline-first backend for shared household safety plans.

Usage:
  veilig serve    [flags]   run the backend
  veilig worker   [flags]   run only the scheduler (overdue checks, escalation, digests, pushes)
  veilig migrate  [up|status] [flags]  apply database migrations, printing each (up), or list them (status)
  veilig demo     [flags]   seed a demo region and print commands to try the API
  veilig token    [flags]   print a short-lived dev token (embedded/dev mode)
  veilig audit verify [flags]  check the access log: report any edited, deleted or inserted entry
  veilig sim      [flags]   simulate phones syncing through faults; exits non-zero on any loss
  veilig bench    [flags]   measure the server over HTTP on SQLite and PostgreSQL; prints a table
  veilig admin <command> [flags]  set up a region through the API: organizations, teams, professionals, households
  veilig import   [flags] FILE.csv  import a caseload of households through the API (--dry-run first)
  veilig healthcheck [flags]  GET the ops listener's /readyz; exit 0 on 2xx (Docker HEALTHCHECK)
  veilig version            print the version (module version and VCS revision of the build)
  veilig help <command>     print the usage and flags of a command

Every flag can also be set by an environment variable: --database-url is VEILIG_DATABASE_URL.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errNoCommand):
		os.Exit(2) // the usage is printed already
	case errors.Is(err, flag.ErrHelp):
		// -h, --help or 'veilig help' asked for a usage, printed already: that is a success.
	default:
		fmt.Fprintln(os.Stderr, "veilig:", err)
		os.Exit(2)
	}
}

// errNoCommand is returned by run when no command is given: the usage is printed and the exit
// status is non-zero, unlike an explicit -h, which succeeds.
var errNoCommand = errors.New("no command given")

// commands are the names run knows, for 'veilig help <command>'.
var commands = map[string]bool{"serve": true, "worker": true, "migrate": true, "demo": true, "token": true, "audit": true,
	"sim": true, "bench": true, "admin": true, "import": true, "healthcheck": true, "version": true}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errNoCommand
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "worker":
		return runWorker(ctx, rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "token":
		return runToken(ctx, rest, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, stdout, stderr)
	case "sim":
		return runSim(ctx, rest, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "admin":
		return runAdmin(ctx, rest, stdout, stderr)
	case "import":
		return runImport(ctx, "import", rest, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		if len(rest) > 0 && rest[0] != "-h" && rest[0] != "--help" && rest[0] != "-help" {
			return fmt.Errorf("version: unexpected argument %q", rest[0])
		}
		if len(rest) > 0 {
			fmt.Fprintln(stdout, "Usage: veilig version\n\nPrint the version: -ldflags' main.version, else the module version and VCS revision of the build.")
			return flag.ErrHelp
		}
		fmt.Fprintln(stdout, "veilig", versionString())
		return nil
	case "help", "-h", "--help", "-help":
		if len(rest) == 0 || rest[0] == "help" {
			fmt.Fprint(stdout, usage)
			return nil
		}
		if !commands[rest[0]] {
			fmt.Fprint(stderr, usage)
			return fmt.Errorf("help: unknown command %q", rest[0])
		}
		// Every command prints its usage on stdout for -h and returns flag.ErrHelp.
		return run(ctx, append(slices.Clone(rest), "-h"), stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// versionString is the version to print: main.version when -ldflags set it, else the
// module's version and the VCS revision from the build information.
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	return describeVersion(version, info, ok)
}

// describeVersion renders a version from -ldflags' value (set unless "dev") and the build
// information: "v1.4.0", "v1.4.0 (revision 0123456789ab)", "dev (revision 0123456789ab,
// modified)". A build without VCS information (-buildvcs=false, go run outside a checkout)
// says so rather than print nothing.
func describeVersion(ldflags string, info *debug.BuildInfo, ok bool) string {
	if ldflags != "dev" && ldflags != "" {
		return ldflags
	}
	v := "dev"
	if !ok || info == nil {
		return v + " (no build information)"
	}
	if mv := info.Main.Version; mv != "" && mv != "(devel)" {
		v = mv
	}
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision == "" {
		if v == "dev" {
			return v + " (no VCS revision in this build)"
		}
		return v
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if modified == "true" {
		return v + " (revision " + revision + ", modified)"
	}
	return v + " (revision " + revision + ")"
}
