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
	"slices"
	"strings"

	"github.com/google/osv-scalibr/extractor"

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
	findings.Sort(fs)
	scan := findings.Scan{
		Stats: map[string]int{
			"files":                ex.files,
			"packages":             len(ex.packages),
			"packages_unmatchable": len(ex.packages) - len(matchable),
		},
	}
	scan.Warnings = append(ex.warnings, osv.Warnings(s.env.Matcher, pkgs)...)
	if ex.files == 0 {
		scan.Warnings = append(scan.Warnings, NoLockfiles)
	}
	return &scanners.Result{Scan: scan, Findings: fs}, nil
}

// dedup drops findings with the same ID (the same package listed twice in
// one lockfile by two extractors), keeping the first.
func dedup(fs []findings.Finding) []findings.Finding {
	slices.SortStableFunc(fs, func(a, b findings.Finding) int { return strings.Compare(a.ID, b.ID) })
	return slices.CompactFunc(fs, func(a, b findings.Finding) bool { return a.ID == b.ID })
}
