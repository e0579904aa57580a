package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/secgate/secgate/exploits"
	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/gate"
	"github.com/secgate/secgate/osv"
	"github.com/secgate/secgate/policies"
	"github.com/secgate/secgate/report"
	"github.com/secgate/secgate/scanners/container"
	"github.com/secgate/secgate/scanners/deps"
	"github.com/secgate/secgate/scanners/secrets"
	"github.com/secgate/secgate/secretid"
	"github.com/secgate/secgate/vex"
)

type scanFlags struct {
	formats       []string
	outputs       []string
	baseline      string
	vex           []string
	config        string
	quiet         bool
	offlineDB     string
	exploitDB     string
	maxDBAge      ageFlag
	osvAPI        string
	noIgnore      bool
	strict        bool
	reachability  string
	exclude       []string
	scanners      []string
	history       bool
	since         string
	allRefs       bool
	staged        bool
	secretsConfig string
	maxFileSize   string
	images        []string
	dockerfile    string
	maxLayerSize  string
	maxLayers     int
	maxFileViews  int64
	registryTO    time.Duration
	severity      []string
	policy        policyFlags
	// inputOnly prints the policy input instead of the reports (secgate
	// policy input).
	inputOnly bool
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
	allowNet   bool
	// ignoreUnfixed sets data.secgate.config.ignore_unfixed.
	ignoreUnfixed bool
}

func (p *policyFlags) register(fl *pflag.FlagSet) {
	fl.StringArrayVarP(&p.paths, "policy", "p", nil, "add Rego policies from `PATH` (a .rego file or a directory; repeatable)")
	fl.StringArrayVarP(&p.data, "data", "d", nil, "add JSON or YAML `FILE` (or directory) to the policies' data (repeatable)")
	fl.BoolVar(&p.noDefaults, "no-default-policies", false, "use only --policy and --policy-bundle policies, not the embedded defaults")
	fl.StringVar(&p.waivers, "waivers", "", "waivers `FILE` (default "+policies.WaiversFile+" in the scanned PATH, for policy check and eval in the current directory, when present)")
	fl.StringVar(&p.bundle, "policy-bundle", "", "add an OPA bundle of policies and data: a .tar.gz `FILE`, a directory or an https:// URL")
	fl.StringVar(&p.bundleKey, "bundle-verification-key", "", "PEM public key `FILE`: the bundle must be signed with its private key")
	fl.StringVar(&p.failOn, "fail-on", "high", "lowest `severity` the default policy denies: critical, high, medium or low")
	fl.DurationVar(&p.timeout, "policy-timeout", 30*time.Second, "bound on the policy evaluation")
	fl.BoolVar(&p.allowNet, "policy-allow-net", false, "let policies call OPA's network built-ins (http.send, net.lookup_ip_addr); never with --offline-db")
	fl.BoolVar(&p.ignoreUnfixed, "ignore-unfixed", false, "vulnerabilities without a fixed version only warn (\"no fix yet\"), whatever their severity, KEV entry or EPSS score (data.secgate.config.ignore_unfixed)")
}

func (p *policyFlags) options() (gate.PolicyOptions, error) {
	failOn, err := findings.ParseSeverity(p.failOn)
	if err != nil || failOn == findings.SeverityUnknown {
		return gate.PolicyOptions{}, fmt.Errorf("invalid --fail-on %q: want critical, high, medium or low", p.failOn)
	}
	o := gate.PolicyOptions{Paths: p.paths, DataPaths: p.data, NoDefaults: p.noDefaults, Waivers: p.waivers, FailOn: failOn, Timeout: p.timeout, AllowNet: p.allowNet, IgnoreUnfixed: p.ignoreUnfixed}
	if p.bundle != "" {
		o.Bundle = policies.BundleOptions{Source: p.bundle, VerificationKey: p.bundleKey}
	} else if p.bundleKey != "" {
		return o, errors.New("--bundle-verification-key needs --policy-bundle")
	}
	return o, nil
}

func newScanCmd(stdout, stderr io.Writer) *cobra.Command {
	return newScanLikeCmd(stdout, stderr, false)
}

