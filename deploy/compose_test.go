package deploy

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// prodEnv is what docs/operations.md tells an operator to set for the prod profile: one
// identity provider. The dev profile needs nothing at all.
var prodEnv = []string{
	"VEILIG_ISSUERS=https://idp.example.org/realms/care,https://idp.example.org/realms/care/protocol/openid-connect/certs,veilig,00000000-0000-4000-8000-000000000001",
	"VEILIG_PUBLIC_URL=https://veilig.example.org",
}

func TestComposeFilesLoad(t *testing.T) {
	for _, file := range []string{"compose.postgres.yaml", "compose.cockroach.yaml"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "|| true") {
			t.Errorf("%s: '|| true' hides failures; recognize the one tolerated failure explicitly", file)
		}
		for _, tc := range []struct {
			name      string
			profile   string
			env       []string
			devIssuer string
		}{
			{"dev", "dev", nil, "on"},
			{"prod with an issuer", "prod", prodEnv, "off"},
			// Without VEILIG_ISSUERS the file still loads: the server itself refuses to start
			// and says what to set (or an issuer bound in the database is enough).
			{"prod without VEILIG_ISSUERS", "prod", nil, "off"},
		} {
			t.Run(file+"/"+tc.name, func(t *testing.T) {
				p := loadCompose(t, file, tc.profile, tc.env)
				checkComposeServices(t, p)
				checkComposeServers(t, p, tc.devIssuer)
				checkComposeScripts(t, p)
			})
		}
	}
}

func loadCompose(t *testing.T, file, profile string, env []string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory("."),
		cli.WithEnv(env), // only this: the test must not depend on the shell it runs in
		cli.WithProfiles([]string{profile}),
		cli.WithConsistency(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("load %s with profile %s: %v", file, profile, err)
	}
	return p
}

// checkComposeServices wants every service to say how it is restarted and how its health is
// known: a one-shot service (one that others wait for to complete) is never restarted and has
// no healthcheck, every other one restarts and has one.
func checkComposeServices(t *testing.T, p *types.Project) {
	t.Helper()
	oneShot := map[string]bool{}
	for _, s := range p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition == types.ServiceConditionCompletedSuccessfully {
				oneShot[dep] = true
			}
		}
	}
	for name, s := range p.Services {
		hc := s.HealthCheck
		if oneShot[name] {
			if s.Restart != types.RestartPolicyNo || hc == nil || !hc.Disable {
				t.Errorf("one-shot service %s: want restart \"no\" and healthcheck disabled, got restart %q healthcheck %+v", name, s.Restart, hc)
			}
			continue
		}
		if s.Restart != types.RestartPolicyUnlessStopped && s.Restart != types.RestartPolicyAlways {
			t.Errorf("service %s: restart %q, want unless-stopped or always", name, s.Restart)
		}
		if hc == nil || hc.Disable || len(hc.Test) == 0 {
			t.Errorf("service %s has no healthcheck", name)
		}
		for key, v := range s.Environment {
			if strings.Contains(key, "PASSWORD") && !strings.HasSuffix(key, "_FILE") && v != nil && *v != "" {
				t.Errorf("service %s: %s is written in the compose file; read it from a secrets file", name, key)
			}
		}
	}
	if len(p.DisabledServices) == 0 {
		t.Errorf("the profile disabled no service: want dev and prod servers apart")
	}
}

// checkComposeServers checks the Veilig servers of a profile: the dev issuer only in dev, one
// link secret for all of them, and a database URL with no password.
func checkComposeServers(t *testing.T, p *types.Project, devIssuer string) {
	t.Helper()
	var servers []types.ServiceConfig
	for _, s := range p.Services {
		if slices.Equal(s.Command, types.ShellCommand{"serve"}) {
			servers = append(servers, s)
		}
	}
	if len(servers) == 0 {
		t.Fatal("no service runs 'veilig serve'")
	}
	env := func(s types.ServiceConfig, key string) string {
		if v := s.Environment[key]; v != nil {
			return *v
		}
		return ""
	}
	linkSecret := env(servers[0], "VEILIG_LINK_SECRET_FILE")
	for _, s := range servers {
		if got := env(s, "VEILIG_DEV_ISSUER"); got != devIssuer {
			t.Errorf("%s: VEILIG_DEV_ISSUER = %q, want %q", s.Name, got, devIssuer)
		}
		if devIssuer == "off" && env(s, "VEILIG_ISSUERS") != strings.TrimPrefix(envOf(p, "VEILIG_ISSUERS"), "VEILIG_ISSUERS=") {
			t.Errorf("%s: VEILIG_ISSUERS is not taken from the environment", s.Name)
		}
		if got := env(s, "VEILIG_LINK_SECRET_FILE"); got == "" || got != linkSecret {
			t.Errorf("%s: VEILIG_LINK_SECRET_FILE = %q, want one file for every replica (%q)", s.Name, got, linkSecret)
		}
		for _, port := range s.Ports {
			if devIssuer == "on" && port.HostIP != "127.0.0.1" {
				t.Errorf("%s: publishes %s on %q: the dev issuer trusts anybody's token, so only this machine may reach it", s.Name, port.Published, port.HostIP)
			}
		}
		if !mountsVolume(s, "secrets", "/secrets") {
			t.Errorf("%s: does not mount the secrets volume at /secrets", s.Name)
		}
		u, err := url.Parse(env(s, "VEILIG_DATABASE_URL"))
		if err != nil || u.Host == "" {
			t.Errorf("%s: VEILIG_DATABASE_URL %q does not parse (%v)", s.Name, env(s, "VEILIG_DATABASE_URL"), err)
			continue
		}
		if _, has := u.User.Password(); has {
			t.Errorf("%s: the database URL carries a password", s.Name)
		}
		if strings.HasPrefix(u.Host, "crdb") && u.Query().Get("sslmode") != "verify-full" {
			t.Errorf("%s: CockroachDB without sslmode=verify-full", s.Name)
		}
		if !strings.HasPrefix(u.Host, "crdb") && env(s, "PGPASSFILE") == "" {
			t.Errorf("%s: PostgreSQL without PGPASSFILE: where does the password come from?", s.Name)
		}
	}
}

func envOf(p *types.Project, key string) string {
	if v, ok := p.Environment[key]; ok {
		return key + "=" + v
	}
	return ""
}

func mountsVolume(s types.ServiceConfig, source, target string) bool {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Source == source && v.Target == target {
			return true
		}
	}
	return false
}

// checkComposeScripts parses every bash script a service runs (after compose has replaced $$
// by $), so that a quoting slip fails here and not in an operator's first 'up'.
func checkComposeScripts(t *testing.T, p *types.Project) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to parse the services' scripts with")
	}
	for name, s := range p.Services {
		if len(s.Entrypoint) < 2 || s.Entrypoint[0] != "/bin/bash" || !strings.HasPrefix(s.Entrypoint[1], "-") || len(s.Command) != 1 {
			continue
		}
		script := s.Command[0]
		if strings.Contains(script, "$$") {
			t.Errorf("service %s: the script still holds $$ after interpolation", name)
		}
		if out, err := exec.Command(bash, "-n", "-c", script).CombinedOutput(); err != nil {
			t.Errorf("service %s: bash cannot parse its script: %v\n%s", name, err, out)
		}
	}
}
