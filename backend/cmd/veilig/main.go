// Command veilig is the Veilig backend: one binary for the server and its tools.
//
//	veilig serve     run the backend (embedded SQLite in ./veilig-data unless --database-url)
//	veilig worker    run only the scheduler (overdue checks, escalation, digests, pushes)
//	veilig migrate   apply database migrations
//	veilig demo      seed a demo region and print commands to try the API
//	veilig token     print a short-lived dev token for a professional
//	veilig audit     verify the access log's hash chains (audit verify)
//	veilig sim       simulate phones syncing through faults, then check nothing was lost
//	veilig bench     measure push, pull, streams, detection and fan-out over HTTP on each engine
//	veilig version   print the version
//
// Every flag can also be set by an environment variable: --database-url is
// VEILIG_DATABASE_URL, and so on. Flags win over the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // schedules are planned in IANA zones; do not depend on the host's tz database
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `veilig: the offline-first backend for shared household safety plans.

Usage:
  veilig serve    [flags]   run the backend
  veilig worker   [flags]   run only the scheduler (overdue checks, escalation, digests, pushes)
  veilig migrate  [flags]   apply database migrations
  veilig demo     [flags]   seed a demo region and print commands to try the API
  veilig token    [flags]   print a short-lived dev token (embedded/dev mode)
  veilig audit verify [flags]  check the access log: report any edited, deleted or inserted entry
  veilig sim      [flags]   simulate phones syncing through faults; exits non-zero on any loss
  veilig bench    [flags]   measure the server over HTTP on SQLite and PostgreSQL; prints a table
  veilig admin <command> [flags]  set up a region through the API: organizations, teams, professionals, households
  veilig import   [flags] FILE.csv  import a caseload of households through the API (--dry-run first)
  veilig version            print the version

Run 'veilig <command> -h' for the flags of a command.
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
		// -h or --help asked for a command's usage, printed already: that is a success.
	default:
		fmt.Fprintln(os.Stderr, "veilig:", err)
		os.Exit(2)
	}
}

// errNoCommand is returned by run when no command is given: the usage is printed and the exit
// status is non-zero, unlike an explicit -h, which succeeds.
var errNoCommand = errors.New("no command given")

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
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "veilig", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
