package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/household"
)

// runAdminInit makes the region's first regional administrator on the server's own database
// (`veilig admin init`): once, on a region without one. It prints the administrator's id on
// stdout and what to do next on stderr.
func runAdminInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin init", "--organization NAME --name NAME [flags]", "Create the region's first regional administrator, on the server's own database; prints its id.")
	var c common
	c.register(fs)
	orgName := fs.String("organization", "", "the administrator's organization, created when missing (its name); required")
	orgID := fs.String("organization-id", "", "that organization's id (default: derived from its name)")
	name := fs.String("name", "", "the administrator's name; required")
	email := fs.String("email", "", "the administrator's work e-mail")
	issuer := fs.String("issuer", "", "the organization's identity provider (https URL of the tokens' iss), bound to it; empty for embedded dev mode")
	jwks := fs.String("jwks-url", "", "with --issuer: where it publishes its keys")
	audience := fs.String("audience", "", "with --issuer: the tokens' audience")
	subject := fs.String("subject", "", "with --issuer: the administrator's subject at it")
	src, err := parseFlags(fs, args, envSpec{prefix: "VEILIG", only: commonFlagNames}, stdout)
	if err != nil {
		return err
	}
	if err := errors.Join(noArguments(fs), c.check(src)); err != nil {
		return fmt.Errorf("admin init: %w", err)
	}
	if *orgName == "" || *name == "" {
		return errors.New("admin init: --organization and --name are required")
	}
	withIssuer := []string{*issuer, *jwks, *audience, *subject}
	if n := len(withIssuer) - countEmpty(withIssuer); n != 0 && n != 4 {
		return errors.New("admin init: --issuer, --jwks-url, --audience and --subject go together")
	}
	if *issuer != "" && !strings.HasPrefix(*issuer, "https://") {
		return errors.New("admin init: --issuer must be an https URL")
	}
	if *orgID == "" {
		*orgID = household.DerivedID("organization", *orgName) // as `admin org create` derives it
	} else if _, err := uuid.Parse(*orgID); err != nil {
		return fmt.Errorf("admin init: --organization-id %q is not a UUID", *orgID)
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	st, err := c.openStore(ctx, log, true)
	if err != nil {
		return err
	}
	defer st.Close()
	admin, err := household.New(st, nil).InitRegion(ctx, household.RegionInit{OrganizationID: *orgID, OrganizationName: *orgName,
		Issuer: *issuer, JWKSURL: *jwks, Audience: *audience, Subject: *subject, Name: *name, Email: *email})
	if errors.Is(err, household.ErrRegionStarted) {
		return fmt.Errorf("admin init: the region has a regional administrator already (%s); nothing was changed", admin.ID)
	}
	if err != nil {
		return fmt.Errorf("admin init: %w", err)
	}
	// The id alone on stdout, so that ADMIN=$(veilig admin init …) works; the rest on stderr.
	fmt.Fprintln(stdout, admin.ID)
	fmt.Fprintf(stderr, "admin init: regional administrator %s created in organization %s\n", admin.ID, *orgID)
	if *issuer != "" {
		fmt.Fprintf(stderr, "  signs in with a token of %s for subject %s; the server trusts that issuer from its next start (or within a minute)\n", *issuer, *subject)
	} else {
		fmt.Fprintf(stderr, "  embedded dev mode: export VEILIG_TOKEN=$(go run ./backend/cmd/veilig token --user %s)\n", admin.ID)
	}
	return nil
}

func countEmpty(vs []string) int {
	n := 0
	for _, v := range vs {
		if v == "" {
			n++
		}
	}
	return n
}
