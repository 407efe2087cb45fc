package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/veilig/veilig/backend/demo"
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

func runToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	user := fs.String("user", "", "professional id (the token's subject); required")
	device := fs.String("device", "dev-device", "device id carried in the token")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" {
		return fmt.Errorf("token: --user is required")
	}
	dev, err := auth.LoadOrCreateDevIssuer(c.dataDir)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	tok, err := dev.Sign(*user, *device, *ttl)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
