package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// unsetVeiligEnv clears every VEILIG_* variable of the developer's shell for the test.
func unsetVeiligEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "VEILIG_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

// TestBadSettingsAreRefused: every malformed environment value and every refused flag
// combination stops the command before it opens a database or a port, with an error that
// names the flag or variable and the value (issue 15).
func TestBadSettingsAreRefused(t *testing.T) {
	tests := []struct {
		name string
		env  []string // KEY=VALUE
		args []string // --data-dir is added
		want []string // parts of the error
	}{
		{"a scheduler interval that is no duration", []string{"VEILIG_SCHEDULER_INTERVAL=abc"}, []string{"worker"},
			[]string{`VEILIG_SCHEDULER_INTERVAL="abc": invalid duration`}},
		{"the same in serve", []string{"VEILIG_SCHEDULER_INTERVAL=abc"}, []string{"serve"},
			[]string{`serve: VEILIG_SCHEDULER_INTERVAL="abc": invalid duration`}},
		{"a push lease without a unit", []string{"VEILIG_PUSH_LEASE=60"}, []string{"worker"},
			[]string{`VEILIG_PUSH_LEASE="60": invalid duration`}},
		{"a negative push lease", []string{"VEILIG_PUSH_LEASE=-1m"}, []string{"worker"},
			[]string{`VEILIG_PUSH_LEASE=-1m0s: want a positive duration`}},
		{"a zero scheduler interval on the command line", nil, []string{"worker", "--scheduler-interval", "0s"},
			[]string{`--scheduler-interval=0s: want a positive duration`}},
		{"a request size with a unit", []string{"VEILIG_MAX_REQUEST_BYTES=1MB"}, []string{"serve"},
			[]string{`VEILIG_MAX_REQUEST_BYTES="1MB": invalid number: want a whole number`}},
		{"a request size of zero", []string{"VEILIG_MAX_REQUEST_BYTES=0"}, []string{"serve"},
			[]string{`VEILIG_MAX_REQUEST_BYTES=0: want at least 1`}},
		{"a limit out of range", []string{"VEILIG_MAX_IN_FLIGHT=99999999999999999999"}, []string{"serve"},
			[]string{`VEILIG_MAX_IN_FLIGHT="99999999999999999999": out of range`}},
		{"a limit on the command line", nil, []string{"serve", "--max-connections", "many"},
			[]string{`--max-connections="many": invalid number`}},
		{"a timeout that is no duration", []string{"VEILIG_WRITE_TIMEOUT=1 minute"}, []string{"serve"},
			[]string{`VEILIG_WRITE_TIMEOUT="1 minute": invalid duration`}},
		{"a stream cap that is no number", []string{"VEILIG_MAX_STREAMS_PER_DEVICE=two"}, []string{"serve"},
			[]string{`VEILIG_MAX_STREAMS_PER_DEVICE="two"`}},
		{"a token lifetime that is no duration", []string{"VEILIG_MAX_TOKEN_LIFETIME=a day"}, []string{"token", "--user", "u"},
			[]string{`VEILIG_MAX_TOKEN_LIFETIME="a day": invalid duration`}},
		{"a retention under an hour", []string{"VEILIG_RETENTION=30s"}, []string{"worker"},
			[]string{`VEILIG_RETENTION=30s: want at least 1h`}},
		{"a negative checkpoint interval", nil, []string{"worker", "--audit-checkpoint-interval=-1h"},
			[]string{`--audit-checkpoint-interval=-1h0m0s: want 0 (off) or a positive duration`}},
		{"a boolean that is no boolean", []string{"VEILIG_SIM_FAULTS=maybe"}, []string{"sim"},
			[]string{`VEILIG_SIM_FAULTS="maybe": invalid boolean: want true or false`}},
		{"a boolean flag that is no boolean", nil, []string{"audit", "verify", "--checkpoint=perhaps"},
			[]string{`--checkpoint="perhaps": invalid boolean`}},
		{"a scheduler switch that is neither on nor off", []string{"VEILIG_SCHEDULER=yes"}, []string{"serve"},
			[]string{`VEILIG_SCHEDULER="yes": want on or off`}},
		{"a proxy switch that is neither on nor off", nil, []string{"serve", "--trust-proxy", "true"},
			[]string{`--trust-proxy="true": want on or off`}},
		{"a dev issuer setting that is none", []string{"VEILIG_DEV_ISSUER=yes"}, []string{"serve"},
			[]string{`VEILIG_DEV_ISSUER="yes": want on or off or auto`}},
		{"a log level that is none", []string{"VEILIG_LOG_LEVEL=loud"}, []string{"worker"},
			[]string{`VEILIG_LOG_LEVEL: log level "loud"`}},
		{"a log format that is none", nil, []string{"migrate", "--log-format", "xml"},
			[]string{`--log-format: log format "xml"`}},
		{"a TLS certificate without its key", nil, []string{"serve", "--tls-cert", "cert.pem"},
			[]string{"--tls-cert is set but --tls-key (VEILIG_TLS_KEY) is not"}},
		{"a TLS key without its certificate, from the environment", []string{"VEILIG_TLS_KEY=key.pem"}, []string{"serve"},
			[]string{"VEILIG_TLS_KEY is set but --tls-cert (VEILIG_TLS_CERT) is not"}},
		{"a database file without a scheme", nil, []string{"migrate", "--database-url", "veilig.db"},
			[]string{`--database-url: database URL "veilig.db" has no scheme`, "sqlite://"}},
		{"a PostgreSQL address without a scheme", []string{"VEILIG_DATABASE_URL=localhost:5432/veilig"}, []string{"worker"},
			[]string{`VEILIG_DATABASE_URL: database URL "localhost:5432/veilig" has no scheme`, "postgres://"}},
		{"a database URL with a password and no scheme", []string{"VEILIG_DATABASE_URL=veilig:hunter2@db:5432/veilig"}, []string{"migrate"},
			[]string{"VEILIG_DATABASE_URL", "has no scheme"}},
		{"a database URL of another engine", nil, []string{"serve", "--database-url", "mysql://db/veilig"},
			[]string{`--database-url: database URL: unknown scheme "mysql"`}},
		{"a sim database without a scheme", []string{"VEILIG_SIM_DATABASE_URL=db/empty"}, []string{"sim"},
			[]string{`VEILIG_SIM_DATABASE_URL: database URL "db/empty" has no scheme`}},
		{"a public URL without a scheme", []string{"VEILIG_PUBLIC_URL=veilig.example.org"}, []string{"serve"},
			[]string{`VEILIG_PUBLIC_URL="veilig.example.org": want an http:// or https:// URL`}},
		{"an FCM endpoint without a scheme", nil, []string{"worker", "--fcm-project", "p", "--fcm-endpoint", "localhost:9099"},
			[]string{`--fcm-endpoint="localhost:9099": want an http:// or https:// URL`}},
		{"an issuer without organization", []string{"VEILIG_ISSUERS=https://login.example,https://login.example/keys,veilig-api"}, []string{"serve"},
			[]string{`VEILIG_ISSUERS="https://login.example,https://login.example/keys,veilig-api"`, "no ORGANIZATION_ID"}},
		{"both issuer variables", []string{"VEILIG_ISSUERS=a", "VEILIG_ISSUER=b"}, []string{"serve"},
			[]string{"VEILIG_ISSUER and VEILIG_ISSUERS both set --issuer: set one"}},
		{"an unknown flag", nil, []string{"serve", "--scheduler-intervall", "5s"},
			[]string{"serve: unknown flag --scheduler-intervall"}},
		{"a stray argument", nil, []string{"worker", "now"},
			[]string{`worker: unexpected argument "now"`}},
		{"a migrate subcommand after the flags", nil, []string{"migrate", "--log-level", "info", "status"},
			[]string{`"status" goes before the flags`}},
		{"a zero token lifetime", nil, []string{"token", "--user", "u", "--ttl", "0s"},
			[]string{"--ttl=0s: want a positive duration"}},
		{"a healthcheck URL without a scheme", nil, []string{"healthcheck", "--url", "127.0.0.1:9090/readyz"},
			[]string{`--url="127.0.0.1:9090/readyz": want an http:// or https:// URL`}},
		{"a healthcheck timeout that is no duration", []string{"VEILIG_HEALTHCHECK_TIMEOUT=soon"}, []string{"healthcheck"},
			[]string{`VEILIG_HEALTHCHECK_TIMEOUT="soon": invalid duration`}},
		{"a bench size that is no number, under the bench's own prefix", []string{"VEILIG_BENCH_ROUNDS=three"}, []string{"bench"},
			[]string{`VEILIG_BENCH_ROUNDS="three": invalid number`}},
		{"an admin server without a scheme", []string{"VEILIG_SERVER=127.0.0.1:8080", "VEILIG_TOKEN=t"}, []string{"admin", "team", "create", "--name", "T"},
			[]string{`VEILIG_SERVER="127.0.0.1:8080": want an http:// or https:// URL`}},
		{"two tokens in the environment", []string{"VEILIG_TOKEN=a", "VEILIG_TOKEN_FILE=b"}, []string{"admin", "team", "create", "--name", "T"},
			[]string{"VEILIG_TOKEN and VEILIG_TOKEN_FILE: give one of them"}},
		{"two tokens on the command line", []string{"VEILIG_TOKEN=a"}, []string{"admin", "team", "create", "--name", "T", "--token", "b", "--token-file", "c"},
			[]string{"--token and --token-file: give one of them"}},
		{"a token file on the command line replaces VEILIG_TOKEN", []string{"VEILIG_TOKEN=a"}, []string{"admin", "team", "create", "--name", "T", "--token-file", "missing"},
			[]string{"--token-file: open missing"}},
		{"an admin command's own flag is not read from the environment", []string{"VEILIG_NAME=Team Oost", "VEILIG_TOKEN=a"}, []string{"admin", "team", "create"},
			[]string{"admin team create: --name is required"}},
		{"an import batch of zero", []string{"VEILIG_TOKEN=a"}, []string{"import", "--batch", "0", "x.csv"},
			[]string{"import: --batch=0: want at least 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unsetVeiligEnv(t)
			for _, kv := range tt.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			dir := filepath.Join(t.TempDir(), "data")
			t.Setenv("VEILIG_DATA_DIR", dir) // for the commands that have a data folder
			args := tt.args
			stdout, stderr, err := veiligRun(args...)
			if err == nil || errors.Is(err, flag.ErrHelp) {
				t.Fatalf("veilig %s: %v, want a refusal\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("veilig %s: error %q does not say %q", strings.Join(args, " "), err, want)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error repeats a password: %v", err)
			}
			if _, statErr := os.Stat(dir); statErr == nil {
				t.Errorf("a refused command created its data folder")
			}
		})
	}
}

