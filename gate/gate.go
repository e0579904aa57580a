// Package gate is secgate's one entry point: Run takes one Options value,
// runs the scanners that apply to the targets, has the policy decide over
// the whole findings document, and returns the decided document.
//
// A denied gate is not an error: Run returns the document with
// Decision.Result "fail", and the caller turns that into exit code 1. Any
// error means the gate could not decide (exit code 2); there is no partial
// result to pass on.
package gate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/secgate/secgate/exploits"
	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/osv"
	"github.com/secgate/secgate/policies"
	"github.com/secgate/secgate/reachability"
	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/scanners/container"
	"github.com/secgate/secgate/scanners/deps"
	"github.com/secgate/secgate/scanners/secrets"
	"github.com/secgate/secgate/secretid"
	"github.com/secgate/secgate/vex"
)

// Options configure one run of the gate.
type Options struct {
	// Path is the directory or lockfile to scan; empty scans no path,
	// only Images.
	Path string
	// Images are container images to scan in the same gate (see
	// container.Open).
	Images []string
	// Config is the configuration file the options came from ("" for
	// none): results about the whole scan whose rule is in no file of the
	// repository point at it.
	Config string
	// OfflineDB is a directory holding the OSV export as
	// <Ecosystem>/all.zip. When empty, advisories come from the OSV API.
	OfflineDB string
	// MaxDBAge, when positive, is the age past which an ecosystem file of
	// OfflineDB that the scan uses is warned of (by its fetch record, else
	// its modification time; see osv.Offline.Stale): in the scan's
	// warnings, and to Warn. It never decides the gate by itself.
	MaxDBAge time.Duration
	// ExploitDB is a directory holding CISA's KEV catalog and FIRST's EPSS
	// scores as secgate db download writes them (see package exploits);
	// OfflineDB when empty. Without it (online, no directory) findings
	// carry no exploitation data; absent files in it give none either.
	ExploitDB string
	// OSVAPI is the OSV API base URL (osv.DefaultAPI when empty) and
	// HTTPClient the client for it (http.DefaultClient when nil).
	OSVAPI     string
	HTTPClient *http.Client
	// Exclude names directories under Path, relative to it, that neither
	// the dependency nor the secret scanner reads (see scanners.Exclude).
	Exclude []string
	// Scanners selects the scanners by name; all that apply when empty
	// (only secrets, when Secrets.Mode reads git).
	Scanners []string
	// SecretRules is a gitleaks TOML config for the secret scans of the
	// path and the images; empty means Path/.gitleaks.toml when it
	// exists, else gitleaks' default rules.
	SecretRules string
	Deps        deps.Options
	Secrets     secrets.Options
	Container   container.Options
	// NoReachability skips the analysis of which Go vulnerabilities the
	// scanned modules and binaries reach (package reachability).
	NoReachability bool
	// Baseline is a JSON report of an earlier run (e.g. of the target
	// branch): findings it holds are marked "existing", the others "new".
	Baseline string
	// VEX are VEX documents (OpenVEX 0.2, CycloneDX) whose statements are
	// recorded on the findings they apply to, for the policy to weigh;
	// when empty, the scanned directory's own (vex.Files: .vex/*.json and
	// .openvex.json), those that exist.
	VEX []string
	// Policy says which policies decide (defaults, custom, data, waivers,
	// bundle, --fail-on).
	Policy PolicyOptions
	// FingerprintKey keys the fingerprints of secrets (secretid); when
	// empty they are derived with a deliberately slow function instead.
	FingerprintKey []byte
	// Version is written into the document's tool field.
	Version  string
	Progress scanners.Progress
	// Warn, when set, is told each warning about the data the run decides
	// on once, as it arises (an offline database older than MaxDBAge),
	// besides the scans' warnings that hold it.
	Warn func(msg string)
	// Info, when set, is told what the run read besides the scanned
	// targets that a person should know of (the VEX documents).
	Info func(msg string)
}

// Errors that Run wraps, for callers that want to tell causes apart. Every
// one of them means exit code 2.
var (
	ErrOptions = errors.New("invalid options")
	ErrScan    = errors.New("scan failed")
	ErrPolicy  = policies.ErrPolicy
)

