// Package deps is secgate's dependency scanner: it finds every lockfile and
// manifest that osv-scanner reads in a directory (or reads the one lockfile
// it is given), extracts their packages with osv-scanner and secgate's own
// npm and yarn lockfile readers (packages npmlock and yarnlock), matches
// them against OSV advisories (package osv), and returns vulnerability
// findings.
package deps

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	osvschema "github.com/ossf/osv-schema/bindings/go/osvschema"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/osv"
	"github.com/secgate/secgate/scanners"
)

// Options configure the dependency scanner.
type Options struct {
	// NoIgnore also scans files that .gitignore excludes.
	NoIgnore bool
	// Strict makes a requirements "-r" include that does not exist an
	// error rather than a warning.
	Strict bool
}

// Type is the dependency scanner, configured for a run: it applies to
// directories and files.
type Type struct {
	opts Options
	env  scanners.Env
}

// NewType returns the dependency scanner of a run.
func NewType(opts Options, env scanners.Env) *Type { return &Type{opts: opts, env: env} }

// Name implements scanners.Type.
func (*Type) Name() string { return findings.ScannerDeps }

// Applies implements scanners.Type.
func (*Type) Applies(t scanners.Target) bool { return t.OnPath() }

// New implements scanners.Type.
func (ty *Type) New(t scanners.Target) (scanners.Scanner, error) {
	return &scanner{target: t, opts: ty.opts, env: ty.env}, nil
}

// Identity implements scanners.Type: the finding's ID, a fingerprint of the
// advisory, the lockfile's path in the target and the package.
func (*Type) Identity(f *findings.Finding) string { return f.ID }

type scanner struct {
	target scanners.Target
	opts   Options
	env    scanners.Env
}

// NoLockfiles is the warning of a scan that found nothing to read.
const NoLockfiles = "no lockfile or manifest found"

// Scan implements scanners.Scanner.
func (s *scanner) Scan(ctx context.Context) (*scanners.Result, error) {
	s.env.Progress.Report("finding lockfiles and manifests in " + s.target.Name)
	ex, err := extract(ctx, s.target.Path, s.opts, s.env.Exclude)
	if err != nil {
		return nil, err
	}
	matchable := make([]located, 0, len(ex.packages))
	for _, p := range ex.packages {
		if osv.Matchable(p.pkg) {
			matchable = append(matchable, p)
		}
	}
	pkgs := make([]*extractor.Package, len(matchable))
	for i, p := range matchable {
		pkgs[i] = p.pkg
	}
	if len(pkgs) > 0 {
		s.env.Progress.Report(fmt.Sprintf("matching %d packages against %s advisories", len(pkgs), strings.Join(osv.Ecosystems(pkgs), ", ")))
	}
	matched, err := s.env.Matcher.Match(ctx, pkgs)
	if err != nil {
		return nil, fmt.Errorf("match dependencies: %w", err)
	}
	var fs []findings.Finding
	for i, p := range matchable {
		fs = append(fs, osv.Findings(findings.ScannerDeps, p.pkg, p.loc, matched[i])...)
	}
	fs = dedup(fs)
	var reachWarnings []string
	if s.env.Reach != nil {
		reachWarnings = s.reach(ctx, fs, matchable, matched)
	}
	findings.Sort(fs)
	scan := findings.Scan{
		Stats: map[string]int{
			"files":                ex.files,
			"packages":             len(ex.packages),
			"packages_unmatchable": len(ex.packages) - len(matchable),
		},
	}
	scan.Warnings = append(ex.warnings, osv.Warnings(s.env.Matcher, pkgs)...)
	scan.Warnings = append(scan.Warnings, reachWarnings...)
	if ex.files == 0 {
		scan.Warnings = append(scan.Warnings, NoLockfiles)
	}
	return &scanners.Result{Scan: scan, Findings: fs}, nil
}

// reach has the Go modules of the scanned tree analyzed for the Go
// vulnerability findings of their go.mod.
func (s *scanner) reach(ctx context.Context, fs []findings.Finding, pkgs []located, matched [][]*osvschema.Vulnerability) []string {
	type module struct {
		fs    []*findings.Finding
		vulns []*osvschema.Vulnerability
	}
	modules := map[string]*module{}
	var order []string
	for i := range fs {
		f := &fs[i]
		if f.Package == nil || f.Package.Ecosystem != "Go" || path.Base(f.Location.Path) != "go.mod" || f.Package.Name == "stdlib" {
			continue
		}
		m := modules[f.Location.Path]
		if m == nil {
			m = &module{}
			modules[f.Location.Path] = m
			order = append(order, f.Location.Path)
		}
		m.fs = append(m.fs, f)
	}
	for i, p := range pkgs {
		if m := modules[p.loc.Path]; m != nil {
			m.vulns = append(m.vulns, matched[i]...)
		}
	}
	base := s.target.Path
	if s.target.Kind == findings.TargetFile {
		base = filepath.Dir(base)
	}
	slices.Sort(order)
	var warnings []string
	for i, gomod := range order {
		s.env.Progress.Report(fmt.Sprintf("analyzing reachability in %s (%d of %d Go modules)", gomod, i+1, len(order)))
		dir := filepath.Join(base, filepath.FromSlash(path.Dir(gomod)))
		name := path.Join(s.target.Name, gomod)
		warnings = append(warnings, s.env.Reach.Source(ctx, name, dir, modules[gomod].vulns, modules[gomod].fs)...)
	}
	return warnings
}

// dedup drops findings with the same ID (the same package listed twice in
// one lockfile by two extractors), keeping the first.
func dedup(fs []findings.Finding) []findings.Finding {
	slices.SortStableFunc(fs, func(a, b findings.Finding) int { return strings.Compare(a.ID, b.ID) })
	return slices.CompactFunc(fs, func(a, b findings.Finding) bool { return a.ID == b.ID })
}
