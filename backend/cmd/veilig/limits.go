package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/veilig/veilig/backend/app"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/mobile-api/careapi"
	"github.com/veilig/veilig/mobile-api/familylink"
)

// limitFlags are the resource limits of `veilig serve` (issue 13): the HTTP server's
// deadlines and caps, the push and household quotas, and the family page's limits. Each
// has an environment variable; a malformed one is an error, not a silent default, because
// a limit that quietly falls back is a limit nobody set.
type limitFlags struct {
	readHeaderTimeout, bodyTimeout, idleTimeout         time.Duration
	writeTimeout                                        time.Duration
	maxConnections, maxInFlight, maxHTTP2Streams        int
	logFailuresPerSecond                                int
	mutationsPerPush, mutationsPerMinute, pushBytesPerM int
	householdBytes                                      int64
	familyLinkRate, familyAddressRate                   int
	familyPINFailures, familyBlockAlert                 int
	err                                                 error
}

func (l *limitFlags) envInt(name string, def int) int {
	v, ok := os.LookupEnv("VEILIG_" + name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil && l.err == nil {
		l.err = fmt.Errorf("VEILIG_%s: want a whole number such as %d: %w", name, def, err)
	}
	return n
}

func (l *limitFlags) envDuration(name string, def time.Duration) time.Duration {
	v, ok := os.LookupEnv("VEILIG_" + name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil && l.err == nil {
		l.err = fmt.Errorf("VEILIG_%s: want a duration such as %s: %w", name, def, err)
	}
	return d
}

// register adds the flags to fs; a malformed environment value is reported by check.
func (l *limitFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&l.readHeaderTimeout, "read-header-timeout", l.envDuration("READ_HEADER_TIMEOUT", server.DefaultReadHeaderTimeout),
		"longest time to read a request's headers (VEILIG_READ_HEADER_TIMEOUT)")
	fs.DurationVar(&l.bodyTimeout, "body-timeout", l.envDuration("BODY_TIMEOUT", server.DefaultBodyTimeout),
		"longest time to read a request's body, on every route; a trickled body is cut (VEILIG_BODY_TIMEOUT)")
	fs.DurationVar(&l.idleTimeout, "idle-timeout", l.envDuration("IDLE_TIMEOUT", server.DefaultIdleTimeout),
		"how long an idle keep-alive connection stays open (VEILIG_IDLE_TIMEOUT)")
	fs.DurationVar(&l.writeTimeout, "write-timeout", l.envDuration("WRITE_TIMEOUT", server.DefaultWriteTimeout),
		"longest time to answer a request that is not a stream; a client reading its answer slowly is cut (VEILIG_WRITE_TIMEOUT)")
	fs.IntVar(&l.maxConnections, "max-connections", l.envInt("MAX_CONNECTIONS", server.DefaultMaxConnections),
		"most open client connections; more wait to be accepted (VEILIG_MAX_CONNECTIONS)")
	fs.IntVar(&l.maxInFlight, "max-in-flight", l.envInt("MAX_IN_FLIGHT", server.DefaultMaxInFlight),
		"most requests handled at once, streams aside; more are refused with resource_exhausted (VEILIG_MAX_IN_FLIGHT)")
	fs.IntVar(&l.maxHTTP2Streams, "max-http2-streams", l.envInt("MAX_HTTP2_STREAMS", server.DefaultMaxConcurrentStreams),
		"most concurrent HTTP/2 streams of one connection; also bounds a rapid-reset flood (VEILIG_MAX_HTTP2_STREAMS)")
	fs.IntVar(&l.logFailuresPerSecond, "log-failures-per-second", l.envInt("LOG_FAILURES_PER_SECOND", server.DefaultFailureLogRate),
		"most access-log lines a second for one route and failure code; the rest are counted (VEILIG_LOG_FAILURES_PER_SECOND)")
	fs.IntVar(&l.mutationsPerPush, "max-mutations-per-push", l.envInt("MAX_MUTATIONS_PER_PUSH", careapi.DefaultMutationsPerPush),
		"most mutations in one SyncService/Push (VEILIG_MAX_MUTATIONS_PER_PUSH)")
	fs.IntVar(&l.mutationsPerMinute, "max-mutations-per-minute", l.envInt("MAX_MUTATIONS_PER_MINUTE", careapi.DefaultMutationsPerMinute),
		"most mutations one device pushes a minute (VEILIG_MAX_MUTATIONS_PER_MINUTE)")
	fs.IntVar(&l.pushBytesPerM, "max-push-bytes-per-minute", l.envInt("MAX_PUSH_BYTES_PER_MINUTE", careapi.DefaultPushBytesPerMinute),
		"most field bytes one device pushes a minute (VEILIG_MAX_PUSH_BYTES_PER_MINUTE)")
	fs.Int64Var(&l.householdBytes, "max-household-bytes", int64(l.envInt("MAX_HOUSEHOLD_BYTES", careapi.DefaultHouseholdBytes)),
		"largest a household's data may grow by edits, as a first pull sends it (VEILIG_MAX_HOUSEHOLD_BYTES)")
	fs.IntVar(&l.familyLinkRate, "family-link-rate", l.envInt("FAMILY_LINK_RATE", int(familylink.DefaultPerLinkRate.PerMinute)),
		"family page requests a minute for one link from one address (VEILIG_FAMILY_LINK_RATE)")
	fs.IntVar(&l.familyAddressRate, "family-address-rate", l.envInt("FAMILY_ADDRESS_RATE", int(familylink.DefaultPerAddressRate.PerMinute)),
		"family page requests a minute from one address or IPv6 /64 (VEILIG_FAMILY_ADDRESS_RATE)")
	fs.IntVar(&l.familyPINFailures, "family-pin-failures", l.envInt("FAMILY_PIN_FAILURES", familylink.DefaultMaxPINFailures),
		"wrong PINs over a link's life that lock it and alert the care team (VEILIG_FAMILY_PIN_FAILURES)")
	fs.IntVar(&l.familyBlockAlert, "family-block-alert", l.envInt("FAMILY_BLOCK_ALERT", familylink.DefaultBlockAlert.Refusals),
		"refused family page requests for one link within 10 minutes that alert the care team (VEILIG_FAMILY_BLOCK_ALERT)")
}

// check validates the parsed limits: every one must allow something.
func (l *limitFlags) check() error {
	if l.err != nil {
		return l.err
	}
	for name, d := range map[string]time.Duration{"--read-header-timeout": l.readHeaderTimeout, "--body-timeout": l.bodyTimeout, "--idle-timeout": l.idleTimeout,
		"--write-timeout": l.writeTimeout} {
		if d <= 0 {
			return fmt.Errorf("%s: want a positive duration, got %s", name, d)
		}
	}
	for name, n := range map[string]int64{"--max-connections": int64(l.maxConnections), "--max-in-flight": int64(l.maxInFlight),
		"--max-http2-streams": int64(l.maxHTTP2Streams), "--log-failures-per-second": int64(l.logFailuresPerSecond),
		"--max-mutations-per-push": int64(l.mutationsPerPush), "--max-mutations-per-minute": int64(l.mutationsPerMinute),
		"--max-push-bytes-per-minute": int64(l.pushBytesPerM), "--max-household-bytes": l.householdBytes,
		"--family-link-rate": int64(l.familyLinkRate), "--family-address-rate": int64(l.familyAddressRate),
		"--family-pin-failures": int64(l.familyPINFailures), "--family-block-alert": int64(l.familyBlockAlert)} {
		if n < 1 {
			return fmt.Errorf("%s: want at least 1, got %d", name, n)
		}
	}
	return nil
}

// serverConfig sets the server's limits in cfg.
func (l *limitFlags) serverConfig(cfg server.Config) server.Config {
	cfg.ReadHeaderTimeout, cfg.BodyTimeout, cfg.IdleTimeout = l.readHeaderTimeout, l.bodyTimeout, l.idleTimeout
	cfg.WriteTimeout = l.writeTimeout
	cfg.MaxConnections, cfg.MaxInFlight, cfg.MaxConcurrentStreams = l.maxConnections, l.maxInFlight, l.maxHTTP2Streams
	cfg.FailureLogRate = l.logFailuresPerSecond
	return cfg
}

// appConfig sets the quotas and the family page's limits in cfg. Bursts keep the default
// limits' proportions (per link: half a minute's rate; per address: a third).
func (l *limitFlags) appConfig(cfg app.Config) app.Config {
	cfg.Quotas = careapi.Quotas{MutationsPerPush: l.mutationsPerPush, MutationsPerMinute: l.mutationsPerMinute,
		PushBytesPerMinute: l.pushBytesPerM, HouseholdBytes: l.householdBytes}
	cfg.FamilyPerLinkRate = familylink.Limit{PerMinute: float64(l.familyLinkRate), Burst: max(1, l.familyLinkRate/2)}
	cfg.FamilyPerAddressRate = familylink.Limit{PerMinute: float64(l.familyAddressRate), Burst: max(1, l.familyAddressRate/3)}
	cfg.FamilyMaxPINFailures = int32(min(l.familyPINFailures, 1<<30))
	cfg.FamilyBlockAlert = familylink.BlockAlert{Refusals: l.familyBlockAlert, Window: familylink.DefaultBlockAlert.Window,
		Every: familylink.DefaultBlockAlert.Every}
	return cfg
}