// Run scans, decides and returns the decided findings document.
func Run(ctx context.Context, opts Options) (*findings.Document, error) {
	root, targets, err := resolveTargets(opts)
	if err != nil {
		return nil, err
	}
	exclude, err := scanners.ParseExclude(opts.Exclude)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	if opts.ExploitDB != "" {
		if fi, err := os.Stat(opts.ExploitDB); err != nil {
			return nil, fmt.Errorf("%w: exploitation data directory: %w", ErrOptions, err)
		} else if !fi.IsDir() {
			return nil, fmt.Errorf("%w: exploitation data directory %s is not a directory", ErrOptions, opts.ExploitDB)
		}
	}
	if opts.OfflineDB != "" && opts.Policy.AllowNet {
		return nil, fmt.Errorf("%w: --policy-allow-net with --offline-db: an offline scan makes no network call, its policies none either", ErrOptions)
	}
	// The policy and the baseline first: a broken policy fails fast,
	// before a long scan.
	engine, err := NewEngine(ctx, opts.Policy, root, pathDir(targets))
	if err != nil {
		return nil, err
	}
	rules := secrets.NewRuleSource(pathDir(targets), opts.SecretRules)
	env := scanners.Env{Root: root, Matcher: opts.matcher(), Exclude: exclude, Progress: opts.Progress, SecretIDs: secretid.New(opts.FingerprintKey)}
	if !opts.NoReachability {
		env.Reach = reachability.New(reachability.Options{Offline: opts.OfflineDB != ""})
	}
	types := opts.types(env, rules)
	identity := identities(types)
	var baseline Baseline
	if opts.Baseline != "" {
		if baseline, err = LoadBaseline(root.Dir(), opts.Baseline, identity); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOptions, err)
		}
	}
	statements, err := loadVEX(ctx, opts.VEX, root, pathDir(targets))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	plan, err := build(types, opts.selected(), targets)
	if err != nil {
		return nil, err
	}

	doc := &findings.Document{
		SchemaVersion: findings.SchemaVersion,
		Tool:          findings.Tool{Name: "secgate", Version: opts.Version},
		Scans:         []findings.Scan{},
		Findings:      []findings.Finding{},
	}
	for _, p := range plan {
		res, err := scan(ctx, p.scanner)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrScan, p.name, err)
		}
		res.Scan.Scanner, res.Scan.Target, res.Scan.Kind = p.name, p.target.Name, p.target.Kind
		doc.Scans = append(doc.Scans, res.Scan)
		for _, f := range res.Findings {
			f.Location.Target = p.target.Name
			doc.Findings = append(doc.Findings, f)
		}
	}
	redactPlaces(ctx, doc, rules)
	findings.Sort(doc.Findings)
	if err := annotateExploits(doc, cmp.Or(opts.ExploitDB, opts.OfflineDB)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScan, err)
	}
	if baseline != nil {
		baseline.Mark(doc, identity)
	}
	if n := statements.Apply(doc, applications(targets)); len(statements.Files) > 0 && opts.Info != nil {
		opts.Info(fmt.Sprintf("VEX: %d statements from %s; %d findings have one", statements.Statements, strings.Join(statements.Files, ", "), n))
	}

	opts.Progress.Report(fmt.Sprintf("deciding on %d findings", len(doc.Findings)))
	verdict, err := engine.Decide(ctx, doc)
	if err != nil {
		return nil, err
	}
	verdict.Apply(doc)
	if cfg, ok := root.Rel(opts.Config); opts.Config != "" && ok {
		pointAt(doc, &findings.FileLine{Path: cfg, Line: 1})
	}
	return doc, nil
}

// loadVEX reads the VEX documents files or, when there are none, those of
// the scanned directory dir.
func loadVEX(ctx context.Context, files []string, root findings.Root, dir string) (*vex.Set, error) {
	if len(files) == 0 {
		var err error
		if files, err = vex.Files(dir); err != nil {
			return nil, err
		}
	}
	return vex.Load(ctx, dir, root, files)
}

// annotateExploits attaches the KEV and EPSS entries in dir ("" for none)
// to doc's vulnerability findings, keeping only the entries of their CVEs.
// Without such findings the files are not read: they could change nothing.
func annotateExploits(doc *findings.Document, dir string) error {
	if dir == "" {
		return nil
	}
	want := exploits.CVEs(doc)
	if len(want) == 0 {
		return nil
	}
	db, err := exploits.Open(dir, want)
	if err != nil {
		return err
	}
	exploits.Annotate(doc, db)
	return nil
}

// pointAt gives the results about the whole document (about no finding of
// it) that name no file the location where.
func pointAt(doc *findings.Document, where *findings.FileLine) {
	ids := make(map[string]bool, len(doc.Findings))
	for _, f := range doc.Findings {
		ids[f.ID] = true
	}
	for _, rs := range [][]findings.PolicyResult{doc.Decision.Deny, doc.Decision.Warn} {
		for i := range rs {
			if !ids[rs[i].ID] && rs[i].Location == nil {
				rs[i].Location = where
			}
		}
	}
}

