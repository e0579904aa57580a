package policies

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/lineage"
)

// TestResult is the outcome of one Rego test rule.
type TestResult struct {
	// Name is the test's package and rule, e.g. data.secgate.team_test.test_x.
	Name     string
	Location string
	Pass     bool
	Skipped  bool
	// Err is set when the test could not be evaluated.
	Err      error
	Duration time.Duration
	// Output is what the test printed with print().
	Output string
	// Explain is the test's evaluation trace, as opa test --explain prints
	// it, when TestOptions.Explain asked for one (for "fails", only of a
	// test that did not pass).
	Explain string
}

// explain formats a test's trace for mode ("fails" or "full"), as opa
// test --explain does: the failed expressions only of a failing test, or
// every step.
func explain(mode string, pass bool, trace []*topdown.Event) string {
	if len(trace) == 0 {
		return ""
	}
	switch {
	case mode == "fails" && !pass:
		trace = lineage.Fails(trace)
	case mode == "full":
		trace = lineage.Full(trace)
	default:
		return ""
	}
	var b strings.Builder
	topdown.PrettyTraceWithLocation(&b, trace)
	return b.String()
}

// Coverage is the share of a module's expressions the tests evaluated.
type Coverage struct {
	File      string   `json:"file"`
	Percent   float64  `json:"percent"`
	Missed    []string `json:"not_covered,omitempty"` // "file:line-line" ranges not covered
	Covered   int      `json:"covered_lines"`
	Uncovered int      `json:"not_covered_lines"`
}

// TestOptions configure RunTests.
type TestOptions struct {
	// Modules holds the policies and their _test.rego files.
	Modules map[string]string
	// WithDefaults adds the embedded default policies (not their tests),
	// so team policies can use data.secgate.lib.
	WithDefaults bool
	Data         map[string]any
	Coverage     bool
	Timeout      time.Duration
	// AllowNet is as for Options.
	AllowNet bool
	// Run, when set, is a regular expression: only the tests whose name
	// (data.PACKAGE.test_x) it matches run, as opa test --run.
	Run string
	// Explain traces the tests: "fails" (the failed expressions of a
	// failing test), "full" (every step of every test); "" for none.
	Explain string
}

// RunTests runs the test_ rules of the modules with OPA's tester, in strict
// mode with built-in errors raised, as `opa test` would. Tests are not
// type-checked against the input schema (they build partial inputs); Check
// and every scan are. It returns the
// results sorted by name and, when asked, coverage per file of Modules.
func RunTests(ctx context.Context, opts TestOptions) ([]TestResult, []Coverage, error) {
	sources := maps.Clone(opts.Modules)
	if opts.WithDefaults {
		defaults, err := defaultModules()
		if err != nil {
			return nil, nil, policyError("load policies", err)
		}
		loaded := map[string]bool{}
		for _, src := range sources {
			loaded[src] = true
		}
		for name, src := range defaults {
			// Testing a copy of the defaults themselves (policies/default):
			// do not load them twice.
			if _, dup := sources[name]; !dup && !loaded[src] {
				sources[name] = src
			}
		}
	}
	modules, err := ParseModules(sources)
	if err != nil {
		return nil, nil, policyError("parse policies", err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	data, err := normalizeData(opts.Data)
	if err != nil {
		return nil, nil, policyError("configure policies", err)
	}
	runner := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithCapabilities(capabilities(opts.AllowNet)).WithStrict(true).WithDefaultRegoVersion(ast.RegoV1)).
		SetStore(inmem.NewFromObject(data)).
		SetModules(modules).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		EnableTracing(opts.Explain != "").
		SetTimeout(timeout)
	if opts.Run != "" {
		if _, err := regexp.Compile(opts.Run); err != nil {
			return nil, nil, fmt.Errorf("--run %q: %w", opts.Run, err)
		}
		runner = runner.Filter(opts.Run)
	}
	switch opts.Explain {
	case "", "fails", "full":
	default:
		return nil, nil, fmt.Errorf("--explain %q: want fails or full", opts.Explain)
	}
	var cov *cover.Cover
	if opts.Coverage {
		cov = cover.New()
		runner.SetCoverageQueryTracer(cov)
	}
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return nil, nil, policyError("compile policy tests", explainNetwork(err, opts.AllowNet))
	}
	var results []TestResult
	for r := range ch {
		tr := TestResult{
			Name:     r.Package + "." + r.Name,
			Pass:     r.Pass(),
			Skipped:  r.Skip,
			Duration: r.Duration,
			Output:   string(r.Output),
		}
		if r.Location != nil {
			tr.Location = r.Location.String()
		}
		if r.Error != nil {
			tr.Err = r.Error
			tr.Pass = false
		}
		tr.Explain = explain(opts.Explain, tr.Pass, r.Trace)
		results = append(results, tr)
	}
	slices.SortFunc(results, func(a, b TestResult) int { return strings.Compare(a.Name, b.Name) })
	if cov == nil {
		return results, nil, nil
	}
	report := cov.Report(modules)
	var out []Coverage
	for _, name := range slices.Sorted(maps.Keys(report.Files)) {
		if _, ours := opts.Modules[name]; !ours || strings.HasSuffix(name, "_test.rego") {
			continue
		}
		f := report.Files[name]
		c := Coverage{File: name, Percent: f.Coverage, Covered: f.CoveredLines, Uncovered: f.NotCoveredLines}
		for _, r := range f.NotCovered {
			c.Missed = append(c.Missed, fmt.Sprintf("%s:%d-%d", name, r.Start.Row, r.End.Row))
		}
		out = append(out, c)
	}
	return results, out, nil
}

// Format returns src as `opa fmt` writes it (Rego v1).
func Format(name, src string) ([]byte, error) {
	out, err := format.SourceWithOpts(name, []byte(src), format.Opts{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", name, err)
	}
	return out, nil
}

// Check parses and compiles policies with the input schema, as a scan
// would load them, without evaluating anything.
func Check(ctx context.Context, opts Options) error {
	_, err := New(ctx, opts)
	return err
}