// newPolicyInputCmd is secgate policy input: a scan with every scan flag
// that prints the document its policies decide on, as conftest parse does.
func newPolicyInputCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := newScanLikeCmd(stdout, stderr, true)
	cmd.Use = "input [PATH]"
	cmd.Short = "Print the input document the policies see for a scan of PATH (with scan's flags)"
	cmd.Long = `Input scans PATH (and --image ...) exactly as secgate scan would, with the
same flags, and prints the JSON document the policies decide on: the findings
document without any decision or waiver (what input is in Rego), with the
reachability and VEX statements already recorded. It exits 0 whatever the
policies would decide, 2 when the scan fails. --format and --output do not
apply; the document goes to stdout.`
	cmd.Example = `  secgate policy input --offline-db ~/osv . > input.json
  secgate policy input --image docker-archive:app.tar | jq '.findings[].rule_id'`
	return cmd
}

func newScanLikeCmd(stdout, stderr io.Writer, inputOnly bool) *cobra.Command {
	f := scanFlags{inputOnly: inputOnly}
	cmd := &cobra.Command{
		Use:   "scan [PATH]",
		Short: "Scan PATH (default .) and images for vulnerable packages, secrets and misconfigurations, and decide",
		Long: `Scan finds every lockfile and manifest under PATH that osv-scanner reads
(go.mod, package-lock.json, requirements.txt, pom.xml, Cargo.lock,
Gemfile.lock, ... and SBOMs), matches their packages against OSV advisories,
and lets the policy decide. The report goes to stdout (or --output); a short
summary goes to stderr.

The secret scanner reads every file under PATH (.gitignore'd ones too: a
secret in an ignored file still leaks into images and artifacts) with
gitleaks' rules, or with --history the lines added by every commit reachable
from HEAD (--all-refs: from every ref), or with --staged the lines added in
the git index. Secrets are never printed: findings carry at most the prefix
their rule's format makes public (AKIA..., ghp_...).

Advisories come from the OSV API, or with --offline-db DIR from a local copy
of the OSV export laid out as DIR/<Ecosystem>/all.zip (for example
DIR/Go/all.zip, DIR/npm/all.zip); offline mode makes no network call, and a
missing ecosystem file is an error, never a pass.

Exploitation data: when DIR (or --exploit-db DIR) holds CISA's KEV catalog
(known_exploited_vulnerabilities.json) and FIRST's EPSS scores
(epss_scores-current.csv.gz), as secgate db download writes them, findings
whose CVE is listed carry vulnerability.kev and .epss, and the default policy
denies every finding in KEV whatever its severity and --fail-on
(data.secgate.config.deny_kev, min_epss). Without the files, or online
without --exploit-db, findings carry neither.

` + exitCodeHelp,
		Example: `  secgate scan .
  secgate scan --offline-db ~/osv --format sarif --output secgate.sarif .
  SECGATE_OFFLINE_DB=~/osv secgate scan --fail-on critical services/api
  secgate scan --staged                  # pre-commit: secrets in the lines about to be committed
  secgate scan --history --since origin/main
  secgate scan --history --all-refs      # every branch and tag, not only HEAD's history`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := "."
			if len(args) == 1 {
				root = args[0]
			}
			repo, err := findings.NewRoot(root)
			if err != nil {
				return err
			}
			use, err := applyConfig(cmd.Flags(), f.config, root, repo.Dir())
			if err != nil {
				return err
			}
			if !f.quiet {
				use.report(stderr)
			}
			configFile := use.file
			path := root
			if len(args) == 0 && len(f.images) > 0 {
				path = "" // --image alone scans only the images
			}
			doc, sarifFile, err := runScan(cmd, path, configFile, f, stdout, stderr)
			if actions := actionsFromEnv(); actions.enabled && !f.inputOnly {
				if aerr := actions.publish(stderr, doc, sarifFile, err); aerr != nil {
					warnf(stderr, "GitHub Actions outputs: %v", aerr)
				}
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.formats, "format", "f", nil, "report `FORMAT` (repeatable, paired in order with --output): "+strings.Join(report.Formats, ", ")+" (default table)")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "write the report of the matching --format to `FILE` instead of stdout (repeatable)")
	fl.StringVar(&f.baseline, "baseline", "", "JSON report of an earlier run (`FILE`, e.g. the target branch's): findings it holds are \"existing\" and the default policy denies only new ones")
	fl.StringArrayVar(&f.vex, "vex", nil, "VEX `FILE` (OpenVEX 0.2 or CycloneDX JSON; repeatable): its statements mark the findings they apply to, and the default policy waives not_affected and fixed ones (default PATH/"+vex.Dir+"/*.json and PATH/"+vex.File+" when present)")
	fl.StringVar(&f.config, "config", "", "configuration `FILE` with the same keys as the flags (default PATH/"+configFileName+" when present); flags win")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no summary or progress on stderr")
	fl.StringVar(&f.offlineDB, "offline-db", os.Getenv("SECGATE_OFFLINE_DB"), "match offline against the OSV export in `DIR` (DIR/<Ecosystem>/all.zip); env SECGATE_OFFLINE_DB")
	fl.Var(&f.maxDBAge, "max-db-age", "with --offline-db, warn of each ecosystem file the scan uses that was fetched longer than `DURATION` ago (e.g. 7d, 36h; per DIR/"+osv.RecordFile+", else the file's modification time); the warning alone never fails the gate (default 0: off)")
	fl.StringVar(&f.exploitDB, "exploit-db", "", "read CISA KEV and FIRST EPSS from `DIR` ("+exploits.KEVFile+", "+exploits.EPSSFile+"; default: the --offline-db DIR); online without it, findings carry no exploitation data")
	fl.StringSliceVar(&f.severity, "severity", nil, "show only findings of these `severities` (critical,high,medium,low,unknown) in the reports; the policy still decides on all of them, so the decision and the exit code do not change")
	fl.StringVar(&f.osvAPI, "osv-api", envOr("SECGATE_OSV_API", ""), "base `URL` of the OSV API (default https://api.osv.dev); env SECGATE_OSV_API")
	fl.BoolVar(&f.noIgnore, "no-ignore", false, "also scan files that .gitignore excludes")
	fl.BoolVar(&f.strict, "strict", false, "a requirements file's missing -r include is an error, not a warning")
	fl.StringVar(&f.reachability, "reachability", "on", "`on`: analyze which Go vulnerabilities the scanned modules (needs the go command and their dependencies) and Go binaries reach, with govulncheck; off: skip it")
	fl.StringArrayVar(&f.exclude, "exclude", nil, "leave out `DIR`, relative to PATH, and everything under it (repeatable; dependencies and secrets, tree and history)")
	f.policy.register(fl)
	fl.StringSliceVar(&f.scanners, "scanners", nil, "scanners to run: deps, secrets, container (default all that apply; --history and --staged run secrets only)")
	fl.BoolVar(&f.history, "history", false, "scan git history for secrets: the lines added by every commit reachable from HEAD")
	fl.StringVar(&f.since, "since", "", "with --history, scan only the commits after `REF`")
	fl.BoolVar(&f.allRefs, "all-refs", false, "with --history, scan the commits reachable from every ref (branches, tags, remote-tracking branches, stash), not from HEAD alone")
	fl.BoolVar(&f.staged, "staged", false, "scan the lines added in the git index for secrets (for pre-commit)")
	fl.StringVar(&f.secretsConfig, "secrets-config", "", "gitleaks-compatible rules `FILE` (default PATH/.gitleaks.toml if present, else gitleaks' rules)")
	fl.StringVar(&f.maxFileSize, "max-file-size", "", "in the secret scan, do not read files larger than `SIZE` (e.g. 512KB, 10MB, 1GB); by default files of every size are read, in pieces")
	fl.StringArrayVar(&f.images, "image", nil, "scan a container image (repeatable): registry `REF`, docker-archive:FILE (or FILE.tar), oci:DIR, dir:ROOTFS")
	fl.StringVar(&f.dockerfile, "dockerfile", "", "the Dockerfile `FILE` the images were built from: findings point at its lines")
	fl.StringVar(&f.maxLayerSize, "max-layer-size", "16GB", "refuse image layers larger than `SIZE` uncompressed (decompression bombs)")
	fl.IntVar(&f.maxLayers, "max-layers", container.DefaultMaxLayers, "refuse images of more than `N` layers")
	fl.Int64Var(&f.maxFileViews, "max-file-views", container.DefaultMaxFileViews, "refuse images whose files, each counted once per layer at and above its own, exceed `N` (the work of many layers of many files)")
	fl.DurationVar(&f.registryTO, "registry-timeout", container.DefaultRegistryTimeout, "give up on a registry that makes no progress (connect, headers, body) for `DURATION`")
	return cmd
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// runScan scans and writes the reports. It returns the decided document
// (nil on error), the SARIF file written, if any, and errDenied when the
// policy denied. configFile is the configuration file read ("" for none).
func runScan(cmd *cobra.Command, path, configFile string, f scanFlags, stdout, stderr io.Writer) (*findings.Document, string, error) {
	popts, err := f.policy.options()
	if err != nil {
		return nil, "", err
	}
	popts.Warn = func(msg string) { warnf(stderr, "%s", msg) }
	popts.Print = stderr // what policies print(), even with --quiet: the author asked for it
	show, err := parseSeverities(f.severity)
	if err != nil {
		return nil, "", err
	}
	var maxSize int64 // no limit
	if f.maxFileSize != "" {
		if maxSize, err = parseSize(f.maxFileSize); err != nil {
			return nil, "", fmt.Errorf("invalid --max-file-size %q: %w", f.maxFileSize, err)
		}
	}
	maxLayer, err := parseSize(f.maxLayerSize)
	if err != nil {
		return nil, "", fmt.Errorf("invalid --max-layer-size %q: %w", f.maxLayerSize, err)
	}
	sopts := secrets.Options{MaxFileSize: maxSize, Since: f.since, AllRefs: f.allRefs}
	switch {
	case f.staged && (f.history || f.since != "" || f.allRefs):
		return nil, "", errors.New("--history (--since, --all-refs) and --staged exclude each other")
	case f.staged:
		sopts.Mode = secrets.Staged
	case f.history || f.since != "" || f.allRefs:
		sopts.Mode = secrets.History
	}
	if f.reachability != "on" && f.reachability != "off" {
		return nil, "", fmt.Errorf("invalid --reachability %q: want on or off", f.reachability)
	}
	outs, err := pairOutputs(f.formats, f.outputs)
	if err != nil {
		return nil, "", err
	}
	newOutputter := func(o reportOutput, start, end time.Time) (report.Outputter, error) {
		ropts := report.Options{
			Warn:      func(msg string) { warnf(stderr, "%s", msg) },
			StartTime: start,
			EndTime:   end,
		}
		if o.file == "" && report.IsTerminal(stdout) {
			ropts.Color = os.Getenv("NO_COLOR") == ""
			ropts.Width = terminalWidth(stdout)
		}
		return report.New(o.format, ropts)
	}
	for _, o := range outs { // unknown formats fail before the scan
		if _, err := newOutputter(o, time.Time{}, time.Time{}); err != nil {
			return nil, "", err
		}
	}

	start := time.Now()
	progress := newProgress(stderr, f.quiet)
	key, err := fingerprintKey()
	if err != nil {
		return nil, "", err
	}
	// Without --quiet the summary prints every scan's warnings, a stale
	// database's among them; with it, that warning still reaches stderr.
	var warn func(string)
	if f.quiet {
		warn = func(msg string) { warnf(stderr, "%s", msg) }
	}
	info := func(msg string) { say(stderr, "secgate: %s", msg) }
	if f.quiet {
		info = nil
	}
	doc, err := gate.Run(cmd.Context(), gate.Options{
		Path:        path,
		Images:      f.images,
		Config:      configFile,
		OfflineDB:   f.offlineDB,
		ExploitDB:   f.exploitDB,
		MaxDBAge:    time.Duration(f.maxDBAge),
		OSVAPI:      f.osvAPI,
		Exclude:     f.exclude,
		Scanners:    f.scanners,
		SecretRules: f.secretsConfig,
		Deps:        deps.Options{NoIgnore: f.noIgnore, Strict: f.strict},
		Secrets:     sopts,
		Container: container.Options{
			Dockerfile:        f.dockerfile,
			Limits:            container.Limits{MaxLayerSize: maxLayer, MaxLayers: f.maxLayers, MaxFileViews: f.maxFileViews},
			Registry:          container.OpenOptions{Timeout: f.registryTO},
			MaxSecretFileSize: maxSize,
		},
		NoReachability: f.reachability == "off",
		Baseline:       f.baseline,
		VEX:            f.vex,
		Policy:         popts,
		FingerprintKey: key,
		Version:        buildVersion(),
		Progress:       progress.report,
		Warn:           warn,
		Info:           info,
	})
	progress.done()
	if err != nil {
		return nil, "", err
	}

	if f.inputOnly {
		return doc, "", writePolicyInput(stdout, doc)
	}
	start, end := scanTimes(start, time.Now())
	// --severity narrows what the reports show, not what was decided.
	shown, hidden := shownDocument(doc, show)
	sarifFile := ""
	// Every report is rendered before any is written, and the files are
	// renamed into place only when all are written: a run that fails
	// half-way leaves no report that looks complete.
	rendered := make([][]byte, len(outs))
	for i, o := range outs {
		out, err := newOutputter(o, start, end)
		if err != nil {
			return nil, "", err
		}
		var buf bytes.Buffer
		if err := out.Output(&buf, shown); err != nil {
			return nil, "", fmt.Errorf("write %s report: %w", o.format, err)
		}
		rendered[i] = buf.Bytes()
		if strings.EqualFold(o.format, report.FormatSARIF) && o.file != "" {
			sarifFile = o.file
		}
	}
	if err := writeReports(cmd.Context(), outs, rendered, stdout); err != nil {
		return nil, "", err
	}
	if !f.quiet {
		writeSummary(stderr, doc)
		if hidden > 0 {
			say(stderr, "secgate: %d of %d findings hidden from the reports by --severity %s (the decision covers them all)", hidden, len(doc.Findings), strings.Join(f.severity, ","))
		}
	}
	if doc.Decision.Result == findings.ResultFail {
		return shown, sarifFile, errDenied
	}
	return shown, sarifFile, nil
}

// parseSeverities reads --severity; nil shows every finding.
func parseSeverities(values []string) (map[findings.Severity]bool, error) {
	if len(values) == 0 {
		return nil, nil
	}
	show := map[findings.Severity]bool{}
	for _, v := range values {
		sev, err := findings.ParseSeverity(v)
		if err != nil {
			return nil, fmt.Errorf("invalid --severity %q: want critical, high, medium, low or unknown", v)
		}
		show[sev] = true
	}
	return show, nil
}

// shownDocument is doc as the reports show it with --severity: the findings
// of the severities in show, and the policy results about them or about
// the whole scan. The decision's result is the policy's, unchanged, and so
// is the exit code. It returns how many findings it leaves out; doc itself
// when show is nil.
func shownDocument(doc *findings.Document, show map[findings.Severity]bool) (*findings.Document, int) {
	if show == nil {
		return doc, 0
	}
	out := *doc
	out.Findings = make([]findings.Finding, 0, len(doc.Findings))
	hidden := map[string]bool{}
	for _, f := range doc.Findings {
		if show[f.Severity] {
			out.Findings = append(out.Findings, f)
		} else {
			hidden[f.ID] = true
		}
	}
	if len(hidden) == 0 {
		return doc, 0
	}
	if d := doc.Decision; d != nil {
		keep := func(rs []findings.PolicyResult) []findings.PolicyResult {
			kept := make([]findings.PolicyResult, 0, len(rs))
			for _, r := range rs {
				if !hidden[r.ID] {
					kept = append(kept, r)
				}
			}
			return kept
		}
		out.Decision = &findings.Decision{Result: d.Result, Deny: keep(d.Deny), Warn: keep(d.Warn), Waived: keep(d.Waived)}
	}
	return &out, len(doc.Findings) - len(out.Findings)
}

// scanTimes returns the scan's start and end times, which only the GitLab
// reports carry (the schema requires them). SOURCE_DATE_EPOCH (seconds since
// 1970, the reproducible-builds convention) replaces both, so that those
// reports too are byte-identical across runs.
func scanTimes(start, end time.Time) (time.Time, time.Time) {
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
			t := time.Unix(sec, 0).UTC()
			return t, t
		}
	}
	return start, end
}

