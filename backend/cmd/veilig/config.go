package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/veilig/veilig/backend/logging"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/backend/store/storeopen"
	"github.com/veilig/veilig/mobile-api/auth"
)

// common holds the flags every command shares.
type common struct {
	dataDir     string
	databaseURL string
	logFormat   string
	logLevel    string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dataDir, "data-dir", "veilig-data", "folder for the embedded database and the dev signing key")
	fs.StringVar(&c.databaseURL, "database-url", "", "postgres://… or postgresql://… for PostgreSQL or CockroachDB, sqlite://PATH for an SQLite file; empty means embedded SQLite in --data-dir")
	fs.StringVar(&c.logFormat, "log-format", "auto", "json, console, or auto: console on a terminal, else JSON")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
}

// check validates the parsed common flags, naming each flag by where its value came from.
func (c *common) check(src flagSources) error {
	if c.databaseURL != "" {
		if err := storeopen.Check(c.databaseURL); err != nil {
			return fmt.Errorf("%s: %w", src.of("database-url"), err)
		}
	}
	if _, err := logging.New(io.Discard, c.logFormat, "info"); err != nil {
		return fmt.Errorf("%s: %w", src.of("log-format"), err)
	}
	if _, err := logging.New(io.Discard, "json", c.logLevel); err != nil {
		return fmt.Errorf("%s: %w", src.of("log-level"), err)
	}
	return nil
}

// embedded reports whether the command runs on an embedded SQLite database (the default, or
// a sqlite:// URL).
func (c *common) embedded() bool {
	kind, _ := storeopen.Parse(c.databaseURL)
	return c.databaseURL == "" || kind == storeopen.KindSQLite
}

func (c *common) logger(w io.Writer) (zerolog.Logger, error) {
	return logging.New(w, c.logFormat, c.logLevel)
}

// open opens the configured database as it is, migrating nothing; the embedded one's folder
// is created.
func (c *common) open(ctx context.Context) (*store.DB, error) {
	url := c.databaseURL
	if url == "" {
		if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
		url = "sqlite://" + filepath.Join(c.dataDir, "veilig.db")
	}
	return storeopen.Open(ctx, url)
}

// openStore opens the configured database. The embedded one is migrated on open, because a
// new user must get a working backend without a separate step; a shared PostgreSQL or
// CockroachDB is migrated only by `veilig migrate` (an operator's decision, made once for
// every server), so with migrate false a schema behind this binary is an error.
func (c *common) openStore(ctx context.Context, log zerolog.Logger, migrate bool) (*store.DB, error) {
	st, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	if migrate || c.embedded() {
		start := time.Now()
		applied, err := st.MigrateUp(ctx)
		for _, m := range applied {
			log.Info().Int64("version", m.Version).Str("migration", m.Name).Dur("took", m.Took).Msg("applied migration")
		}
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("migrate database: %w", err)
		}
		log.Info().Int("applied", len(applied)).Int64("took_ms", time.Since(start).Milliseconds()).Msg("database schema up to date")
		return st, nil
	}
	pending, err := st.MigrationsPending(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if pending {
		st.Close()
		return nil, errors.New("the database schema is older than this binary: run 'veilig migrate' with the same --database-url first")
	}
	return st, nil
}

// issuerList is a repeatable --issuer flag: ISSUER,JWKS_URL,AUDIENCE,ORGANIZATION_ID.
type issuerList []auth.IssuerConfig

// String implements flag.Value.
func (l *issuerList) String() string { return fmt.Sprint(len(*l), " issuers") }

// Set implements flag.Value: one or more ";"-separated ISSUER,JWKS_URL,AUDIENCE,ORGANIZATION_ID
// entries. Every identity provider is bound to one organization (a UUID of the directory), so
// an entry without one is refused, not defaulted.
func (l *issuerList) Set(v string) error {
	for _, one := range strings.Split(v, ";") {
		one = strings.TrimSpace(one)
		if one == "" {
			continue
		}
		parts := strings.Split(one, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		if len(parts) == 3 {
			return fmt.Errorf("issuer %q has no ORGANIZATION_ID: want ISSUER,JWKS_URL,AUDIENCE,ORGANIZATION_ID, every identity provider is bound to the one organization whose professionals it signs in", one)
		}
		if len(parts) != 4 || slices.Contains(parts, "") {
			return fmt.Errorf("issuer %q: want ISSUER,JWKS_URL,AUDIENCE,ORGANIZATION_ID", one)
		}
		if err := auth.CheckOrganizationID(parts[3]); err != nil {
			return fmt.Errorf("issuer %q: ORGANIZATION_ID: %w", one, err)
		}
		*l = append(*l, auth.IssuerConfig{Issuer: parts[0], JWKSURL: parts[1], Audience: parts[2], OrganizationID: parts[3]})
	}
	return nil
}

// maxTokenLifetime registers --max-token-lifetime (VEILIG_MAX_TOKEN_LIFETIME), the longest
// lifetime a token may have: serve refuses longer ones of every issuer, and token does not
// sign them.
func maxTokenLifetime(fs *flag.FlagSet) *time.Duration {
	return fs.Duration("max-token-lifetime", auth.DefaultMaxTokenLifetime, "longest lifetime (exp - iat) of a token of any issuer, dev included; longer ones are refused")
}

// checkMaxTokenLifetime validates the parsed --max-token-lifetime.
func checkMaxTokenLifetime(src flagSources, d time.Duration) error {
	return wantPositive(src, "max-token-lifetime", d)
}
