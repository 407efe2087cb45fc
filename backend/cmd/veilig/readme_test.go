package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/veilig/veilig/backend/store/pgtest"
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

// shellBlocks returns every sh code block of the README and of the docs.
func shellBlocks(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("../../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, path := range append([]string{"../../../README.md"}, docs...) {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile("(?s)```(?:sh|bash)\n(.*?)```").FindAllStringSubmatch(string(text), -1) {
			blocks = append(blocks, m[1])
		}
	}
	return blocks
}

var (
	readmeInvocation  = regexp.MustCompile(`(?:^|\$\()\s*(go run \./backend/cmd/veilig|veilig) `)
	readmePlaceholder = regexp.MustCompile(`<[^<>]*>`)
)

// readmeCommands returns the veilig command lines of a README block, each as the words after
// the invocation (continuation lines joined, comments and a closing ")" of $(…) cut).
func readmeCommands(block string) []string {
	var cmds []string
	for _, line := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		loc := readmeInvocation.FindStringSubmatchIndex(line)
		if loc == nil || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		before, rest := line[:loc[2]], line[loc[3]:]
		if i := strings.Index(rest, " #"); i >= 0 {
			rest = rest[:i]
		}
		rest = strings.TrimSpace(rest)
		if strings.Contains(before, "$(") {
			rest = strings.TrimSuffix(rest, ")")
		}
		cmds = append(cmds, strings.TrimSpace(readmePlaceholder.ReplaceAllString(rest, "x")))
	}
	return cmds
}

// TestReadmeCommandsParse checks every veilig command line of the README and the docs against
// this build:
// each command exists and takes the flags and values written there (the line is run with
// --help added, which parses everything before it and then prints the usage). The commands
// that need a real identity provider, Firebase project or PostgreSQL server cannot run here;
// this is as far as they are checked.
func TestReadmeCommandsParse(t *testing.T) {
	t.Parallel()
	n := 0
	for _, block := range shellBlocks(t) {
		for _, cmd := range readmeCommands(block) {
			n++
			t.Run(cmd, func(t *testing.T) {
				sh := exec.Command("bash", "-c", `"$VEILIG_BINARY" `+cmd+` --help`)
				sh.Dir, sh.Env = t.TempDir(), append(cleanEnv(), "VEILIG_BINARY="+binary)
				out, err := sh.CombinedOutput()
				if err != nil || !strings.Contains(string(out), "Usage: veilig") {
					t.Errorf("veilig %s: %v\n%s", cmd, err, out)
				}
			})
		}
	}
	if n < 20 {
		t.Fatalf("found only %d veilig commands in the README; the extraction is broken", n)
	}
}

// TestReadmeRunsOnPostgres runs the README's "Run on PostgreSQL" block as printed, on a
// throwaway database (its createdb line aside: pgtest made the database), then the commands
// demo printed, as printed, against the served region; a second demo prints the same.
func TestReadmeRunsOnPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	var script, serveLine strings.Builder
	for _, line := range strings.Split(readmeBlock(t, "Run on PostgreSQL"), "\n") {
		switch {
		case strings.HasPrefix(line, "createdb "):
		case strings.HasPrefix(line, "export VEILIG_DATABASE_URL="):
			script.WriteString("export VEILIG_DATABASE_URL='" + url + "'\n")
		case strings.Contains(line, "cmd/veilig serve"):
			serveLine.WriteString(line)
		default:
			script.WriteString(strings.ReplaceAll(line, "go run ./backend/cmd/veilig", binary) + "\n")
		}
	}
	env := append(cleanEnv(), "VEILIG_ADDR="+addr) // demo prints, and serve listens on, this address
	out := runScript(t, dir, env, script.String())
	for _, want := range []string{"migrate status: 0 applied, ", "migrate: applied 00001 ", "demo: the demo region is in place"} {
		if !strings.Contains(out, want) {
			t.Errorf("the README's PostgreSQL commands do not say %q:\n%s", want, out)
		}
	}
	again := runScript(t, dir, env, "export VEILIG_DATABASE_URL='"+url+"'\n"+binary+" migrate\n")
	if !strings.Contains(again, "migrate: already up to date at ") || strings.Contains(again, "migrate: applied") {
		t.Errorf("a second migrate: %s", again)
	}

	serveArgs := strings.Fields(strings.SplitN(strings.SplitN(serveLine.String(), "#", 2)[0], " serve", 2)[1])
	srv, _ := startServeEnv(t, dir, addr, append(env, "VEILIG_DATABASE_URL="+url), serveArgs...)
	demoOut := runScript(t, dir, env, "export VEILIG_DATABASE_URL='"+url+"'\n"+binary+" demo 2>/dev/null\n")
	_, printed, ok := strings.Cut(demoOut, "then, here:\n")
	if !ok {
		t.Fatalf("demo printed no commands:\n%s", demoOut)
	}
	if !strings.Contains(demoOut, binary+" serve --dev-issuer=on") {
		t.Errorf("demo on PostgreSQL does not print how to serve it:\n%s", demoOut)
	}
	calls := runScript(t, dir, env, "export VEILIG_DATABASE_URL='"+url+"'\n"+printed)
	for _, want := range []string{`"professional":`, `"households":`, `"entries":`} {
		if !strings.Contains(calls, want) {
			t.Errorf("the commands demo printed do not answer %s:\n%s\nserver log:\n%s", want, calls, srv.logs.String())
		}
	}
	if strings.Contains(srv.logs.String(), "duplicate key") {
		t.Errorf("the server logged a duplicate key:\n%s", srv.logs.String())
	}
	demoAgain := runScript(t, dir, env, "export VEILIG_DATABASE_URL='"+url+"'\n"+binary+" demo\n")
	_, printedAgain, _ := strings.Cut(demoAgain, "then, here:\n")
	if strings.Contains(demoAgain, "duplicate key") || strings.Contains(demoAgain, `"level":"error"`) {
		t.Errorf("a second demo logged an error:\n%s", demoAgain)
	}
	if printedAgain != printed {
		t.Errorf("a second demo printed other commands:\n%s\nthe first:\n%s", printedAgain, printed)
	}
}

