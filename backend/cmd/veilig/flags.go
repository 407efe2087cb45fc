package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"
)

// Every command parses its flags with parseFlags, the one path from the command line and the
// environment to a flag's value: ff (github.com/peterbourgon/ff/v3) reads the command line,
// then the environment variable PREFIX_FLAG_NAME of each flag the command line did not set,
// through the flag's own Set. So a bad value is refused the same way wherever it comes from,
// and the error names where it came from and what it was; nothing falls back to a default.

// envSpec says which flags of a command the environment may set, and under which names.
type envSpec struct {
	// prefix names the variables: with "VEILIG", --data-dir is VEILIG_DATA_DIR. Empty: the
	// command reads no environment.
	prefix string
	// only, when set, lists the flags the environment may set; the others are command line
	// only (an admin command's --name is not read from a stray VEILIG_NAME).
	only []string
	// aliases are other variables for a flag, as documented before this parser: variable →
	// flag name. Setting both the alias and the flag's own variable is an error.
	aliases map[string]string
	// oneSource lists groups of flags that take their values from one place: when any flag of
	// a group is on the command line, none of the group is read from the environment (admin's
	// --token and --token-file: a token on the command line is never mixed with one exported).
	oneSource [][]string
}

// veiligEnv is the environment of the server's commands: every flag, as VEILIG_FLAG_NAME.
var veiligEnv = envSpec{prefix: "VEILIG"}

// commonFlagNames are the flags of common.register, for commands that take only those from
// the environment.
var commonFlagNames = []string{"data-dir", "database-url", "log-format", "log-level"}

// envVar is the variable of flag name under spec, or "" when the environment cannot set it.
func (spec envSpec) envVar(name string) string {
	if spec.prefix == "" || (len(spec.only) > 0 && !slices.Contains(spec.only, name)) {
		return ""
	}
	return spec.prefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// flagSources says where each flag that was set got its value: "--name" for the command
// line, the variable's name for the environment. Flags left at their defaults are absent.
type flagSources map[string]string

// of is the source of flag name, or "--name" when it was not set: the name to put in an
// error about that flag.
func (s flagSources) of(name string) string {
	if src, ok := s[name]; ok {
		return src
	}
	return "--" + name
}

// badValueError is a value a flag refused: it names where the value came from (the flag or
// its variable) and the value itself. Only typed values are ever refused (durations, numbers,
// booleans, issuer lists); secrets (tokens, database URLs) are plain strings, which no flag
// refuses, so no secret is repeated in an error.
type badValueError struct {
	source, value, reason string
}

func (e *badValueError) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.source, e.value, e.reason)
}

// recorder wraps a flag's value while parsing to keep what it refused; parseFlags turns that
// into a badValueError naming the source.
type recorder struct {
	flag.Value
	name    string
	refused *refusal
}

// refusal is the last value a recorder's flag refused, and why.
type refusal struct {
	name, value string
	err         error
}

func (r *recorder) Set(s string) error {
	if err := r.Value.Set(s); err != nil {
		*r.refused = refusal{name: r.name, value: s, err: err}
		return err
	}
	return nil
}

// IsBoolFlag keeps -flag without a value working for a boolean flag.
func (r *recorder) IsBoolFlag() bool {
	b, ok := r.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// reason says what is wrong with a value a flag refused, by the flag's type: the flag
// package's own errors ("parse error") name neither the type nor an example.
func reason(v flag.Value, err error) string {
	g, ok := v.(flag.Getter)
	if !ok {
		return err.Error()
	}
	switch g.Get().(type) {
	case time.Duration:
		return "invalid duration: want a number with a unit, such as 30s, 10m or 1h30m"
	case bool:
		return "invalid boolean: want true or false"
	case int, int64, uint, uint64:
		if strings.Contains(err.Error(), "out of range") {
			return "out of range"
		}
		return "invalid number: want a whole number"
	case float64:
		return "invalid number"
	default:
		return err.Error()
	}
}

// parseFlags parses args into fs: the command line first, then, for every flag the command
// line did not set, its environment variable under spec. -h, -help and --help print the
// command's usage on stdout and return flag.ErrHelp (main exits 0). Every other failure is
// returned, naming the flag or variable and the value; nothing is printed.
func parseFlags(fs *flag.FlagSet, args []string, spec envSpec, stdout io.Writer) (flagSources, error) {
	fs.SetOutput(io.Discard) // the flag package would print the error and the whole usage
	usage := fs.Usage
	fs.Usage = func() {}
	var refused refusal
	restore := wrapValues(fs, &refused)
	err := ff.Parse(fs, args)
	restore()
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		printUsage(fs, spec, stdout)
		return nil, flag.ErrHelp
	}
	if err != nil {
		if refused.err != nil {
			f := fs.Lookup(refused.name)
			return nil, fmt.Errorf("%s: %w", fs.Name(), &badValueError{source: "--" + refused.name, value: refused.value, reason: reason(f.Value, refused.err)})
		}
		msg := err.Error()
		if inner := errors.Unwrap(err); inner != nil {
			msg = inner.Error() // the flag package's message, without ff's prefix
		}
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			return nil, fmt.Errorf("%s: unknown flag --%s (run 'veilig help %s' for its flags)", fs.Name(), strings.TrimLeft(name, "-"), fs.Name())
		}
		return nil, fmt.Errorf("%s: %s", fs.Name(), msg)
	}
	src := flagSources{}
	fs.Visit(func(f *flag.Flag) { src[f.Name] = "--" + f.Name })
	if spec.prefix == "" {
		return src, nil
	}
	return src, parseEnv(fs, spec, src)
}

