package main

import (
	"bytes"
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
	)
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run the test_ rules of the policies in PATH (default .)",
		Long: `Test runs every test_ rule of the .rego files under PATH (with their _test.rego
files) with OPA's tester, in strict mode with built-in errors raised, and prints
PASS or FAIL per test. The embedded default policies are loaded too (so tests
may use data.secgate.lib) unless --no-default-policies. Exit code 1 when a test
fails.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			mods, err := policies.LoadTestModules("", args)
			if err != nil {
				return err
			}
			d, err := policies.LoadData("", data)
			if err != nil {
				return err
			}
			results, cov, err := policies.RunTests(cmd.Context(), policies.TestOptions{Modules: mods, WithDefaults: !noDefaults, Data: d, Coverage: coverage, AllowNet: allowNet})
			if err != nil {
				return err
			}
			if len(results) == 0 {
				return fmt.Errorf("no test_ rules in %s", strings.Join(args, ", "))
			}
			failed := 0
			for _, r := range results {
				switch {
				case r.Skipped:
					fmt.Fprintf(stdout, "SKIP  %s (%s)\n", r.Name, r.Location)
				case r.Err != nil:
					failed++
					fmt.Fprintf(stdout, "ERROR %s (%s): %v\n", r.Name, r.Location, r.Err)
				case !r.Pass:
					failed++
					fmt.Fprintf(stdout, "FAIL  %s (%s)\n", r.Name, r.Location)
				case verbose:
					fmt.Fprintf(stdout, "PASS  %s (%s)\n", r.Name, r.Duration.Round(1000))
				}
				if r.Output != "" && (verbose || !r.Pass) {
					fmt.Fprintf(stdout, "      %s\n", strings.ReplaceAll(strings.TrimSpace(r.Output), "\n", "\n      "))
				}
			}
			fmt.Fprintf(stdout, "%d tests: %d passed, %d failed\n", len(results), len(results)-failed, failed)
			for _, c := range cov {
				fmt.Fprintf(stdout, "coverage %6.2f%%  %s", c.Percent, c.File)
				if len(c.Missed) > 0 {
					fmt.Fprintf(stdout, "  (not covered: %s)", strings.Join(c.Missed, " "))
				}
				fmt.Fprintln(stdout)
			}
			if failed > 0 {
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
	return cmd
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