// resolveTargets returns the report root and the targets: the path, then
// the images in the order given.
func resolveTargets(opts Options) (findings.Root, []scanners.Target, error) {
	root, err := findings.NewRoot(opts.Path)
	if err != nil {
		return root, nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	var targets []scanners.Target
	if opts.Path != "" {
		t, err := scanners.PathTarget(opts.Path, root)
		if err != nil {
			return root, nil, fmt.Errorf("%w: %w", ErrOptions, err)
		}
		targets = append(targets, t)
	}
	for _, ref := range opts.Images {
		targets = append(targets, scanners.Target{Kind: findings.TargetImage, Name: container.TargetName(ref, root), Path: ref})
	}
	return root, targets, nil
}

// pathDir is the scanned directory (a scanned file's directory), where the
// default waivers and secret rules files are looked for; "" without a path.
func pathDir(targets []scanners.Target) string {
	for _, t := range targets {
		switch t.Kind {
		case findings.TargetDirectory:
			return t.Path
		case findings.TargetFile:
			return filepath.Dir(t.Path)
		}
	}
	return ""
}

func (opts Options) matcher() osv.Matcher {
	if opts.OfflineDB != "" {
		return &osv.Offline{Dir: opts.OfflineDB, MaxAge: opts.MaxDBAge, Warn: opts.Warn}
	}
	return osv.NewOnline(osv.OnlineOptions{BaseURL: opts.OSVAPI, HTTPClient: opts.HTTPClient, UserAgent: "secgate/" + opts.Version})
}

// types are the scanners of the run, each with its own options.
func (opts Options) types(env scanners.Env, rules *secrets.RuleSource) []scanners.Type {
	return []scanners.Type{
		deps.NewType(opts.Deps, env),
		secrets.NewType(opts.Secrets, env, rules),
		container.NewType(opts.Container, env, rules),
	}
}

// selected are the scanners asked for: --scanners, else every one, but
// only secrets when the secret scanner reads git history or the index.
func (opts Options) selected() []string {
	if len(opts.Scanners) == 0 && opts.Secrets.Mode != secrets.Tree {
		return []string{findings.ScannerSecrets}
	}
	return opts.Scanners
}

// identities maps a finding to its baseline identity, as its scanner
// defines it; the finding's ID for a scanner secgate does not know.
func identities(types []scanners.Type) func(*findings.Finding) string {
	return func(f *findings.Finding) string {
		for _, ty := range types {
			if ty.Name() == f.Scanner {
				return ty.Identity(f)
			}
		}
		return f.ID
	}
}

// step is one scanner over one target.
type step struct {
	name    string
	target  scanners.Target
	scanner scanners.Scanner
}

// build returns a scanner for every target of every selected type that
// applies to it, in target order.
func build(types []scanners.Type, names []string, targets []scanners.Target) ([]step, error) {
	known := make([]string, len(types))
	for i, ty := range types {
		known[i] = ty.Name()
	}
	for _, name := range names {
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("%w: unknown scanner %q (want %s)", ErrOptions, name, strings.Join(known, ", "))
		}
	}
	var plan []step
	for _, t := range targets {
		for _, ty := range types {
			if len(names) > 0 && !slices.Contains(names, ty.Name()) || !ty.Applies(t) {
				continue
			}
			s, err := ty.New(t)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrOptions, err)
			}
			plan = append(plan, step{name: ty.Name(), target: t, scanner: s})
		}
	}
	if len(plan) == 0 {
		return nil, fmt.Errorf("%w: nothing to scan (no path, no image, or no scanner of --scanners applies)", ErrOptions)
	}
	return plan, nil
}

// redactPlaces redacts the secret-shaped parts of the findings' paths and
// the scans' warnings (a file named after the token it holds): reports and
// the policy's messages are built from them, and no output may hold a
// secret. Fingerprints were computed by the scanners, from the real paths.
// The run's secret rules find them, gitleaks' defaults when those do not
// load (a scan without the secret scanner and a broken .gitleaks.toml).
func redactPlaces(ctx context.Context, doc *findings.Document, source *secrets.RuleSource) {
	rules, _, err := source.Load()
	if err != nil {
		if rules, err = secrets.DefaultRules(); err != nil {
			return
		}
	}
	r := secrets.NewRedactor(rules)
	seen := map[string]string{}
	redact := func(s *string) {
		if *s == "" {
			return
		}
		out, ok := seen[*s]
		if !ok {
			out = r.Text(ctx, *s)
			seen[*s] = out
		}
		*s = out
	}
	for i := range doc.Findings {
		f := &doc.Findings[i]
		redact(&f.Location.Path)
		if f.Image != nil {
			redact(&f.Image.Path)
		}
	}
	for i := range doc.Scans {
		for j := range doc.Scans[i].Warnings {
			redact(&doc.Scans[i].Warnings[j])
		}
	}
}

// scan runs a scanner, returning as soon as ctx is done even when the
// scanner does not: osv-scanner's walk and extraction, and osv-scalibr's
// parsers, do not all watch a context, and a signal must stop the gate
// within a second. The abandoned scan finishes in the background (the
// CLI exits at once).
func scan(ctx context.Context, s scanners.Scanner) (*scanners.Result, error) {
	type outcome struct {
		res *scanners.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := s.Scan(ctx)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