// TestEnvironmentSetsFlags: a variable sets its flag through the same parser, the command line
// wins, and the documented VEILIG_ISSUERS sets --issuer.
func TestEnvironmentSetsFlags(t *testing.T) {
	unsetVeiligEnv(t)
	t.Setenv("VEILIG_PUSH_LEASE", "2m")
	t.Setenv("VEILIG_SCHEDULER_INTERVAL", "3s")
	t.Setenv("VEILIG_ISSUERS", "https://a.example,https://a.example/keys,api,0b6f3f9e-4a8f-4d2b-9f7e-1c2d3e4f5a6b;https://b.example,https://b.example/keys,api,6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f")
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var sf schedulerFlags
	sf.register(fs)
	var issuers issuerList
	fs.Var(&issuers, "issuer", "")
	src, err := parseFlags(fs, []string{"--scheduler-interval", "5s"}, envSpec{prefix: "VEILIG", aliases: map[string]string{"VEILIG_ISSUERS": "issuer"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sf.lease.String() != "2m0s" || sf.interval.String() != "5s" {
		t.Errorf("lease %v, interval %v: want 2m from VEILIG_PUSH_LEASE and 5s from the command line over VEILIG_SCHEDULER_INTERVAL", sf.lease, sf.interval)
	}
	if len(issuers) != 2 || issuers[1].Issuer != "https://b.example" {
		t.Errorf("issuers %+v, want the two of VEILIG_ISSUERS", issuers)
	}
	want := flagSources{"push-lease": "VEILIG_PUSH_LEASE", "scheduler-interval": "--scheduler-interval", "issuer": "VEILIG_ISSUERS"}
	for name, source := range want {
		if src[name] != source {
			t.Errorf("source of --%s = %q, want %q", name, src[name], source)
		}
	}
}

// TestBenchAndSimIgnoreTheServersDatabase: bench creates and drops databases and sim needs an
// empty one, so neither reads VEILIG_DATABASE_URL.
func TestBenchAndSimIgnoreTheServersDatabase(t *testing.T) {
	unsetVeiligEnv(t)
	t.Setenv("VEILIG_DATABASE_URL", "postgres://veilig@db.internal/production")
	for _, spec := range []envSpec{{prefix: "VEILIG_BENCH"}, {prefix: "VEILIG_SIM"}} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		url := fs.String("database-url", "", "")
		if _, err := parseFlags(fs, nil, spec, nil); err != nil {
			t.Fatal(err)
		}
		if *url != "" {
			t.Errorf("%s_DATABASE_URL unset, yet --database-url = %q", spec.prefix, *url)
		}
	}
}

// TestHelp: 'veilig help <command>' and '<command> --help' print the command's usage on
// stdout and succeed; no command at all is a usage error.
func TestHelp(t *testing.T) {
	unsetVeiligEnv(t)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"Usage:", "veilig serve", "veilig help <command>"}},
		{[]string{"help", "serve"}, []string{"Usage: veilig serve [flags]", "-scheduler-interval", "$VEILIG_SCHEDULER_INTERVAL", "$VEILIG_ISSUERS"}},
		{[]string{"serve", "--help"}, []string{"Usage: veilig serve [flags]"}},
		{[]string{"worker", "-h"}, []string{"Usage: veilig worker [flags]", "-push-lease"}},
		{[]string{"help", "migrate"}, []string{"Usage: veilig migrate [up|status] [flags]", "already up to date"}},
		{[]string{"help", "bench"}, []string{"$VEILIG_BENCH_DATABASE_URL"}},
		{[]string{"help", "admin"}, []string{"veilig admin org create"}},
		{[]string{"help", "admin", "org", "create"}, []string{"Usage: veilig admin org create [flags]", "-name", "$VEILIG_SERVER"}},
		{[]string{"help", "audit"}, []string{"veilig audit verify"}},
		{[]string{"help", "audit", "verify"}, []string{"-audit-key-file"}},
		{[]string{"help", "import"}, []string{"FILE.csv"}},
		{[]string{"help", "healthcheck"}, []string{"-url", "readyz"}},
		{[]string{"help", "token"}, []string{"-user"}},
		{[]string{"help", "version"}, []string{"Usage: veilig version"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, _, err := veiligRun(tt.args...)
			if err != nil && !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("veilig %v: %v, want success", tt.args, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(stdout, want) {
					t.Errorf("veilig %v: stdout lacks %q:\n%s", tt.args, want, stdout)
				}
			}
			if strings.Contains(stdout, "$VEILIG_NAME") || strings.Contains(stdout, "$VEILIG_USER") {
				t.Errorf("veilig %v: lists a variable for a flag the environment does not set:\n%s", tt.args, stdout)
			}
		})
	}
	if _, _, err := veiligRun("help", "frobnicate"); err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Errorf("help frobnicate: %v", err)
	}
	if _, _, err := veiligRun(); !errors.Is(err, errNoCommand) {
		t.Errorf("no command: %v, want errNoCommand (exit 2)", err)
	}
	if _, _, err := veiligRun("admin"); !errors.Is(err, errNoCommand) {
		t.Errorf("admin without a command: %v, want errNoCommand (exit 2)", err)
	}
}