// output is one report: a format and the file it goes to ("" for stdout).
type reportOutput struct{ format, file string }

// pairOutputs pairs the --format and --output flags in order: the first
// format goes to the first output file, and so on; formats without a file
// go to stdout, which only one may do.
func pairOutputs(formats, files []string) ([]reportOutput, error) {
	if len(formats) == 0 {
		formats = []string{report.FormatTable}
	}
	if len(files) > len(formats) {
		return nil, fmt.Errorf("%d --output files for %d --format values: give them in pairs (-f sarif -o secgate.sarif -f json -o secgate.json)", len(files), len(formats))
	}
	out := make([]reportOutput, len(formats))
	toStdout := 0
	for i, f := range formats {
		out[i].format = f
		if i < len(files) {
			out[i].file = files[i]
		} else {
			toStdout++
		}
	}
	if toStdout > 1 {
		return nil, errors.New("only one --format can go to stdout: give the others an --output file")
	}
	seen := map[string]string{}
	for _, o := range out {
		if o.file == "" {
			continue
		}
		abs, err := filepath.Abs(o.file)
		if err != nil {
			return nil, fmt.Errorf("--output %s: %w", o.file, err)
		}
		if first, dup := seen[abs]; dup {
			return nil, fmt.Errorf("--output %s and --output %s are the same file: each report needs its own", first, o.file)
		}
		seen[abs] = o.file
	}
	return out, nil
}

