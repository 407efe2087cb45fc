package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// ruleFile is Prometheus' rule file format, the fields these alerts use; decoding is strict, so
// a misspelled field (expresion, annotation) fails instead of being ignored by Prometheus.
type ruleFile struct {
	Groups []struct {
		Name     string `json:"name"`
		Interval string `json:"interval,omitempty"`
		Rules    []struct {
			Alert       string            `json:"alert"`
			Expr        string            `json:"expr"`
			For         string            `json:"for,omitempty"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

// exported are the metrics the veilig binary exports (backend/metrics), and the kind of each:
// a histogram is queried through its _bucket, _sum and _count series.
var exported = map[string]string{
	"veilig_sync_pushes_total":                        "counter",
	"veilig_sync_mutations_total":                     "counter",
	"veilig_sync_pull_bytes_total":                    "counter",
	"veilig_sync_request_duration_seconds":            "histogram",
	"veilig_outbox_backlog":                           "gauge",
	"veilig_outbox_oldest_age_seconds":                "gauge",
	"veilig_push_sends_total":                         "counter",
	"veilig_detection_overdue_backlog":                "gauge",
	"veilig_detection_tick_duration_seconds":          "histogram",
	"veilig_detection_last_success_timestamp_seconds": "gauge",
	"veilig_family_answers_total":                     "counter",
	"veilig_database_up":                              "gauge",
	"veilig_db_pool_open_connections":                 "gauge",
	"veilig_db_pool_in_use_connections":               "gauge",
	"veilig_db_pool_idle_connections":                 "gauge",
	"veilig_db_pool_max_connections":                  "gauge",
}

var metricName = regexp.MustCompile(`\bveilig_[a-z0-9_]+`)

func TestAlertRules(t *testing.T) {
	raw, err := os.ReadFile("alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules ruleFile
	if err := yaml.UnmarshalStrict(raw, &rules); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	guide, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	headings := map[string]bool{}
	for line := range strings.Lines(string(guide)) {
		if h, ok := strings.CutPrefix(strings.TrimSpace(line), "### "); ok {
			headings[h] = true
		}
	}

	seen := map[string]bool{}
	for _, g := range rules.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %q: want a name and rules", g.Name)
		}
		for _, r := range g.Rules {
			if r.Alert == "" || seen[r.Alert] {
				t.Errorf("group %s: an alert without a name, or named twice: %q", g.Name, r.Alert)
				continue
			}
			seen[r.Alert] = true
			if _, err := time.ParseDuration(r.For); err != nil || r.For == "" {
				t.Errorf("%s: for %q: want a duration, so that one bad scrape does not page", r.Alert, r.For)
			}
			if s := r.Labels["severity"]; s != "page" && s != "ticket" {
				t.Errorf("%s: severity %q, want page or ticket", r.Alert, s)
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if r.Annotations[a] == "" {
					t.Errorf("%s: no %s annotation", r.Alert, a)
				}
			}
			if want := "docs/operations.md#" + strings.ToLower(r.Alert); r.Annotations["runbook_url"] != want {
				t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], want)
			}
			if !headings[r.Alert] {
				t.Errorf("%s: docs/operations.md has no '### %s' saying what it means and what to do", r.Alert, r.Alert)
			}
			checkExpr(t, r.Alert, r.Expr)
		}
	}
	if len(seen) == 0 {
		t.Fatal("alerts.yaml has no alerts")
	}
}

// checkExpr checks that an expression names only exported metrics (and up, Prometheus' own)
// and that its brackets balance; the rest of PromQL is Prometheus' to check on load.
func checkExpr(t *testing.T, alert, expr string) {
	t.Helper()
	names := metricName.FindAllString(expr, -1)
	if len(names) == 0 && !strings.Contains(expr, `up{job="veilig"}`) {
		t.Errorf("%s: the expression names no Veilig metric: %s", alert, expr)
	}
	for _, n := range names {
		base := n
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(n, suffix); ok && exported[b] == "histogram" {
				base = b
			}
		}
		if _, ok := exported[base]; !ok {
			t.Errorf("%s: %s is not a metric the binary exports", alert, n)
		}
		if exported[base] == "histogram" && base == n {
			t.Errorf("%s: %s is a histogram: query its _bucket, _sum or _count series", alert, n)
		}
		if exported[base] == "counter" && !slices.ContainsFunc([]string{"rate(", "increase("}, func(f string) bool { return strings.Contains(expr, f+n) }) {
			t.Errorf("%s: %s is a counter: use it through rate() or increase()", alert, n)
		}
	}
	depth := map[rune]int{}
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	for _, c := range expr {
		switch c {
		case '(', '[', '{':
			depth[c]++
		case ')', ']', '}':
			depth[pairs[c]]--
		}
	}
	for open, d := range depth {
		if d != 0 {
			t.Errorf("%s: unbalanced %c in %s", alert, open, expr)
		}
	}
}

// TestAlertRulesWithPromtool has Prometheus' own tool parse the rules (PromQL included) and run
// alerts.test.yaml: each alert fires on the state it is for and stays quiet on a healthy
// region. CI installs promtool (Debian's prometheus package); without it the test is skipped,
// unless VEILIG_REQUIRE_PROMTOOL is set.
func TestAlertRulesWithPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("VEILIG_REQUIRE_PROMTOOL") != "" {
			t.Fatal("VEILIG_REQUIRE_PROMTOOL is set and promtool is not installed")
		}
		t.Skip("promtool is not installed (apt-get install prometheus)")
	}
	for _, args := range [][]string{{"check", "rules", "alerts.yaml"}, {"test", "rules", "alerts.test.yaml"}} {
		if out, err := exec.Command(promtool, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