// runScript runs a bash script in dir, failing the test on any failing command.
func runScript(t *testing.T, dir string, env []string, script string) string {
	t.Helper()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\nscript:\n%s\noutput:\n%s", err, script, out)
	}
	return string(out)
}

// TestReadmeConfigurationTable: every row of the README's configuration table names a flag of
// 'veilig serve' and the variable that really sets it, and every flag of serve has a row.
func TestReadmeConfigurationTable(t *testing.T) {
	t.Parallel()
	help := exec.Command(binary, "help", "serve")
	help.Env = cleanEnv()
	out, err := help.Output()
	if err != nil {
		t.Fatalf("veilig help serve: %v", err)
	}
	// "  -addr string\n    \taddress … ($VEILIG_ADDR) (default …)": flag → its variables.
	vars := map[string][]string{}
	var current string
	for _, line := range strings.Split(string(out), "\n") {
		if m := regexp.MustCompile(`^  -([a-z0-9-]+)`).FindStringSubmatch(line); m != nil {
			current = m[1]
			vars[current] = nil
			line = line[len(m[0]):]
		}
		for _, v := range regexp.MustCompile(`\$(VEILIG_[A-Z0-9_]+)`).FindAllStringSubmatch(line, -1) {
			vars[current] = append(vars[current], v[1])
		}
	}
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "| flag | environment | default | meaning |")
	table, _, _ = strings.Cut(table, "\n\n")
	documented := map[string]bool{}
	row := regexp.MustCompile("^\\| ((?:`--[a-z0-9-]+`(?:, )?)+) \\| ([^|]*) \\|")
	for _, line := range strings.Split(table, "\n")[2:] {
		m := row.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("README configuration row not understood: %s", line)
			continue
		}
		flags := regexp.MustCompile("`--([a-z0-9-]+)`").FindAllStringSubmatch(m[1], -1)
		envs := regexp.MustCompile("`(VEILIG_[A-Z0-9_]+)`").FindAllStringSubmatch(m[2], -1)
		for i, f := range flags {
			name := f[1]
			documented[name] = true
			got, ok := vars[name]
			if !ok {
				t.Errorf("the README documents --%s, which veilig serve does not have", name)
				continue
			}
			if i >= len(envs) {
				t.Errorf("the README gives --%s no variable; serve reads %v", name, got)
				continue
			}
			if !slices.Contains(got, envs[i][1]) {
				t.Errorf("the README says --%s is %s; serve reads %v", name, envs[i][1], got)
			}
		}
	}
	for name := range vars {
		if !documented[name] {
			t.Errorf("--%s of veilig serve is not in the README's configuration table", name)
		}
	}
}

// TestReadmeTriesTheAPI runs the README's "Try the API" block against a server of the first
// command, as printed but for the server's test address, the professional id that demo
// printed in place of its placeholder, and the buf curl line (building buf takes minutes;
// reflection is tested in TestServeRunsWithNoSetup).
func TestReadmeTriesTheAPI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, _ := startServe(t, dir)
	lead := userFlag.FindStringSubmatch(veilig(t, dir, "demo"))
	if lead == nil {
		t.Fatal("demo printed no professional")
	}
	var script strings.Builder
	for _, line := range strings.Split(readmeBlock(t, "Try the API"), "\n") {
		if strings.Contains(line, "go tool ") {
			continue
		}
		line = strings.ReplaceAll(line, "go run ./backend/cmd/veilig", binary)
		line = strings.ReplaceAll(line, "<professional id printed by demo>", lead[1])
		line = strings.ReplaceAll(line, "http://localhost:8080", "http://"+srv.addr)
		script.WriteString(line + "\n")
	}
	out := runScript(t, dir, cleanEnv(), script.String())
	for _, want := range []string{`"status":"SERVING_STATUS_SERVING"`, `"households":`, `"cursors"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the README's API calls do not answer %s:\n%s", want, out)
		}
	}
}
