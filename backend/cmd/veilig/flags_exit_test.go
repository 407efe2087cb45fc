package main_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestBadSettingExitsNonZero runs the binary: a refused value exits 2 with one line that
// names it, and prints no usage.
func TestBadSettingExitsNonZero(t *testing.T) {
	cmd := exec.Command(binary, "worker", "--data-dir", t.TempDir())
	cmd.Env = append(cleanEnv(), "VEILIG_PUSH_LEASE=soon")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("worker with VEILIG_PUSH_LEASE=soon: %v, want exit status 2\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), `veilig: worker: VEILIG_PUSH_LEASE="soon": invalid duration: want a number with a unit, such as 30s, 10m or 1h30m`; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

// TestExitStatus: asking for help succeeds, giving no command does not.
func TestExitStatus(t *testing.T) {
	tests := []struct {
		args   []string
		status int
		stdout string
	}{
		{[]string{"serve", "--help"}, 0, "Usage: veilig serve [flags]"},
		{[]string{"migrate", "-h"}, 0, "Usage: veilig migrate [up|status] [flags]"},
		{[]string{"help", "worker"}, 0, "Usage: veilig worker [flags]"},
		{[]string{"help", "admin", "team", "add"}, 0, "Usage: veilig admin team add [flags]"},
		{[]string{"version"}, 0, "veilig dev"},
		{[]string{"help"}, 0, "Usage:"},
		{nil, 2, ""},
		{[]string{"frobnicate"}, 2, ""},
		{[]string{"help", "frobnicate"}, 2, ""},
		{[]string{"audit"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			cmd.Env, cmd.Dir = cleanEnv(), t.TempDir()
			out, err := cmd.Output()
			status := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				status = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || !strings.Contains(string(out), tt.stdout) {
				t.Errorf("veilig %v: exit %d, stdout %q; want exit %d and %q", tt.args, status, out, tt.status, tt.stdout)
			}
		})
	}
}
