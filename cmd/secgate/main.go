// Command secgate is a security gate for CI: it scans dependencies, secrets
// and container images, decides with OPA/Rego policies whether the findings
// pass, writes reports (table, JSON, SARIF, JUnit, GitLab, Markdown) and
// exits 0 (pass), 1 (the policy denied) or 2 (error); exitcode.go holds the
// table.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	// Mozilla's root certificates, used only where the system has none
	// (the scratch image of Dockerfile): HTTPS to the OSV API and to
	// registries works there too.
	_ "golang.org/x/crypto/x509roots/fallback"
)

// version, commit and date are set at build time by the release build
// (.goreleaser.yaml: -ldflags "-X main.version=1.2.3 -X main.commit=...
// -X main.date=..."); a source build leaves them empty.
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	os.Exit(execute(os.Args[1:]))
}

// execute runs the command line as the secgate process does: SIGINT and
// SIGTERM cancel the context (its cause names the signal), so that work
// stops within a second and the exit code is 2, with no report; a second
// signal kills the process.
func execute(args []string) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		signal.Stop(sigs) // the next signal terminates at once
		cancel(fmt.Errorf("interrupted by %v: %w", s, context.Canceled))
	}()
	return run(ctx, args, os.Stdout, os.Stderr)
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if code == exitError {
		fmt.Fprintf(stderr, "secgate: error: %s\n", clean(err.Error()))
	}
	return code
}

const exitCodeHelp = `Exit codes:
  0  the gate passed (warnings may have been reported)
  1  the policy denied: at least one deny rule fired
  2  error: the gate could not decide (bad input, unreadable or malformed file,
     missing vulnerability data, broken policy). A gate that could not decide
     never passes.`

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "secgate",
		Short: "A security gate for CI: scan, decide with OPA policies, report",
		Long: `secgate scans a project's dependencies for known vulnerabilities (OSV),
its files and git history for secrets, and container images; OPA/Rego
policies decide whether the findings pass, warn or fail; it writes reports
(table, JSON, SARIF, JUnit, GitLab, Markdown) and exits with a code for CI.

` + exitCodeHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())
	})
	root.AddCommand(newScanCmd(stdout, stderr), newPolicyCmd(stdout, stderr), newVEXCmd(stdout, stderr), newDBCmd(stdout, stderr), newVersionCmd(stdout))
	return root
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print secgate's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			line := "secgate " + buildVersion()
			if c, d := buildCommit(); c != "" {
				line += " (commit " + c
				if d != "" {
					line += ", " + d
				}
				line += ")"
			}
			_, err := fmt.Fprintln(stdout, line)
			return err
		},
	}
}

// buildVersion is the version set at link time, else the module version
// recorded by `go install`, else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// buildCommit is the commit and date stamped at link time, else the ones
// the Go toolchain records for a build in a git checkout.
func buildCommit() (string, string) {
	if commit != "" {
		return commit, date
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", ""
	}
	var rev, at string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		}
	}
	return rev, at
}
