package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/veilig/veilig/backend/demo"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storeopen"
	"github.com/veilig/veilig/mobile-api/auth"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	st, err := c.openStore(ctx, log, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrate: database is up to date (%s)\n", time.Since(start).Round(time.Millisecond))
	return st.Close()
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	addr := fs.String("addr", envDefault("ADDR", "localhost:8080"), "address the printed commands call")
	if err := fs.Parse(args); err != nil {
		return err
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
	fmt.Fprintf(stdout, `demo: seeded %d organizations, 2 teams, 12 professionals and %d households in %s.

Try it (in another terminal, with 'veilig serve' running):

  TOKEN=$(veilig token --user %s)   # a lead professional
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{}' http://%s/veilig.v1.DirectoryService/GetMe
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"pageSize": 5}' http://%s/veilig.v1.HouseholdService/ListHouseholds
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"householdId": "%s"}' http://%s/veilig.v1.PlanService/GetPlan

  SUPERVISOR=$(veilig token --user %s)
  OTHER_TEAM=$(veilig token --user %s)   # answers NotFound for that household
`, len(region.OrganizationIDs), len(region.HouseholdIDs), time.Since(start).Round(time.Millisecond),
		region.LeadID, *addr, *addr, region.FirstHouseholdID, *addr, region.SupervisorID, region.OtherTeamProfessionalID)
	return nil
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	user := fs.String("user", "", "professional id (the token's subject); required")
	device := fs.String("device", "dev-device", "device id carried in the token")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid; at most --max-token-lifetime")
	maxLifetime, err := maxTokenLifetime(fs)
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" {
		return fmt.Errorf("token: --user is required")
	}
	if err := checkMaxTokenLifetime(*maxLifetime); err != nil {
		return err
	}
	if *ttl <= 0 {
		return fmt.Errorf("token: --ttl must be positive, got %v", *ttl)
	}
	if *ttl > *maxLifetime {
		return fmt.Errorf("token: --ttl %v exceeds --max-token-lifetime %v: the server refuses tokens that live longer", *ttl, *maxLifetime)
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
