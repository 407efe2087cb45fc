package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// Report is every figure of a run: one Figure per (scenario, case, metric, engine), each with
// its value of every round and their median, plus what it ran on.
type Report struct {
	// Command is the command line of the run.
	Command string `json:"command"`
	// Started and Took time the run.
	Started time.Time `json:"started"`
	Took    string    `json:"took"`
	// Machine is what the run ran on.
	Machine Machine `json:"machine"`
	// Engines maps an engine to the version its database reported.
	Engines map[string]string `json:"engines"`
	// Rounds is how many rounds each figure's median is of.
	Rounds int `json:"rounds"`
	// Figures in run order.
	Figures []*Figure `json:"figures"`
	// Stopped, when set, says where a cancelled run stopped: its figures hold fewer rounds.
	Stopped string `json:"stopped,omitempty"`
	// Failures lists the scenario runs that failed ("round 2, postgres, streams: …").
	Failures []string `json:"failures,omitempty"`

	engines []string
	index   map[string]*Figure
}

// Machine describes where a run ran.
type Machine struct {
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	CPUModel   string `json:"cpu_model"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
}

// Figure is one measured quantity. Values holds one entry per round; Median is their median.
// NA, when set, says why the figure could not be measured in this setup (Values is empty).
type Figure struct {
	Scenario string    `json:"scenario"`
	Case     string    `json:"case"`
	Metric   string    `json:"metric"`
	Unit     string    `json:"unit"`
	Engine   string    `json:"engine"`
	Values   []float64 `json:"values,omitempty"`
	Median   float64   `json:"median"`
	NA       string    `json:"na,omitempty"`
}

func newReport(cfg Config) *Report {
	return &Report{Command: cfg.Command, Started: time.Now().UTC(), Machine: machine(), Engines: map[string]string{},
		Rounds: cfg.Rounds, engines: cfg.Engines, index: map[string]*Figure{}}
}

func machine() Machine {
	return Machine{GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), CPUModel: cpuModel(),
		GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func (r *Report) noteEngine(engine, version string) { r.Engines[engine] = version }

func (r *Report) figure(scenario, cse, metric, unit, engine string) *Figure {
	key := strings.Join([]string{scenario, cse, metric, engine}, "\x00")
	f, ok := r.index[key]
	if !ok {
		f = &Figure{Scenario: scenario, Case: cse, Metric: metric, Unit: unit, Engine: engine}
		r.index[key] = f
		r.Figures = append(r.Figures, f)
	}
	return f
}

func (r *Report) add(scenario, cse, metric, unit, engine string, v float64) {
	f := r.figure(scenario, cse, metric, unit, engine)
	f.Values = append(f.Values, v)
	f.NA = ""
}

// fail records a failed scenario run: in Failures, and as an n/a figure of the scenario
// unless one of its rounds measured something.
func (r *Report) fail(scenario, engine string, round int, err error) {
	r.Failures = append(r.Failures, fmt.Sprintf("round %d, %s, %s: %v", round, engine, scenario, err))
	r.addNA(scenario, "(failed)", "-", "", engine, "failed in round "+fmt.Sprint(round)+": see failures")
}

func (r *Report) addNA(scenario, cse, metric, unit, engine, why string) {
	if f := r.figure(scenario, cse, metric, unit, engine); len(f.Values) == 0 {
		f.NA = why
	}
}

// finish computes the medians, and the ratios of push to the raw baseline of the same engine.
func (r *Report) finish() {
	for _, f := range r.Figures {
		if len(f.Values) > 0 {
			f.Median = median(f.Values)
		}
	}
	r.addRatios()
	r.Took = time.Since(r.Started).Round(time.Second).String()
}

// addRatios adds, for every push case, its mutations/s and inserted field rows/s as a share
// of the raw baseline's rows/s on the same engine.
func (r *Report) addRatios() {
	for _, f := range slices.Clone(r.Figures) {
		if f.Scenario != ScenarioPush || f.Metric != "mutations/s" || len(f.Values) == 0 {
			continue
		}
		raw := r.index[strings.Join([]string{ScenarioRaw, rawCase, "rows/s", f.Engine}, "\x00")]
		if raw == nil || raw.Median == 0 {
			continue
		}
		ratio := r.figure(f.Scenario, f.Case, "field rows/s ÷ raw rows/s", "ratio", f.Engine)
		ratio.Median = f.Median * fieldsPerEdit / raw.Median
		ratio.Values = []float64{ratio.Median}
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode the report: %w", err)
	}
	return nil
}

// WriteMarkdown writes the table: one row per (scenario, case, metric), one column per
// engine, each cell the median of the rounds.
func (r *Report) WriteMarkdown(w io.Writer) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "veilig bench: %s, GOMAXPROCS %d, %s; median of %d round(s); took %s\n\n",
		r.Machine.CPUModel, r.Machine.GOMAXPROCS, r.Machine.GoVersion, r.Rounds, r.Took)
	if r.Stopped != "" {
		fmt.Fprintf(b, "**%s**\n\n", r.Stopped)
	}
	for _, e := range r.engines {
		v, _, _ := strings.Cut(r.Engines[e], " on ") // PostgreSQL's build details stay in the JSON
		fmt.Fprintf(b, "- %s: %s\n", e, v)
	}
	fmt.Fprintf(b, "\n| scenario | case | metric |")
	for _, e := range r.engines {
		fmt.Fprintf(b, " %s |", e)
	}
	fmt.Fprintf(b, "\n| --- | --- | --- |%s\n", strings.Repeat(" ---: |", len(r.engines)))
	seen := map[string]bool{}
	for _, f := range r.rowOrder() {
		row := f.Scenario + "\x00" + f.Case + "\x00" + f.Metric
		if seen[row] {
			continue
		}
		seen[row] = true
		fmt.Fprintf(b, "| %s | %s | %s |", f.Scenario, f.Case, f.Metric)
		for _, e := range r.engines {
			fmt.Fprintf(b, " %s |", r.cell(f.Scenario, f.Case, f.Metric, e))
		}
		b.WriteString("\n")
	}
	for _, f := range r.Failures {
		fmt.Fprintf(b, "\nFAILED: %s\n", f)
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write the table: %w", err)
	}
	return nil
}

// rowOrder returns the figures grouped by (scenario, case) in order of first appearance, so
// that a figure added at the end (a ratio) sits with its case.
func (r *Report) rowOrder() []*Figure {
	var groups []string
	byGroup := map[string][]*Figure{}
	for _, f := range r.Figures {
		g := f.Scenario + "\x00" + f.Case
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], f)
	}
	var out []*Figure
	for _, g := range groups {
		out = append(out, byGroup[g]...)
	}
	return out
}

func (r *Report) cell(scenario, cse, metric, engine string) string {
	f := r.index[strings.Join([]string{scenario, cse, metric, engine}, "\x00")]
	switch {
	case f == nil:
		return ""
	case f.NA != "":
		return "n/a (" + f.NA + ")"
	}
	return formatValue(f.Median, f.Unit)
}

// formatValue prints v with thousands separators; ratios, per-push counts and short times
// keep two decimals.
func formatValue(v float64, unit string) string {
	if math.Abs(v) < 100 && (unit == "" || unit == "ratio" || unit == "ms" || unit == "cores") {
		s := fmt.Sprintf("%.2f", v)
		if unit == "ratio" {
			return s + "×"
		}
		return s + unitSuffix(unit)
	}
	n := int64(math.Round(v))
	s := fmt.Sprint(n)
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out) + unitSuffix(unit)
}

func unitSuffix(unit string) string {
	switch unit {
	case "", "/s", "ratio", "count":
		return ""
	}
	return " " + unit
}

// Figure returns the figure of (scenario, case, metric, engine), or nil.
func (r *Report) Figure(scenario, cse, metric, engine string) *Figure {
	return r.index[strings.Join([]string{scenario, cse, metric, engine}, "\x00")]
}
