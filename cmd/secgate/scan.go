package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/gate"
	"github.com/secgate/secgate/policies"
	"github.com/secgate/secgate/report"
	"github.com/secgate/secgate/scanners/container"
	"github.com/secgate/secgate/scanners/secrets"
)

type scanFlags struct {
	format        string
	output        string
	quiet         bool
	offlineDB     string
	osvAPI        string
	noIgnore      bool
	scanners      []string
	history       bool
	since         string
	staged        bool
	secretsConfig string
	maxFileSize   string
	images        []string
	dockerfile    string
	maxLayerSize  string
	policy        policyFlags
}

// policyFlags choose the policies; scan and policy eval share them.
type policyFlags struct {
	paths      []string
	data       []string
	noDefaults bool
	waivers    string
	bundle     string
	bundleKey  string
	failOn     string
	timeout    time.Duration
}

func (p *policyFlags) register(fl *pflag.FlagSet) {
	fl.StringArrayVarP(&p.paths, "policy", "p", nil, "add Rego policies from `PATH` (a .rego file or a directory; repeatable)")
	fl.StringArrayVarP(&p.data, "data", "d", nil, "add JSON or YAML `FILE` (or directory) to the policies' data (repeatable)")
	fl.BoolVar(&p.noDefaults, "no-default-policies", false, "use only --policy and --policy-bundle policies, not the embedded defaults")
	fl.StringVar(&p.waivers, "waivers", "", "waivers `FILE` (default PATH/"+policies.WaiversFile+" when present)")
	fl.StringVar(&p.bundle, "policy-bundle", "", "add an OPA bundle of policies and data: a .tar.gz `FILE`, a directory or an https:// URL")
	fl.StringVar(&p.bundleKey, "bundle-verification-key", "", "PEM public key `FILE`: the bundle must be signed with its private key")
	fl.StringVar(&p.failOn, "fail-on", "high", "lowest `severity` the default policy denies: critical, high, medium or low")
	fl.DurationVar(&p.timeout, "policy-timeout", 30*time.Second, "bound on the policy evaluation")
}

func (p *policyFlags) options() (gate.PolicyOptions, error) {
	failOn, err := findings.ParseSeverity(p.failOn)
	if err != nil || failOn == findings.SeverityUnknown {
		return gate.PolicyOptions{}, fmt.Errorf("invalid --fail-on %q: want critical, high, medium or low", p.failOn)
	}
	o := gate.PolicyOptions{Paths: p.paths, DataPaths: p.data, NoDefaults: p.noDefaults, Waivers: p.waivers, FailOn: failOn, Timeout: p.timeout}
	if p.bundle != "" {
		o.Bundle = policies.BundleOptions{Source: p.bundle, VerificationKey: p.bundleKey}
	} else if p.bundleKey != "" {
		return o, errors.New("--bundle-verification-key needs --policy-bundle")
	}
	return o, nil
}

