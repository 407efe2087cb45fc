package main_test

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// run runs the binary in dir with extra environment and returns its stdout, stderr and exit
// error; a command that does not end within 30 s fails the test.
func run(t *testing.T, dir string, env []string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir, cmd.Env = dir, append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("veilig %v did not end:\n%s", args, stderr.String())
	}
	return stdout.String(), stderr.String(), err
}

// testOrganization is an organization id that is not in the demo region.
const testOrganization = "0b6f3f9e-4a8f-4d2b-9f7e-1c2d3e4f5a6b"

// anIssuer is an identity provider whose JWKS endpoint does not answer: the server starts
// anyway (its tokens fail until the endpoint answers).
const anIssuer = "https://login.jeugdbescherming.example,http://127.0.0.1:1/jwks,veilig-api," + testOrganization

// TestServeIdentityConfiguration: settings that would let the wrong people in stop the server
// at start, with an error that names the setting.
func TestServeIdentityConfiguration(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want []string // parts of the error output
	}{
		{"the dev issuer on beside an issuer", nil, []string{"--dev-issuer", "on", "--issuer", anIssuer},
			[]string{"--dev-issuer=on cannot be combined with --issuer"}},
		{"the dev issuer on beside VEILIG_ISSUERS", []string{"VEILIG_DEV_ISSUER=on", "VEILIG_ISSUERS=" + anIssuer}, nil,
			[]string{"--dev-issuer=on cannot be combined with --issuer"}},
		{"an issuer without organization", nil, []string{"--issuer", "https://login.example,http://127.0.0.1:1/jwks,veilig-api"},
			[]string{"-issuer", "no ORGANIZATION_ID"}},
		{"an issuer with an empty organization", nil, []string{"--issuer", "https://login.example,http://127.0.0.1:1/jwks,veilig-api,"},
			[]string{"-issuer", "ISSUER,JWKS_URL,AUDIENCE,ORGANIZATION_ID"}},
		{"an organization that is not a UUID", nil, []string{"--issuer", "https://login.example,http://127.0.0.1:1/jwks,veilig-api,jeugdbescherming"},
			[]string{"-issuer", "ORGANIZATION_ID", "not a UUID"}},
		{"VEILIG_ISSUERS without organization", []string{"VEILIG_ISSUERS=https://login.example,http://127.0.0.1:1/jwks,veilig-api"}, nil,
			[]string{"VEILIG_ISSUERS", "no ORGANIZATION_ID"}},
		{"auto, no issuer, on every interface", nil, []string{"--addr", ":0"},
			[]string{"no token issuer configured", "--dev-issuer=auto is off", "127.0.0.1:8080"}},
		{"auto, no issuer, PostgreSQL", nil, []string{"--database-url", "postgres://nobody@127.0.0.1:1/none"},
			[]string{"no token issuer configured", "not the embedded one"}},
		{"a lifetime cap of zero", nil, []string{"--max-token-lifetime", "0s"}, []string{"--max-token-lifetime"}},
		{"a malformed VEILIG_MAX_TOKEN_LIFETIME", []string{"VEILIG_MAX_TOKEN_LIFETIME=a day"}, nil, []string{"VEILIG_MAX_TOKEN_LIFETIME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", freeAddr(t)}, tt.args...)
			_, stderr, err := run(t, t.TempDir(), tt.env, args...)
			if err == nil {
				t.Fatalf("serve started:\n%s", stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("the error does not say %q:\n%s", want, stderr)
				}
			}
		})
	}
}

