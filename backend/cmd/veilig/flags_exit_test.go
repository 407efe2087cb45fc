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
