package main

import (
	"errors"
	"flag"
	"time"

	"github.com/veilig/veilig/backend/app"
	"github.com/veilig/veilig/backend/server"
	"github.com/veilig/veilig/mobile-api/careapi"
	"github.com/veilig/veilig/mobile-api/familylink"
)

// limitFlags are the resource limits of `veilig serve` (issue 13): the HTTP server's
// deadlines and caps, the push and household quotas, and the family page's limits. Each
// has an environment variable (parseFlags); a malformed one is an error, not a silent
// default, because a limit that quietly falls back is a limit nobody set.
type limitFlags struct {
	readHeaderTimeout, bodyTimeout, idleTimeout         time.Duration
	writeTimeout                                        time.Duration
	maxConnections, maxInFlight, maxHTTP2Streams        int
	logFailuresPerSecond                                int
	mutationsPerPush, mutationsPerMinute, pushBytesPerM int
	householdBytes                                      int64
	familyLinkRate, familyAddressRate                   int
	familyPINFailures, familyBlockAlert                 int
}

// register adds the flags to fs.
func (l *limitFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&l.readHeaderTimeout, "read-header-timeout", server.DefaultReadHeaderTimeout,
		"longest time to read a request's headers")
	fs.DurationVar(&l.bodyTimeout, "body-timeout", server.DefaultBodyTimeout,
		"longest time to read a request's body, on every route; a trickled body is cut")
	fs.DurationVar(&l.idleTimeout, "idle-timeout", server.DefaultIdleTimeout,
		"how long an idle keep-alive connection stays open")
	fs.DurationVar(&l.writeTimeout, "write-timeout", server.DefaultWriteTimeout,
		"longest time to answer a request that is not a stream; a client reading its answer slowly is cut")
	fs.IntVar(&l.maxConnections, "max-connections", server.DefaultMaxConnections,
		"most open client connections; more wait to be accepted")
	fs.IntVar(&l.maxInFlight, "max-in-flight", server.DefaultMaxInFlight,
		"most requests handled at once, streams aside; more are refused with resource_exhausted")
	fs.IntVar(&l.maxHTTP2Streams, "max-http2-streams", server.DefaultMaxConcurrentStreams,
		"most concurrent HTTP/2 streams of one connection; also bounds a rapid-reset flood")
	fs.IntVar(&l.logFailuresPerSecond, "log-failures-per-second", server.DefaultFailureLogRate,
		"most access-log lines a second for one route and failure code; the rest are counted")
	fs.IntVar(&l.mutationsPerPush, "max-mutations-per-push", careapi.DefaultMutationsPerPush,
		"most mutations in one SyncService/Push")
	fs.IntVar(&l.mutationsPerMinute, "max-mutations-per-minute", careapi.DefaultMutationsPerMinute,
		"most mutations one device pushes a minute")
	fs.IntVar(&l.pushBytesPerM, "max-push-bytes-per-minute", careapi.DefaultPushBytesPerMinute,
		"most field bytes one device pushes a minute")
	fs.Int64Var(&l.householdBytes, "max-household-bytes", int64(careapi.DefaultHouseholdBytes),
		"largest a household's data may grow by edits, as a first pull sends it")
	fs.IntVar(&l.familyLinkRate, "family-link-rate", int(familylink.DefaultPerLinkRate.PerMinute),
		"family page requests a minute for one link from one address")
	fs.IntVar(&l.familyAddressRate, "family-address-rate", int(familylink.DefaultPerAddressRate.PerMinute),
		"family page requests a minute from one address or IPv6 /64")
	fs.IntVar(&l.familyPINFailures, "family-pin-failures", familylink.DefaultMaxPINFailures,
		"wrong PINs over a link's life that lock it and alert the care team")
	fs.IntVar(&l.familyBlockAlert, "family-block-alert", familylink.DefaultBlockAlert.Refusals,
		"refused family page requests for one link within 10 minutes that alert the care team")
}

// check validates the parsed limits: every one must allow something.
func (l *limitFlags) check(src flagSources) error {
	var errs []error
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"read-header-timeout", l.readHeaderTimeout}, {"body-timeout", l.bodyTimeout}, {"idle-timeout", l.idleTimeout},
		{"write-timeout", l.writeTimeout}} {
		errs = append(errs, wantPositive(src, d.name, d.d))
	}
	for _, n := range []struct {
		name string
		n    int64
	}{{"max-connections", int64(l.maxConnections)}, {"max-in-flight", int64(l.maxInFlight)},
		{"max-http2-streams", int64(l.maxHTTP2Streams)}, {"log-failures-per-second", int64(l.logFailuresPerSecond)},
		{"max-mutations-per-push", int64(l.mutationsPerPush)}, {"max-mutations-per-minute", int64(l.mutationsPerMinute)},
		{"max-push-bytes-per-minute", int64(l.pushBytesPerM)}, {"max-household-bytes", l.householdBytes},
		{"family-link-rate", int64(l.familyLinkRate)}, {"family-address-rate", int64(l.familyAddressRate)},
		{"family-pin-failures", int64(l.familyPINFailures)}, {"family-block-alert", int64(l.familyBlockAlert)}} {
		errs = append(errs, wantAtLeast(src, n.name, n.n, 1))
	}
	return errors.Join(errs...)
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
