// Package gate is secgate's one entry point: Run takes one Options value,
// runs the scanners over the target, has the policy decide over the whole
// findings document, and returns the decided document.
//
// A denied gate is not an error: Run returns the document with
// Decision.Result "fail", and the caller turns that into exit code 1. Any
// error means the gate could not decide (exit code 2); there is no partial
// result to pass on.
package gate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/policies"
	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/scanners/container"
	"github.com/secgate/secgate/scanners/deps"
	"github.com/secgate/secgate/scanners/osv"
	"github.com/secgate/secgate/scanners/secrets"
)

// Options configure one run of the gate.
type Options struct {
	// Path is the directory (or lockfile) to scan.
	Path string
	// OfflineDB is a directory holding the OSV export as
	// <Ecosystem>/all.zip. When empty, advisories come from the OSV API.
	OfflineDB string
	// OSVAPI is the OSV API base URL (osv.DefaultAPI when empty) and
	// HTTPClient the client for it (http.DefaultClient when nil).
	OSVAPI     string
	HTTPClient *http.Client
	// NoIgnore also scans files excluded by .gitignore (dependency scan;
	// the secret scanner always reads them).
	NoIgnore bool
	// Exclude names directories under Path, relative to it, that neither
	// the dependency nor the secret scanner reads (see scanners.Exclude).
	Exclude []string
	// Scanners selects the scanners by name; all when empty.
	Scanners []string
	// Secrets configures the secret scanner (its Path is Options.Path).
	Secrets secrets.Options
	// SkipPath scans no PATH: only the images.
	SkipPath bool
	// Images are container images to scan (see container.Open), in the
	// same gate as the path.
	Images []string
	// Dockerfile, when set, is the Dockerfile of the images: findings
	// point at its lines.
	Dockerfile string
	// ImageLimits bound what is read from images.
	ImageLimits container.Limits
	// Registry configures registry access (credentials, transport).
	Registry container.OpenOptions
	// Baseline is a JSON report of an earlier run (e.g. of the target
	// branch): findings it holds are marked "existing", the others "new".
	Baseline string
	// Policy says which policies decide (defaults, custom, data, waivers,
	// bundle, --fail-on).
	Policy PolicyOptions
	// Version is written into the document's tool field.
	Version  string
	Progress scanners.Progress
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
	if opts.Path == "" {
		opts.Path = "."
	}
	root := opts.Path
	if opts.SkipPath {
		root = ""
	} else if fi, err := os.Stat(root); err == nil && !fi.IsDir() {
		root = filepath.Dir(root)
	}
	exclude, err := scanners.ParseExclude(opts.Exclude)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	// Load the policy and the baseline first: a broken policy fails fast,
	// before a long scan.
	engine, err := NewEngine(ctx, opts.Policy, root)
	if err != nil {
		return nil, err
	}
	var baseline Baseline
	if opts.Baseline != "" {
		if baseline, err = LoadBaseline(opts.Baseline); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOptions, err)
		}
	}

	var matcher osv.Matcher
	if opts.OfflineDB != "" {
		matcher = osv.NewOffline(opts.OfflineDB)
	} else {
		matcher = osv.NewOnline(osv.OnlineOptions{BaseURL: opts.OSVAPI, HTTPClient: opts.HTTPClient, UserAgent: "secgate/" + opts.Version})
	}
	for _, name := range opts.Scanners {
		if !slices.Contains([]string{findings.ScannerDeps, findings.ScannerSecrets, findings.ScannerContainer}, name) {
			return nil, fmt.Errorf("%w: unknown scanner %q (want deps, secrets or container)", ErrOptions, name)
		}
	}
	want := func(name string) bool { return len(opts.Scanners) == 0 || slices.Contains(opts.Scanners, name) }
	var rules *secrets.Rules
	if (want(findings.ScannerSecrets) && !opts.SkipPath) || (want(findings.ScannerContainer) && len(opts.Images) > 0) {
		root := opts.Path
		if opts.SkipPath {
			root = ""
		}
		if rules, _, err = secrets.ResolveRules(root, opts.Secrets.Config); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOptions, err)
		}
	}
	var all []scanners.Scanner
	if !opts.SkipPath {
		if want(findings.ScannerDeps) {
			all = append(all, deps.New(deps.Options{Path: opts.Path, Matcher: matcher, NoIgnore: opts.NoIgnore, Exclude: exclude, Progress: opts.Progress}))
		}
		if want(findings.ScannerSecrets) {
			sopts := opts.Secrets
			sopts.Path, sopts.Progress, sopts.Rules, sopts.Exclude = opts.Path, opts.Progress, rules, exclude
			all = append(all, secrets.New(sopts))
		}
	}
	if want(findings.ScannerContainer) {
		dfLoc := opts.Dockerfile
		if dfLoc != "" {
			dfLoc = filepath.ToSlash(filepath.Clean(dfLoc))
		}
		for _, ref := range opts.Images {
			all = append(all, container.New(container.Options{
				Ref: ref, Matcher: matcher, Secrets: rules,
				Dockerfile: opts.Dockerfile, DockerfileLocation: dfLoc,
				Open: opts.Registry, Limits: opts.ImageLimits,
				MaxSecretFileSize: opts.Secrets.MaxFileSize, Progress: opts.Progress,
			}))
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: nothing to scan (no path, no image, or no matching --scanners)", ErrOptions)
	}

	doc := &findings.Document{
		SchemaVersion: findings.SchemaVersion,
		Tool:          findings.Tool{Name: "secgate", Version: opts.Version},
		Scans:         []findings.Scan{},
		Findings:      []findings.Finding{},
	}
	for _, s := range all {
		res, err := s.Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrScan, s.Name(), err)
		}
		doc.Scans = append(doc.Scans, res.Scan)
		doc.Findings = append(doc.Findings, res.Findings...)
	}
	findings.Sort(doc.Findings)
	if baseline != nil {
		baseline.Mark(doc)
	}

	opts.Progress.Report(fmt.Sprintf("deciding on %d findings", len(doc.Findings)))
	decision, err := engine.Decide(ctx, doc)
	if err != nil {
		return nil, err
	}
	doc.Decision = decision
	return doc, nil
}
