package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/gate"
	"github.com/secgate/secgate/policies"
	"github.com/secgate/secgate/report"
)

func newPolicyCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Test, check, format and evaluate Rego policies",
		Long: `Commands for the security team that writes secgate's policies (Rego v1, packages
under secgate, deny and warn rules; see docs/policies.md).

Exit codes: 0 success; 1 a test failed, a policy does not compile, files need
formatting, or the re-evaluated gate is denied; 2 error.`,
	}
	cmd.AddCommand(newPolicyTestCmd(stdout), newPolicyCheckCmd(stdout, stderr), newPolicyFmtCmd(stdout), newPolicyEvalCmd(stdout, stderr), newPolicyInputCmd(stdout, stderr))
	return cmd
}

func newPolicyTestCmd(stdout io.Writer) *cobra.Command {
	var (
		coverage   bool
		noDefaults bool
		data       []string
		verbose    bool
		allowNet   bool
		run        string
		format     string
		threshold  float64
		explain    string
	)
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run the test_ rules of the policies in PATH (default .)",
		Long: `Test runs every test_ rule of the .rego files under PATH (with their _test.rego
files) with OPA's tester, in strict mode with built-in errors raised, and prints
PASS or FAIL per test. The embedded default policies are loaded too (so tests
may use data.secgate.lib) unless --no-default-policies. As opa test: --run
selects tests by a regular expression over their names, --explain fails|full
prints evaluation traces, --threshold fails a run whose coverage is below a
percentage, --format json prints the results as JSON. Exit code 1 when a test
fails or coverage is below the threshold.`,
		Example: `  secgate policy test team/
  secgate policy test --run 'licenses_test' --explain fails team/
  secgate policy test --threshold 90 --format json team/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			if format != "text" && format != "json" {
				return fmt.Errorf("invalid --format %q: want text or json", format)
			}
			if threshold < 0 || threshold > 100 {
				return fmt.Errorf("invalid --threshold %v: want a percentage, 0 to 100", threshold)
			}
			mods, err := policies.LoadTestModules("", args)
			if err != nil {
				return err
			}
			d, err := policies.LoadData("", data)
			if err != nil {
				return err
			}
			results, cov, err := policies.RunTests(cmd.Context(), policies.TestOptions{
				Modules: mods, WithDefaults: !noDefaults, Data: d, Coverage: coverage || threshold > 0,
				AllowNet: allowNet, Run: run, Explain: explain,
			})
			if err != nil {
				return err
			}
			if len(results) == 0 {
				if run != "" {
					return fmt.Errorf("no test_ rules in %s match --run %q", strings.Join(args, ", "), run)
				}
				return fmt.Errorf("no test_ rules in %s", strings.Join(args, ", "))
			}
			failed := 0
			for _, r := range results {
				if !r.Skipped && (r.Err != nil || !r.Pass) {
					failed++
				}
			}
			total := totalCoverage(cov)
			below := threshold > 0 && total < threshold
			if format == "json" {
				if err := writeTestJSON(stdout, results, cov, total, threshold); err != nil {
					return err
				}
			} else {
				writeTestText(stdout, results, cov, verbose)
				if below {
					fmt.Fprintf(stdout, "coverage %.2f%% is below the threshold %.2f%%\n", total, threshold)
				}
			}
			if failed > 0 || below {
				return errChecksFailed
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&coverage, "coverage", false, "print the share of each policy file the tests evaluate")
	fl.BoolVar(&noDefaults, "no-default-policies", false, "do not load the embedded default policies")
	fl.StringArrayVarP(&data, "data", "d", nil, "add JSON or YAML `FILE` to data (repeatable)")
	fl.BoolVarP(&verbose, "verbose", "v", false, "print passing tests and print() output too")
	fl.BoolVar(&allowNet, "policy-allow-net", false, "let policies call OPA's network built-ins (http.send, net.lookup_ip_addr)")
	fl.StringVarP(&run, "run", "r", "", "run only the tests whose name (data.PACKAGE.test_x) matches the regular expression `REGEX`")
	fl.StringVarP(&format, "format", "f", "text", "output `FORMAT`: text or json")
	fl.Float64Var(&threshold, "threshold", 0, "fail when the coverage of the policy files is below `PERCENT` (implies --coverage)")
	fl.StringVar(&explain, "explain", "", "print evaluation traces: `fails` (the failed expressions of failing tests) or full (every step of every test)")
	return cmd
}

// writeTestText prints test results as secgate policy test does by default.
func writeTestText(w io.Writer, results []policies.TestResult, cov []policies.Coverage, verbose bool) {
	failed := 0
	for _, r := range results {
		switch {
		case r.Skipped:
			fmt.Fprintf(w, "SKIP  %s (%s)\n", r.Name, r.Location)
		case r.Err != nil:
			failed++
			fmt.Fprintf(w, "ERROR %s (%s): %v\n", r.Name, r.Location, r.Err)
		case !r.Pass:
			failed++
			fmt.Fprintf(w, "FAIL  %s (%s)\n", r.Name, r.Location)
		case verbose || r.Explain != "":
			fmt.Fprintf(w, "PASS  %s (%s)\n", r.Name, r.Duration.Round(1000))
		}
		if r.Output != "" && (verbose || !r.Pass) {
			fmt.Fprintf(w, "      %s\n", strings.ReplaceAll(strings.TrimSpace(r.Output), "\n", "\n      "))
		}
		if r.Explain != "" {
			fmt.Fprintf(w, "      %s\n", strings.ReplaceAll(strings.TrimSpace(r.Explain), "\n", "\n      "))
		}
	}
	fmt.Fprintf(w, "%d tests: %d passed, %d failed\n", len(results), len(results)-failed, failed)
	for _, c := range cov {
		fmt.Fprintf(w, "coverage %6.2f%%  %s", c.Percent, c.File)
		if len(c.Missed) > 0 {
			fmt.Fprintf(w, "  (not covered: %s)", strings.Join(c.Missed, " "))
		}
		fmt.Fprintln(w)
	}
}

// totalCoverage is the share of the covered lines over all files, as opa
// test --threshold reads it; 100 without files.
func totalCoverage(cov []policies.Coverage) float64 {
	covered, all := 0, 0
	for _, c := range cov {
		covered += c.Covered
		all += c.Covered + c.Uncovered
	}
	if all == 0 {
		return 100
	}
	return 100 * float64(covered) / float64(all)
}

// testJSON is one test in secgate policy test --format json.
type testJSON struct {
	Name       string `json:"name"`
	Location   string `json:"location,omitempty"`
	Result     string `json:"result"` // pass, fail, error, skip
	Error      string `json:"error,omitempty"`
	DurationNS int64  `json:"duration_ns"`
	Output     string `json:"output,omitempty"`
	Explain    string `json:"explain,omitempty"`
}

func writeTestJSON(w io.Writer, results []policies.TestResult, cov []policies.Coverage, total, threshold float64) error {
	out := struct {
		Tests    []testJSON `json:"tests"`
		Passed   int        `json:"passed"`
		Failed   int        `json:"failed"`
		Coverage *struct {
			Percent   float64             `json:"percent"`
			Threshold float64             `json:"threshold,omitempty"`
			Files     []policies.Coverage `json:"files"`
		} `json:"coverage,omitempty"`
	}{Tests: []testJSON{}}
	for _, r := range results {
		t := testJSON{Name: r.Name, Location: r.Location, DurationNS: r.Duration.Nanoseconds(), Output: r.Output, Explain: r.Explain}
		switch {
		case r.Skipped:
			t.Result = "skip"
		case r.Err != nil:
			t.Result, t.Error = "error", r.Err.Error()
			out.Failed++
		case !r.Pass:
			t.Result = "fail"
			out.Failed++
		default:
			t.Result = "pass"
			out.Passed++
		}
		out.Tests = append(out.Tests, t)
	}
	if cov != nil {
		out.Coverage = &struct {
			Percent   float64             `json:"percent"`
			Threshold float64             `json:"threshold,omitempty"`
			Files     []policies.Coverage `json:"files"`
		}{Percent: total, Threshold: threshold, Files: cov}
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("write test results: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

func newPolicyCheckCmd(stdout, stderr io.Writer) *cobra.Command {
	var pf policyFlags
	cmd := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Parse, compile and type-check policies as a scan would load them",
		Long: `Check loads the policies under PATH (and --data, --waivers, --policy-bundle)
with the embedded defaults, as secgate scan would, and type-checks them
against the findings document's schema: a misspelt field (input.findngs,
f.severty) is reported with its file and line; without --waivers the current
directory's .secgate-waivers.yaml is checked when there is one. Exit code 1
when they do not load.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			pf.paths = append(pf.paths, args...)
			opts, err := pf.options()
			if err != nil {
				return err
			}
			// The waivers file by default: the current directory's, as
			// the repository's CI or a developer runs it from there.
			if _, err := gate.NewEngine(cmd.Context(), opts, findings.Root{}, "."); err != nil {
				fmt.Fprintf(stderr, "secgate: %s\n", clean(err.Error()))
				return errChecksFailed
			}
			fmt.Fprintf(stdout, "policies OK: %s\n", strings.Join(append(slices.Clone(opts.Paths), defaultsLabel(opts.NoDefaults)), ", "))
			return nil
		},
	}
	pf.register(cmd.Flags())
	return cmd
}