// parseEnv sets the flags the command line left alone from their variables, through ff.
func parseEnv(fs *flag.FlagSet, spec envSpec, src flagSources) error {
	blocked := map[string]bool{}
	for _, group := range spec.oneSource {
		for _, name := range group {
			if _, ok := src[name]; ok {
				for _, other := range group {
					blocked[other] = true
				}
			}
		}
	}
	// The flags to read go into a flag set of their own, sharing the values, so that ff reads
	// exactly their variables; its names map to the variables as ff maps them.
	env := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	env.SetOutput(io.Discard)
	var refused refusal
	type target struct{ flag, variable string }
	targets := map[string]target{} // env's flag name → the flag of fs and its variable
	fs.VisitAll(func(f *flag.Flag) {
		key := spec.envVar(f.Name)
		if _, given := src[f.Name]; given || blocked[f.Name] || key == "" {
			return
		}
		env.Var(&recorder{Value: f.Value, name: f.Name, refused: &refused}, f.Name, f.Usage)
		targets[f.Name] = target{f.Name, key}
	})
	for alias, name := range spec.aliases {
		if os.Getenv(alias) == "" {
			continue
		}
		if own := spec.envVar(name); os.Getenv(own) != "" {
			return fmt.Errorf("%s: %s and %s both set --%s: set one", fs.Name(), own, alias, name)
		}
		if _, given := src[name]; given || blocked[name] {
			continue // the command line wins over every variable
		}
		f := fs.Lookup(name)
		aliasName := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(alias, spec.prefix+"_"), "_", "-"))
		env.Var(&recorder{Value: f.Value, name: aliasName, refused: &refused}, aliasName, f.Usage)
		targets[aliasName] = target{name, alias}
	}
	if err := ff.Parse(env, nil, ff.WithEnvVarPrefix(spec.prefix)); err != nil {
		if refused.err == nil {
			return fmt.Errorf("%s: environment: %w", fs.Name(), err)
		}
		t := targets[refused.name]
		return fmt.Errorf("%s: %w", fs.Name(), &badValueError{source: t.variable, value: refused.value, reason: reason(fs.Lookup(t.flag).Value, refused.err)})
	}
	env.Visit(func(f *flag.Flag) {
		t := targets[f.Name]
		src[t.flag] = t.variable
	})
	return nil
}

// wrapValues puts a recorder around every value of fs and returns the function that takes
// them off again (the usage prints the values' own types and defaults).
func wrapValues(fs *flag.FlagSet, refused *refusal) (restore func()) {
	orig := map[*flag.Flag]flag.Value{}
	fs.VisitAll(func(f *flag.Flag) {
		orig[f] = f.Value
		f.Value = &recorder{Value: f.Value, name: f.Name, refused: refused}
	})
	return func() {
		for f, v := range orig {
			f.Value = v
		}
	}
}

// printUsage prints fs's usage on w, each flag with the variable that sets it.
func printUsage(fs *flag.FlagSet, spec envSpec, w io.Writer) {
	orig := map[*flag.Flag]string{}
	fs.VisitAll(func(f *flag.Flag) {
		orig[f] = f.Usage
		if key := spec.envVar(f.Name); key != "" && !strings.Contains(f.Usage, key) {
			f.Usage += " ($" + key + ")"
		}
	})
	fs.SetOutput(w)
	if fs.Usage != nil {
		fs.Usage()
	}
	fs.SetOutput(io.Discard)
	for f, u := range orig {
		f.Usage = u
	}
}

// noArguments refuses words left after the flags of a command that takes none: a value with a
// space passed without quotes, or a flag after a stray word, would otherwise be dropped.
func noArguments(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (flags go before arguments; quote values with spaces)", fs.Name(), fs.Arg(0))
	}
	return nil
}

// newFlagSet is a command's flag set; its usage line is "veilig NAME ARGS".
func newFlagSet(name, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: veilig %s %s\n\n%s\n\nFlags:\n", name, args, summary)
		fs.PrintDefaults()
	}
	return fs
}

// The semantic checks of parsed values: each error names the flag, or the variable when the
// value came from the environment, and the value.

// wantOneOf refuses a value of flag name outside choices.
func wantOneOf(src flagSources, name, v string, choices ...string) error {
	if slices.Contains(choices, v) {
		return nil
	}
	return fmt.Errorf("%s=%q: want %s", src.of(name), v, strings.Join(choices, " or "))
}

// wantPositive refuses a duration of flag name that is zero or negative.
func wantPositive(src flagSources, name string, d time.Duration) error {
	if d > 0 {
		return nil
	}
	return fmt.Errorf("%s=%s: want a positive duration", src.of(name), d)
}

// wantAtLeast refuses a number of flag name below least.
func wantAtLeast(src flagSources, name string, n, least int64) error {
	if n >= least {
		return nil
	}
	return fmt.Errorf("%s=%d: want at least %d", src.of(name), n, least)
}

// wantHTTPURL refuses a value of flag name that is not an absolute http:// or https:// URL: a
// URL without its scheme (veilig.example.org) would be taken for a path.
func wantHTTPURL(src flagSources, name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s=%q: want an http:// or https:// URL with a host, such as https://veilig.example.org", src.of(name), v)
	}
	return nil
}