func TestDescribeVersion(t *testing.T) {
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/veilig/veilig", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	tests := []struct {
		name, ldflags string
		info          *debug.BuildInfo
		want          string
	}{
		{"-ldflags wins", "v1.4.0", info("v1.3.0", "vcs.revision", "0123456789abcdef"), "v1.4.0"},
		{"module version and revision", "dev", info("v1.4.0", "vcs.revision", "0123456789abcdef0123", "vcs.modified", "false"), "v1.4.0 (revision 0123456789ab)"},
		{"a modified checkout", "dev", info("(devel)", "vcs.revision", "0123456789abcdef", "vcs.modified", "true"), "dev (revision 0123456789ab, modified)"},
		{"a module version alone (go install …@v1.4.0)", "dev", info("v1.4.0"), "v1.4.0"},
		{"nothing known", "dev", info("(devel)"), "dev (no VCS revision in this build)"},
		{"no build information", "dev", nil, "dev (no build information)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeVersion(tt.ldflags, tt.info, tt.info != nil); got != tt.want {
				t.Errorf("describeVersion = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestInvocation: the commands demo prints run as printed, however veilig was started.
func TestInvocation(t *testing.T) {
	dir := t.TempDir()
	onPath := filepath.Join(dir, "bin", "veilig")
	other := filepath.Join(dir, "old", "veilig")
	goBuild := filepath.Join(os.TempDir(), "go-build123456", "b001", "exe", "veilig")
	found := func(p string) func(string) (string, error) {
		return func(string) (string, error) { return p, nil }
	}
	notFound := func(string) (string, error) { return "", exec.ErrNotFound }
	tests := []struct {
		name, argv0, exe string
		lookPath         func(string) (string, error)
		want             string
	}{
		{"installed on PATH", "veilig", onPath, found(onPath), "veilig"},
		{"go run, nothing on PATH", goBuild, goBuild, notFound, "go run ./backend/cmd/veilig"},
		{"go run, an older veilig on PATH", goBuild, goBuild, found(other), "go run ./backend/cmd/veilig"},
		{"a binary in the current folder", "./veilig", filepath.Join(dir, "veilig"), notFound, "./veilig"},
		{"a binary by its path, another on PATH", "/opt/veilig/bin/veilig", "/opt/veilig/bin/veilig", found(other), "/opt/veilig/bin/veilig"},
		{"a path with a space", "/opt/my tools/veilig", "/opt/my tools/veilig", notFound, "'/opt/my tools/veilig'"},
		{"no executable known", "veilig", "", found(onPath), "go run ./backend/cmd/veilig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := invocation(tt.argv0, tt.exe, tt.lookPath); got != tt.want {
				t.Errorf("invocation(%q, %q) = %q, want %q", tt.argv0, tt.exe, got, tt.want)
			}
		})
	}
}