// TestDevTokenRefusedBesideAnIssuer: with an --issuer configured, the default --dev-issuer=auto
// is off even on a loopback address with the embedded database, so a token of 'veilig token'
// is refused, and the refusal is logged with its reason.
func TestDevTokenRefusedBesideAnIssuer(t *testing.T) {
	dir := t.TempDir()
	out := veilig(t, dir, "demo")
	lead := userFlag.FindStringSubmatch(out)
	if lead == nil {
		t.Fatalf("demo printed no usable commands:\n%s", out)
	}
	s, _ := startServe(t, dir, "--issuer", anIssuer, "--log-format", "json")
	tok := strings.TrimSpace(veilig(t, dir, "token", "--user", lead[1]))
	status, body := s.call(t, tok, "DirectoryService/GetMe", `{}`)
	if status != http.StatusUnauthorized || !strings.Contains(body, "unauthenticated") {
		t.Fatalf("a dev token beside an issuer: %d %s", status, body)
	}
	s.stop(t)
	logs := s.logs.String()
	for _, want := range []string{`"message":"authentication failed"`, `"reason":"untrusted issuer"`,
		`"organization_id":"` + testOrganization + `"`, "not in the directory"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "dev issuer enabled") || strings.Contains(logs, strings.Split(tok, ".")[2]) {
		t.Errorf("the dev issuer ran, or the token was logged:\n%s", logs)
	}
}

// TestTokenLifetime: 'veilig token' signs nothing longer than --max-token-lifetime, and the
// server refuses a token longer than its own cap.
func TestTokenLifetime(t *testing.T) {
	dir := t.TempDir()
	out := veilig(t, dir, "demo")
	lead := userFlag.FindStringSubmatch(out)
	if lead == nil {
		t.Fatalf("demo printed no usable commands:\n%s", out)
	}
	t.Run("token refuses a ttl above the cap", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			env  []string
			args []string
		}{
			{"the default cap", nil, []string{"--ttl", "10h1s"}},
			{"a flag cap", nil, []string{"--ttl", "2h", "--max-token-lifetime", "1h"}},
			{"an environment cap", []string{"VEILIG_MAX_TOKEN_LIFETIME=1h"}, []string{"--ttl", "2h"}},
			{"a negative ttl", nil, []string{"--ttl", "-1h"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				stdout, stderr, err := run(t, dir, tt.env, append([]string{"token", "--user", lead[1]}, tt.args...)...)
				if err == nil || stdout != "" || !strings.Contains(stderr, "--ttl") {
					t.Fatalf("token %v: %v, stdout %q, stderr %q", tt.args, err, stdout, stderr)
				}
			})
		}
		if _, stderr, err := run(t, dir, nil, "token", "--user", lead[1], "--ttl", "10h"); err != nil || stderr != "" {
			t.Fatalf("a token at the default cap: %v %s", err, stderr)
		}
	})

	t.Run("token warns for a user the database does not know", func(t *testing.T) {
		stdout, stderr, err := run(t, dir, nil, "token", "--user", "5d0c2a4e-0000-4000-8000-000000000000")
		if err != nil || stdout == "" || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "is not a professional") {
			t.Fatalf("token for an unknown user: %v, stdout %q, stderr %q", err, stdout, stderr)
		}
		_, stderr, err = run(t, t.TempDir(), nil, "token", "--user", lead[1])
		if err != nil || !strings.Contains(stderr, "no database") {
			t.Fatalf("token without a database: %v, stderr %q", err, stderr)
		}
	})

	t.Run("serve refuses a token above its cap and takes one at it", func(t *testing.T) {
		s, _ := startServe(t, dir, "--max-token-lifetime", "30m", "--log-format", "json")
		long, _, err := run(t, dir, nil, "token", "--user", lead[1], "--ttl", "1h")
		if err != nil {
			t.Fatal(err)
		}
		status, body := s.call(t, strings.TrimSpace(long), "DirectoryService/GetMe", `{}`)
		if status != http.StatusUnauthorized {
			t.Fatalf("a 1h token with a 30m cap: %d %s", status, body)
		}
		short, _, err := run(t, dir, nil, "token", "--user", lead[1], "--ttl", "30m")
		if err != nil {
			t.Fatal(err)
		}
		if status, body := s.call(t, strings.TrimSpace(short), "DirectoryService/GetMe", `{}`); status != http.StatusOK {
			t.Fatalf("a 30m token with a 30m cap: %d %s", status, body)
		}
		s.stop(t)
		if !strings.Contains(s.logs.String(), "exceeds the maximum of 30m0s") {
			t.Errorf("the refusal's reason is not logged:\n%s", s.logs.String())
		}
	})
}