func defaultsLabel(none bool) string {
	if none {
		return "no default policies"
	}
	return "the default policies"
}

func newPolicyFmtCmd(stdout io.Writer) *cobra.Command {
	var write bool
	cmd := &cobra.Command{
		Use:   "fmt [PATH...]",
		Short: "Format Rego files as opa fmt does",
		Long: `Fmt lists the .rego files under PATH (default .) that are not formatted as
opa fmt writes them (exit code 1 when there are any), or rewrites them with
--write.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			mods, err := policies.LoadTestModules("", args)
			if err != nil {
				return err
			}
			changed := 0
			for _, name := range slices.Sorted(maps.Keys(mods)) {
				out, err := policies.Format(name, mods[name])
				if err != nil {
					return err
				}
				if bytes.Equal(out, []byte(mods[name])) {
					continue
				}
				changed++
				if write {
					if err := os.WriteFile(filepath.FromSlash(name), out, 0o644); err != nil {
						return err
					}
				}
				fmt.Fprintln(stdout, name)
			}
			if changed > 0 && !write {
				return errChecksFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&write, "write", "w", false, "rewrite the files instead of listing them")
	return cmd
}

func newPolicyEvalCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		pf     policyFlags
		input  string
		format string
		output string
		quiet  bool
	)
	cmd := &cobra.Command{
		Use:   "eval --input REPORT.json",
		Short: "Re-decide a saved JSON report with (other) policies, without rescanning",
		Long: `Eval reads a findings document written by secgate scan --format json, drops its
decision, and lets the policies (--policy, --data, --waivers, --policy-bundle,
--fail-on, the defaults) decide again, then writes the report and exits like
scan: 0 pass, 1 denied, 2 error. Without --waivers it reads the current
directory's .secgate-waivers.yaml when there is one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if input == "" {
				return errors.New("--input is required")
			}
			doc, err := readReport(input)
			if err != nil {
				return err
			}
			doc.Decision = nil
			for i := range doc.Findings {
				doc.Findings[i].Decision, doc.Findings[i].Waiver = "", nil
			}
			opts, err := pf.options()
			if err != nil {
				return err
			}
			opts.Print = stderr
			root, err := findings.NewRoot("")
			if err != nil {
				return err
			}
			engine, err := gate.NewEngine(cmd.Context(), opts, root, ".") // the waivers of the current directory by default
			if err != nil {
				return err
			}
			verdict, err := engine.Decide(cmd.Context(), doc)
			if err != nil {
				return err
			}
			verdict.Apply(doc)
			out, err := report.New(format, report.Options{Warn: func(m string) { warnf(stderr, "%s", m) }})
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := out.Output(&buf, doc); err != nil {
				return err
			}
			if err := writeReports(cmd.Context(), []reportOutput{{format: format, file: output}}, [][]byte{buf.Bytes()}, stdout); err != nil {
				return err
			}
			if !quiet {
				writeSummary(stderr, doc)
			}
			if doc.Decision.Result == findings.ResultFail {
				return errDenied
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&input, "input", "i", "", "the JSON report (`FILE`) to decide again")
	fl.StringVarP(&format, "format", "f", "table", "report format: "+strings.Join(report.Formats, ", "))
	fl.StringVarP(&output, "output", "o", "", "write the report to `FILE` instead of stdout")
	fl.BoolVarP(&quiet, "quiet", "q", false, "no summary on stderr")
	pf.register(fl)
	return cmd
}
