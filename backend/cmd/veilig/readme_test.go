package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeBlock returns the first sh code block of the README's section headed heading.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## "+heading+"\n")
	if !ok {
		t.Fatalf("README has no section %q", heading)
	}
	m := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(section)
	if m == nil {
		t.Fatalf("README section %q has no sh block", heading)
	}
	return m[1]
}

// TestReadmeStartsARegion runs the README's "Start a region" commands as printed (with this
// build of veilig for `go run ./backend/cmd/veilig`) against the first command's server, then
// imports the example caseload again and expects nothing to change (issue 14, acceptance 5).
func TestReadmeStartsARegion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csv, err := os.ReadFile("../../../docs/examples/caseload.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "docs/examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "docs/examples/caseload.csv"), csv, 0o644); err != nil {
		t.Fatal(err)
	}
	srv, _ := startServe(t, dir)
	script := strings.ReplaceAll(readmeBlock(t, "Start a region"), "go run ./backend/cmd/veilig", binary) +
		binary + " import docs/examples/caseload.csv\n"
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir, cmd.Env = dir, append(cleanEnv(), "VEILIG_SERVER=http://"+srv.addr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's commands failed: %v\n%s", err, out)
	}
	for _, want := range []string{"3 created, 0 changed, 0 unchanged, 0 failed; dry run, nothing applied",
		"3 created, 0 changed, 0 unchanged, 0 failed; applied", "0 created, 0 changed, 3 unchanged, 0 failed"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
}