// ageFlag is a duration flag that also takes days (7d, 1d12h; see
// osv.ParseAge).
type ageFlag time.Duration

// String implements pflag.Value.
func (a *ageFlag) String() string {
	if *a == 0 {
		return "0"
	}
	return osv.FormatAge(time.Duration(*a))
}

// Set implements pflag.Value.
func (a *ageFlag) Set(s string) error {
	d, err := osv.ParseAge(s)
	if err != nil {
		return err
	}
	*a = ageFlag(d)
	return nil
}

// Type implements pflag.Value.
func (*ageFlag) Type() string { return "duration" }

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

// writeReports writes each rendered report to its file, or stdout: the
// files first to temporary files beside them, renamed into place when all
// are written (a failure removes them and leaves any earlier report as it
// was), then stdout.
func writeReports(ctx context.Context, outs []reportOutput, rendered [][]byte, stdout io.Writer) error {
	var temps []string
	defer func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}()
	var toStdout []byte
	for i, o := range outs {
		if o.file == "" {
			toStdout = rendered[i]
			continue
		}
		tmp, err := os.CreateTemp(filepath.Dir(o.file), "."+filepath.Base(o.file)+".*")
		if err != nil {
			return fmt.Errorf("write report %s: %w", o.file, err)
		}
		temps = append(temps, tmp.Name())
		_, werr := tmp.Write(rendered[i])
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			return fmt.Errorf("write report %s: %w", o.file, err)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return fmt.Errorf("write report %s: %w", o.file, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted: no report
	}
	n := 0
	for _, o := range outs {
		if o.file == "" {
			continue
		}
		if err := os.Rename(temps[n], o.file); err != nil {
			return fmt.Errorf("write report %s: %w", o.file, err)
		}
		temps[n] = "" // renamed, not to be removed
		n++
	}
	if toStdout != nil {
		if _, err := stdout.Write(toStdout); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// minKeyLen is the shortest fingerprint key accepted: a short key can be
// guessed along with the secret.
const minKeyLen = 16

// fingerprintKey reads the key of secret fingerprints from the environment
// only: a flag would show it in process lists and shell history, a
// configuration file in the repository.
func fingerprintKey() ([]byte, error) {
	key := os.Getenv(secretid.KeyEnv)
	if key == "" {
		return nil, nil
	}
	if len(key) < minKeyLen {
		return nil, fmt.Errorf("invalid %s: shorter than %d characters", secretid.KeyEnv, minKeyLen)
	}
	return []byte(key), nil
}

// writePolicyInput writes doc as the policies saw it: without the decision
// and the waivers the policies recorded.
func writePolicyInput(w io.Writer, doc *findings.Document) error {
	in := *doc
	in.Decision = nil
	in.Findings = slices.Clone(doc.Findings)
	for i := range in.Findings {
		in.Findings[i].Decision, in.Findings[i].Waiver = "", nil
	}
	data, err := json.MarshalIndent(&in, "", "  ")
	if err != nil {
		return fmt.Errorf("write policy input: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
