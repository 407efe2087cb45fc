package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storeopen"
	"github.com/veilig/veilig/mobile-api/auth"
)

const migrateSummary = `Bring the database's schema up to date (up, the default), or list every migration of this
binary as applied or pending (status). Up prints each migration it applies, by number and name,
and "already up to date" when there was none to apply. On PostgreSQL and CockroachDB run it
once per release, before the servers; the embedded database migrates itself on start.`

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := "up"
	if len(args) > 0 && (args[0] == "up" || args[0] == "status") {
		sub, args = args[0], args[1:]
	}
	fs := newFlagSet("migrate", "[up|status] [flags]", migrateSummary)
	var c common
	c.register(fs)
	src, err := parseFlags(fs, args, veiligEnv, stdout)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 && (fs.Arg(0) == "up" || fs.Arg(0) == "status") {
		return fmt.Errorf("migrate: %q goes before the flags: veilig migrate %s [flags]", fs.Arg(0), fs.Arg(0))
	}
	if err := errors.Join(noArguments(fs), c.check(src)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := c.logger(stderr); err != nil {
		return err
	}
	start := time.Now()
	st, err := c.open(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer st.Close()
	if sub == "status" {
		return migrateStatus(ctx, st, stdout)
	}
	applied, err := st.MigrateUp(ctx)
	for _, m := range applied {
		fmt.Fprintf(stdout, "migrate: applied %s (%s)\n", m, m.Took.Round(time.Millisecond))
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	list, err := st.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	at := "no migration"
	if len(list) > 0 {
		at = list[len(list)-1].String()
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "migrate: already up to date at %s; nothing applied\n", at)
		return nil
	}
	fmt.Fprintf(stdout, "migrate: applied %d migrations in %s; the database is at %s\n", len(applied), time.Since(start).Round(time.Millisecond), at)
	return nil
}

// migrateStatus prints every migration of this binary, applied or pending, and a count.
func migrateStatus(ctx context.Context, st *store.DB, stdout io.Writer) error {
	list, err := st.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migrate status: %w", err)
	}
	pending := 0
	for _, m := range list {
		state := "applied"
		if !m.Applied {
			state, pending = "pending", pending+1
		} else if !m.AppliedAt.IsZero() {
			state += " " + m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%-32s %s\n", m, state)
	}
	fmt.Fprintf(stdout, "migrate status: %d applied, %d pending\n", len(list)-pending, pending)
	return nil
}

const demoSummary = `Seed a demo region (6 organizations, 2 teams, 12 professionals, 40 households) and print
commands to try the API with dev tokens. Running it again on the same database changes nothing
and prints the same commands.`

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "[flags]", demoSummary)
	var c common
	c.register(fs)
	addr := fs.String("addr", "localhost:8080", "address of the server the printed commands call")
	src, err := parseFlags(fs, args, envSpec{prefix: "VEILIG", only: append(commonFlagNames, "addr")}, stdout)
	if err != nil {
		return err
	}
	if err := errors.Join(noArguments(fs), c.check(src)); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	st, err := c.openStore(ctx, log, true) // seeding a demo is an explicit, setup-time command
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	region, err := demo.Seed(ctx, st, time.Now(), func(done, total int) {
		if done%10 == 0 || done == total {
			fmt.Fprintf(stderr, "demo: seeded %d/%d households\n", done, total)
		}
	})
	if err != nil {
		return err
	}
	veilig := invocation(os.Args[0], executable(), exec.LookPath)
	var dataDir string // the printed commands use this demo's data folder, whose key signs tokens
	if c.dataDir != "veilig-data" {
		dataDir = " --data-dir " + shellQuote(c.dataDir)
	}
	// The printed commands name this demo's database the way it was given: a variable is read
	// by them too; a URL on the command line is repeated unless it may hold a password.
	var database string
	if c.databaseURL != "" && src.of("database-url") == "--database-url" {
		if storeopen.Check(c.databaseURL) == nil && !strings.ContainsAny(c.databaseURL, "@?") {
			database = " --database-url " + shellQuote(c.databaseURL)
		} else {
			database = ` --database-url "$VEILIG_DATABASE_URL"`
			fmt.Fprintln(stderr, "demo: the printed commands read the database URL from VEILIG_DATABASE_URL: export it (it is not printed, as it may hold a password)")
		}
	}
	serve := veilig + " serve" + dataDir + database
	if !c.embedded() {
		serve += " --dev-issuer=on   # dev tokens beside a shared database: demos and tests only"
	}
	token := veilig + " token" + dataDir + database
	base := "http://" + callAddr(*addr)
	fmt.Fprintf(stdout, `demo: the demo region is in place: %d organizations, 2 teams, 12 professionals and %d households (%s);
running demo again changes nothing and prints these same commands.

Try it: start the server in another terminal,

  %s

then, here:

  TOKEN=$(%s --user %s)   # a lead professional
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{}' %s/veilig.v1.DirectoryService/GetMe
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"pageSize": 5}' %s/veilig.v1.HouseholdService/ListHouseholds
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"householdId": "%s"}' %s/veilig.v1.PlanService/GetPlan

  SUPERVISOR=$(%s --user %s)
  OTHER_TEAM=$(%s --user %s)   # answers NotFound for that household
`, len(region.OrganizationIDs), len(region.HouseholdIDs), time.Since(start).Round(time.Millisecond), serve,
		token, region.LeadID, base, base, region.FirstHouseholdID, base, token, region.SupervisorID, token, region.OtherTeamProfessionalID)
	return nil
}