func newScanCmd(stdout, stderr io.Writer) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [PATH]",
		Short: "Scan PATH (default .) for vulnerable dependencies and secrets, and decide",
		Long: `Scan finds every lockfile and manifest under PATH that osv-scanner reads
(go.mod, package-lock.json, requirements.txt, pom.xml, Cargo.lock,
Gemfile.lock, ... and SBOMs), matches their packages against OSV advisories,
and lets the policy decide. The report goes to stdout (or --output); a short
summary goes to stderr.

The secret scanner reads every file under PATH (.gitignore'd ones too: a
secret in an ignored file still leaks into images and artifacts) with
gitleaks' rules, or with --history the lines added by every commit reachable
from HEAD, or with --staged the lines added in the git index. Secrets are
never printed: findings carry at most their first 4 characters.

Advisories come from the OSV API, or with --offline-db DIR from a local copy
of the OSV export laid out as DIR/<Ecosystem>/all.zip (for example
DIR/Go/all.zip, DIR/npm/all.zip); offline mode makes no network call, and a
missing ecosystem file is an error, never a pass.

` + exitCodeHelp,
		Example: `  secgate scan .
  secgate scan --offline-db ~/osv --format sarif --output secgate.sarif .
  SECGATE_OFFLINE_DB=~/osv secgate scan --fail-on critical services/api
  secgate scan --staged                  # pre-commit: secrets in the lines about to be committed
  secgate scan --history --since origin/main`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			} else if len(f.images) > 0 {
				path = "" // --image alone scans only the images
			}
			return runScan(cmd, path, f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "table", "report format: "+strings.Join(report.Formats, ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to `FILE` instead of stdout")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no summary or progress on stderr")
	fl.StringVar(&f.offlineDB, "offline-db", os.Getenv("SECGATE_OFFLINE_DB"), "match offline against the OSV export in `DIR` (DIR/<Ecosystem>/all.zip); env SECGATE_OFFLINE_DB")
	fl.StringVar(&f.osvAPI, "osv-api", envOr("SECGATE_OSV_API", ""), "base `URL` of the OSV API (default https://api.osv.dev); env SECGATE_OSV_API")
	fl.BoolVar(&f.noIgnore, "no-ignore", false, "also scan files that .gitignore excludes")
	f.policy.register(fl)
	fl.StringSliceVar(&f.scanners, "scanners", nil, "scanners to run: deps, secrets (default both; --history and --staged run secrets only)")
	fl.BoolVar(&f.history, "history", false, "scan git history for secrets: the lines added by every commit reachable from HEAD")
	fl.StringVar(&f.since, "since", "", "with --history, scan only the commits after `REF`")
	fl.BoolVar(&f.staged, "staged", false, "scan the lines added in the git index for secrets (for pre-commit)")
	fl.StringVar(&f.secretsConfig, "secrets-config", "", "gitleaks-compatible rules `FILE` (default PATH/.gitleaks.toml if present, else gitleaks' rules)")
	fl.StringVar(&f.maxFileSize, "max-file-size", "10MB", "skip files larger than `SIZE` in the secret scan (e.g. 512KB, 10MB, 1GB)")
	fl.StringArrayVar(&f.images, "image", nil, "scan a container image (repeatable): registry `REF`, docker-archive:FILE (or FILE.tar), oci:DIR, dir:ROOTFS")
	fl.StringVar(&f.dockerfile, "dockerfile", "", "the Dockerfile the images were built from: findings point at its lines")
	fl.StringVar(&f.maxLayerSize, "max-layer-size", "16GB", "refuse image layers larger than `SIZE` uncompressed (decompression bombs)")
	return cmd
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func runScan(cmd *cobra.Command, path string, f scanFlags, stdout, stderr io.Writer) error {
	popts, err := f.policy.options()
	if err != nil {
		return err
	}
	popts.Warn = func(msg string) { fmt.Fprintf(stderr, "secgate: warning: %s\n", msg) }
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("scan %s: %w", path, errors.Unwrap(err))
		}
	}
	maxSize, err := parseSize(f.maxFileSize)
	if err != nil {
		return fmt.Errorf("invalid --max-file-size %q: %w", f.maxFileSize, err)
	}
	maxLayer, err := parseSize(f.maxLayerSize)
	if err != nil {
		return fmt.Errorf("invalid --max-layer-size %q: %w", f.maxLayerSize, err)
	}
	sopts := secrets.Options{Config: f.secretsConfig, MaxFileSize: maxSize, Since: f.since}
	switch {
	case f.history && f.staged:
		return errors.New("--history and --staged exclude each other")
	case f.staged:
		sopts.Mode = secrets.Staged
	case f.history || f.since != "":
		sopts.Mode = secrets.History
	}
	if sopts.Mode != secrets.Tree && len(f.scanners) == 0 {
		f.scanners = []string{findings.ScannerSecrets}
	}
	ropts := report.Options{
		PathPrefix: sarifPrefix(path, f.images),
		Warn:       func(msg string) { fmt.Fprintf(stderr, "secgate: warning: %s\n", msg) },
	}
	if f.output == "" && report.IsTerminal(stdout) {
		ropts.Color = os.Getenv("NO_COLOR") == ""
		ropts.Width = terminalWidth(stdout)
	}
	out, err := report.New(f.format, ropts)
	if err != nil {
		return err
	}

	progress := newProgress(stderr, f.quiet)
	doc, err := gate.Run(cmd.Context(), gate.Options{
		Path:        path,
		OfflineDB:   f.offlineDB,
		OSVAPI:      f.osvAPI,
		NoIgnore:    f.noIgnore,
		Scanners:    f.scanners,
		Secrets:     sopts,
		SkipPath:    path == "",
		Images:      f.images,
		Dockerfile:  f.dockerfile,
		ImageLimits: container.Limits{MaxLayerSize: maxLayer},
		Policy:      popts,
		Version:     buildVersion(),
		Progress:    progress.report,
	})
	progress.done()
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	if err := out.Output(&buf, doc); err != nil {
		return fmt.Errorf("write %s report: %w", f.format, err)
	}
	if err := writeReport(buf.Bytes(), f.output, stdout); err != nil {
		return err
	}
	if !f.quiet {
		writeSummary(stderr, doc)
	}
	if doc.Decision.Result == findings.ResultFail {
		return errDenied
	}
	return nil
}

// sarifPrefix is the scanned directory relative to the working directory,
// which CI runs from the repository root: SARIF locations must be relative
// to that root, while findings are relative to the scanned directory.
func sarifPrefix(path string, images []string) string {
	if path == "" || len(images) > 0 {
		// Image findings are placed at image/... or at the Dockerfile,
		// relative to the working directory already.
		return ""
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		abs = filepath.Dir(abs)
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(rel)
}

// parseSize reads a byte count with an optional KB, MB or GB suffix (powers
// of 1024).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	num := strings.ToUpper(strings.TrimSpace(s))
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive size such as 512KB or 10MB")
	}
	return n * mult, nil
}

// writeReport writes a rendered report to the file, or stdout when none.
func writeReport(data []byte, file string, stdout io.Writer) error {
	if file == "" {
		if _, err := stdout.Write(data); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
