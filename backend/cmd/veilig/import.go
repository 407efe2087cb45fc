package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/veilig/veilig/backend/app"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// maxBatchBytes bounds one ImportCaseload request's CSV. The server refuses request messages
// over --max-request-bytes (by default app.DefaultMaxRequestBytes); the margin leaves room
// for the message's framing, so a batch of long rows is split before the server refuses it.
const maxBatchBytes = app.DefaultMaxRequestBytes - 4<<10

func runImport(ctx context.Context, title string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(title, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: veilig %s [flags] FILE.csv

Import a caseload of households, their team, lead and care team, through the API. Each row
is checked on its own and reported with its line number; a bad row is never applied. Run it
with --dry-run first; running the same file twice changes nothing the second time. Exits
non-zero when any row failed.

Flags:
`, title)
		fs.PrintDefaults()
	}
	var conn connFlags
	conn.register(fs)
	dryRun := fs.Bool("dry-run", false, "report what would change; change nothing")
	atomic := fs.Bool("all-or-nothing", false, "check the whole file first and apply nothing when any row fails")
	batchSize := fs.Int("batch", 500, "data rows per call (each call repeats the header line)")
	flagArgs, files := splitInterspersed(fs, args)
	if err := conn.parse(fs, flagArgs, stdout); err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("%s: want one FILE.csv, got %d arguments", title, len(files))
	}
	if err := wantAtLeast(conn.src, "batch", int64(*batchSize), 1); err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	f, err := splitCSV(data)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", title, files[0], err)
	}
	batches, err := f.batches(*batchSize, maxBatchBytes)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", title, files[0], err)
	}
	c, err := conn.client(title, stderr)
	if err != nil {
		return err
	}
	imp := &importer{c: c, title: title, batches: batches, total: len(f.rows), stderr: stderr}

	if *dryRun {
		rep, err := imp.pass(ctx, "checking ", true, false)
		rep.print(stdout)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s; dry run, nothing applied\n", rep.summary())
		if rep.failed > 0 {
			return fmt.Errorf("%s: %d of %s rows would fail", title, rep.failed, thousands(imp.total))
		}
		return nil
	}
	if *atomic {
		// The check pass makes all-or-nothing hold across batches: the server can refuse a
		// whole request, but a large file is several requests, so nothing is applied until
		// every batch has passed a dry run.
		check, err := imp.pass(ctx, "checking ", true, false)
		if err != nil {
			check.print(stdout)
			return fmt.Errorf("%s; nothing applied", err)
		}
		if check.failed > 0 {
			check.print(stdout)
			fmt.Fprintf(stdout, "%s; nothing applied (--all-or-nothing)\n", check.summary())
			return fmt.Errorf("%s: %d of %s rows failed; nothing applied (--all-or-nothing)", title, check.failed, thousands(imp.total))
		}
		rep, err := imp.pass(ctx, "applying ", false, true)
		rep.print(stdout)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s; applied\n", rep.summary())
		return nil
	}
	rep, err := imp.pass(ctx, "", false, false)
	rep.print(stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s; %s\n", rep.summary(), map[bool]string{true: "applied", false: "nothing applied"}[rep.applied])
	if rep.failed > 0 {
		return fmt.Errorf("%s: %d of %s rows failed and were not applied; the others were", title, rep.failed, thousands(imp.total))
	}
	return nil
}

// splitInterspersed splits args into the flags (with their values) and the positional
// arguments, so that `veilig import file.csv --dry-run` does not import for real: the
// standard flag package stops at the first argument that is not a flag. It sets nothing in
// fs; parseFlags then parses the flags. On a malformed command line it returns the words from
// the malformed one on, for parseFlags to report.
func splitInterspersed(fs *flag.FlagSet, args []string) (flagArgs, positional []string) {
	probe := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	probe.SetOutput(io.Discard)
	probe.Usage = func() {}
	fs.VisitAll(func(f *flag.Flag) {
		b, ok := f.Value.(interface{ IsBoolFlag() bool })
		probe.Var(anyValue{isBool: ok && b.IsBoolFlag()}, f.Name, "")
	})
	rest := args
	for {
		if err := probe.Parse(rest); err != nil {
			return rest, nil
		}
		flagArgs = append(flagArgs, rest[:len(rest)-probe.NArg()]...)
		if probe.NArg() == 0 {
			return flagArgs, positional
		}
		positional = append(positional, probe.Arg(0))
		rest = probe.Args()[1:]
	}
}

// anyValue takes any value: splitInterspersed only needs to know which words are flags.
type anyValue struct{ isBool bool }

func (anyValue) String() string     { return "" }
func (anyValue) Set(string) error   { return nil }
func (v anyValue) IsBoolFlag() bool { return v.isBool }

// csvFile is a caseload file cut into its header and its records, each kept as the bytes it
// was read from, so that a batch sends the server exactly the file's text (quoting, line
// ends and all) and a line number the server reports maps back to the file.
type csvFile struct {
	header      []byte
	headerLines int // lines the header takes, blank lines before it included
	rows        []csvRow
}

// csvRow is one record: its bytes (with blank lines before it) and the file line they start on.
type csvRow struct {
	raw  []byte
	line int
}

// splitCSV cuts data into records. It checks only what it must to find where records end (a
// quoted field may hold a line break); the columns are the server's to check.
func splitCSV(data []byte) (*csvFile, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty: want a header line and one line per household")
		}
		return nil, err
	}
	off := int(r.InputOffset())
	f := &csvFile{header: data[:off], headerLines: bytes.Count(data[:off], []byte{'\n'})}
	line := 1 + f.headerLines
	for {
		if _, err := r.Read(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		end := int(r.InputOffset())
		raw := data[off:end]
		f.rows = append(f.rows, csvRow{raw: raw, line: line})
		line += bytes.Count(raw, []byte{'\n'})
		off = end
	}
	if len(f.rows) == 0 {
		return nil, errors.New("the file has a header but no rows")
	}
	return f, nil
}

// importBatch is one ImportCaseload request: the header and rows [first, last) of the file.
type importBatch struct {
	first, last int
	csv         []byte
	chunks      []chunk // where each row starts, in the batch and in the file
	headerLines int
}

type chunk struct{ local, file int }

// batches groups the rows by size rows per request, fewer when their bytes would pass
// maxBytes.
func (f *csvFile) batches(size, maxBytes int) ([]importBatch, error) {
	var out []importBatch
	var b *importBatch
	for i, row := range f.rows {
		if len(f.header)+len(row.raw) > maxBytes {
			return nil, fmt.Errorf("line %d: the row is too long to send (%d bytes with the header, at most %d)", row.line, len(f.header)+len(row.raw), maxBytes)
		}
		if b == nil || b.last-b.first == size || len(b.csv)+len(row.raw) > maxBytes {
			out = append(out, importBatch{first: i, last: i, csv: append([]byte(nil), f.header...), headerLines: f.headerLines})
			b = &out[len(out)-1]
		}
		local := 1 + bytes.Count(b.csv, []byte{'\n'})
		b.chunks = append(b.chunks, chunk{local: local, file: row.line})
		b.csv = append(b.csv, row.raw...)
		b.last = i + 1
	}
	return out, nil
}

// fileLine maps a line number the server reports for this batch (its header is line 1) to
// the line of the whole file.
func (b *importBatch) fileLine(local int) int {
	if local <= b.headerLines {
		return local
	}
	i := sort.Search(len(b.chunks), func(i int) bool { return b.chunks[i].local > local }) - 1
	if i < 0 {
		return local
	}
	return b.chunks[i].file + local - b.chunks[i].local
}

// importer sends a file's batches.
type importer struct {
	c       *adminClient
	title   string
	batches []importBatch
	total   int
	stderr  io.Writer
}

// importReport is what one pass over the file did or would do.
type importReport struct {
	rows                                []reportRow
	created, changed, unchanged, failed int
	applied                             bool
}

type reportRow struct {
	line    int
	code    string
	action  veiligv1.ImportAction
	message string
}

// pass sends every batch once. It stops at the first call that fails, or, when
// allOrNothing, at the first batch with a failed row, and says which rows were applied
// before: rerunning the file is the way on, as a second run changes nothing twice.
func (imp *importer) pass(ctx context.Context, verb string, dryRun, allOrNothing bool) (importReport, error) {
	var rep importReport
	appliedUpTo := 0 // rows before this one were sent in a batch that applied
	for n, b := range imp.batches {
		span := fmt.Sprintf("rows %s–%s", thousands(b.first+1), thousands(b.last))
		fmt.Fprintf(imp.stderr, "%s: %s%s of %s …\n", imp.title, verb, span, thousands(imp.total))
		res, err := call(ctx, imp.c, veiligv1connect.RegionServiceImportCaseloadProcedure, imp.c.region.ImportCaseload,
			&veiligv1.ImportCaseloadRequest{Csv: b.csv, DryRun: dryRun, AllOrNothing: allOrNothing})
		if err != nil {
			return rep, fmt.Errorf("%s: %s: %w%s", imp.title, span, err, appliedBefore(appliedUpTo))
		}
		for _, r := range res.GetRows() {
			// A header line the server reports on is reported once, not once per batch.
			if n > 0 && int(r.GetLine()) <= b.headerLines {
				continue
			}
			rep.rows = append(rep.rows, reportRow{line: b.fileLine(int(r.GetLine())), code: r.GetCode(), action: r.GetAction(), message: r.GetMessage()})
		}
		rep.created += int(res.GetCreated())
		rep.changed += int(res.GetChanged())
		rep.unchanged += int(res.GetUnchanged())
		rep.failed += int(res.GetFailed())
		if res.GetApplied() {
			rep.applied = true
			appliedUpTo = b.last
		}
		if allOrNothing && res.GetFailed() > 0 {
			// Every row passed the check pass, so something changed on the server since;
			// this batch applied nothing, and the next would not hold the promise either.
			return rep, fmt.Errorf("%s: %s: %d rows failed after the check passed; this batch was not applied%s", imp.title, span, res.GetFailed(), appliedBefore(appliedUpTo))
		}
	}
	return rep, nil
}

func appliedBefore(rows int) string {
	if rows == 0 {
		return ""
	}
	return fmt.Sprintf(" (rows 1–%s were applied before it; running the file again is safe)", thousands(rows))
}

func (rep *importReport) print(w io.Writer) {
	for _, r := range rep.rows {
		code := r.code
		if code == "" {
			code = "-"
		}
		fmt.Fprintf(w, "line %d  %s  %s\n", r.line, code, actionText(r.action, r.message))
	}
}

func actionText(a veiligv1.ImportAction, message string) string {
	var s string
	switch a {
	case veiligv1.ImportAction_IMPORT_ACTION_CREATE:
		s = "create"
	case veiligv1.ImportAction_IMPORT_ACTION_CHANGE:
		s = "change"
	case veiligv1.ImportAction_IMPORT_ACTION_UNCHANGED:
		s = "unchanged"
	case veiligv1.ImportAction_IMPORT_ACTION_FAILED:
		s = "FAILED"
	default:
		s = "unknown action " + strconv.Itoa(int(a))
	}
	if message != "" && a != veiligv1.ImportAction_IMPORT_ACTION_UNCHANGED {
		s += ": " + message
	}
	return s
}

func (rep *importReport) summary() string {
	return fmt.Sprintf("%s created, %s changed, %s unchanged, %s failed",
		thousands(rep.created), thousands(rep.changed), thousands(rep.unchanged), thousands(rep.failed))
}

// thousands writes n with thousands separators, as progress on a large file reads easier.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
