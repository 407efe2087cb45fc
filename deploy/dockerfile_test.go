package deploy

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDockerfile checks the image's contract with compose and Kubernetes, which rely on it:
// the ops listener reachable in the container, the data volume, a non-root user and a
// healthcheck that works without a shell.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Join continued lines, drop comments: one instruction a line.
	text := regexp.MustCompile(`\\\n\s*`).ReplaceAllString(string(raw), " ")
	var final []string // the instructions of the last stage, the one that ships
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			final = nil
		}
		final = append(final, line)
	}
	for _, want := range []string{
		`USER 65532:65532`,
		`VEILIG_METRICS_ADDR=:9090`,
		`VEILIG_ADDR=:8080`,
		`VEILIG_DATA_DIR=/data`,
		`VOLUME ["/data"]`,
		`EXPOSE 8080 9090`,
		`CMD ["/usr/local/bin/veilig", "healthcheck"]`,
	} {
		if !slices.ContainsFunc(final, func(l string) bool { return strings.Contains(l, want) }) {
			t.Errorf("the image's stage has no %q", want)
		}
	}
	if !slices.ContainsFunc(final, func(l string) bool { return strings.HasPrefix(l, "HEALTHCHECK ") }) {
		t.Error("the image has no HEALTHCHECK")
	}

	// The build context is the repository root: its .dockerignore must shut out everything
	// first and let in only the sources, so that a data folder, a key or deploy/secrets never
	// reaches an image layer.
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for line := range strings.Lines(string(ignore)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	if len(patterns) == 0 || patterns[0] != "*" {
		t.Fatalf(".dockerignore must start by ignoring everything (*), got %q", patterns)
	}
	for _, p := range patterns[1:] {
		if name, ok := strings.CutPrefix(p, "!"); ok && !slices.Contains([]string{"go.mod", "go.sum", "backend/", "mobile-api/", "sync/", "proto/"}, name) {
			t.Errorf(".dockerignore lets in %q: only go.mod, go.sum and the packages the binary is built from", name)
		}
	}
	for _, secret := range []string{"**/veilig-data", "**/*.db", "**/*.pem", "**/*.key", "**/link-secret", "**/audit-key"} {
		if !slices.Contains(patterns, secret) {
			t.Errorf(".dockerignore does not keep out %s", secret)
		}
	}
}