// callAddr is the address a client calls for a server listening on addr: a listener on every
// interface (":8080", "0.0.0.0:8080") is called on localhost.
func callAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// executable is the running binary's resolved path, or "" when it cannot be told.
func executable() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// invocation is how a printed command should start so that it runs this binary as printed:
// "veilig" when that name on PATH is this binary; "go run ./backend/cmd/veilig" when this is
// a binary 'go run' built (in a go-build temporary folder, which is gone after the run); else
// the path it was started by (./veilig, /opt/veilig/bin/veilig).
func invocation(argv0, exe string, lookPath func(string) (string, error)) string {
	if p, err := lookPath("veilig"); err == nil && exe != "" {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		if abs, err := filepath.Abs(p); err == nil && abs == exe {
			return "veilig"
		}
	}
	if exe == "" || strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return "go run ./backend/cmd/veilig"
	}
	return shellQuote(argv0)
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain path characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", "--user ID [flags]", "Print a short-lived token of the dev issuer (its key is in --data-dir) for professional ID: for 'veilig serve' with the dev issuer on.")
	var c common
	c.register(fs)
	user := fs.String("user", "", "professional id (the token's subject); required")
	device := fs.String("device", "dev-device", "device id carried in the token")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid; at most --max-token-lifetime")
	maxLifetime := maxTokenLifetime(fs)
	src, err := parseFlags(fs, args, envSpec{prefix: "VEILIG", only: append(commonFlagNames, "max-token-lifetime")}, stdout)
	if err != nil {
		return err
	}
	if err := errors.Join(noArguments(fs), c.check(src), checkMaxTokenLifetime(src, *maxLifetime), wantPositive(src, "ttl", *ttl)); err != nil {
		return fmt.Errorf("token: %w", err)
	}
	if *user == "" {
		return fmt.Errorf("token: --user is required")
	}
	if *ttl > *maxLifetime {
		return fmt.Errorf("token: --ttl=%v exceeds %s=%v: the server refuses tokens that live longer", *ttl, src.of("max-token-lifetime"), *maxLifetime)
	}
	dev, err := auth.LoadOrCreateDevIssuer(c.dataDir)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	if warning := unknownUserWarning(ctx, &c, *user); warning != "" {
		fmt.Fprintln(stderr, "token: warning:", warning)
	}
	tok, err := dev.Sign(*user, *device, *ttl)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// unknownUserWarning says why a token for user may be refused by the server: the user is not a
// professional in the database, or the database could not be asked. It reads the database
// without creating or migrating it (signing a token is no reason to change a database), and
// returns "" for a known professional. Errors are not repeated: they may name the database.
func unknownUserWarning(ctx context.Context, c *common, user string) string {
	url := c.databaseURL
	if kind, path := storeopen.Parse(url); url == "" || kind == storeopen.KindSQLite {
		if url == "" {
			path = filepath.Join(c.dataDir, "veilig.db")
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Sprintf("there is no database at %s yet, so whether %q is a professional was not checked (run 'veilig demo' or 'veilig serve' first)", path, user)
		}
		url = "sqlite://" + path
	}
	st, err := storeopen.Open(ctx, url)
	if err != nil {
		return fmt.Sprintf("the database could not be opened, so whether %q is a professional was not checked", user)
	}
	defer st.Close()
	_, err = st.ProfessionalGet(ctx, user)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Sprintf("%q is not a professional in the database: the server will answer permission_denied for this token", user)
	case err != nil:
		return fmt.Sprintf("the database could not be read, so whether %q is a professional was not checked", user)
	}
	return ""
}
