package main_test

import (
	"os/exec"
	"path"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/veilig/veilig"

// testDouble reports why the package at importPath must stay out of the binary, or "" when it
// may be linked in. Test support is net/http/httptest (loopback servers, recorders) and any
// package of this module named for tests or fakes (fcmtest, storetest, pgtest, synctest…), by
// the house naming rule; such code starts servers, rewrites requests or trusts anything it is
// given, which a production process must never do.
func testDouble(importPath string) string {
	if importPath == "net/http/httptest" {
		return "the standard library's test servers"
	}
	if importPath != module && !strings.HasPrefix(importPath, module+"/") {
		return ""
	}
	if name := path.Base(importPath); strings.HasSuffix(name, "test") || strings.HasSuffix(name, "fake") {
		return "a test-support package of this module"
	}
	return ""
}

func TestTestDouble(t *testing.T) {
	t.Parallel()
	tests := []struct {
		importPath string
		want       bool
	}{
		{"net/http/httptest", true},
		{module + "/backend/push/fcm/fcmtest", true},
		{module + "/backend/push/fcmfake", true},
		{module + "/backend/store/pgtest", true},
		{module + "/backend/push/fcm", false},
		{module + "/sync/merge", false},
		{"net/http", false},
		{"internal/synctest", false}, // the standard library's own, linked in by the runtime
		{"example.com/loadtest", false},
	}
	for _, tc := range tests {
		if got := testDouble(tc.importPath) != ""; got != tc.want {
			t.Errorf("testDouble(%q) = %v, want %v", tc.importPath, got, tc.want)
		}
	}
}

// TestBinaryHasNoTestDoubles lists what the veilig command links in, as `go build` resolves it,
// and fails on any test double: a fake compiled into the binary is one flag away from
// production (issue 10).
func TestBinaryHasNoTestDoubles(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	// One line per package: its import path, then the packages it imports.
	cmd := exec.Command(goTool, "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, ".")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	importers := map[string][]string{}
	var last string
	for _, line := range lines {
		fields := strings.Fields(line)
		last = fields[0]
		for _, imp := range fields[1:] {
			importers[imp] = append(importers[imp], fields[0])
		}
	}
	if last != module+"/backend/cmd/veilig" {
		t.Fatalf("go list -deps ended with %q, want the veilig command", last)
	}
	for _, line := range lines {
		p := strings.Fields(line)[0]
		if why := testDouble(p); why != "" {
			t.Errorf("the veilig command depends on %s, %s, imported by %s: only tests may import it",
				p, why, strings.Join(importers[p], ", "))
		}
	}
}
