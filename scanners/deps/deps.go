// Package deps is secgate's dependency scanner: it finds every lockfile and
// manifest that osv-scanner reads under a path, extracts their packages with
// osv-scanner (and its own npm lockfile reader, see npmlock), matches them
// against OSV advisories (package osv), and returns vulnerability findings.
package deps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/extractor"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/scanners/osv"
)

// Options configure a dependency scan.
type Options struct {
	// Path is the directory (or single lockfile) to scan.
	Path string
	// Matcher matches packages with advisories: osv.NewOffline or
	// osv.NewOnline.
	Matcher osv.Matcher
	// NoIgnore also scans files that .gitignore excludes.
	NoIgnore bool
	// Exclude names directories under Path that are not scanned.
	Exclude  scanners.Exclude
	Progress scanners.Progress
}

// Scanner is the dependency scanner.
type Scanner struct {
	opts Options
}

// New returns a dependency scanner.
func New(opts Options) *Scanner { return &Scanner{opts: opts} }

// Name implements scanners.Scanner.
func (*Scanner) Name() string { return findings.ScannerDeps }

// Scan implements scanners.Scanner.
func (s *Scanner) Scan(ctx context.Context) (*scanners.Result, error) {
	s.opts.Progress.Report("finding lockfiles and manifests in " + s.opts.Path)
	ex, err := extract(ctx, s.opts.Path, s.opts.NoIgnore, s.opts.Exclude)
	if err != nil {
		return nil, err
	}
	var matchable []*extractor.Package
	for _, p := range ex.packages {
		if osv.Matchable(p) {
			matchable = append(matchable, p)
		}
	}
	if len(matchable) > 0 {
		s.opts.Progress.Report(fmt.Sprintf("matching %d packages against %s advisories", len(matchable), strings.Join(osv.Ecosystems(matchable), ", ")))
	}
	matched, err := s.opts.Matcher.Match(ctx, matchable)
	if err != nil {
		return nil, fmt.Errorf("match dependencies: %w", err)
	}
	var fs []findings.Finding
	for i, p := range matchable {
		fs = append(fs, osv.Findings(findings.ScannerDeps, p, matched[i])...)
	}
	fs = dedup(fs)
	findings.Sort(fs)
	return &scanners.Result{
		Scan: findings.Scan{
			Scanner: findings.ScannerDeps,
			Target:  s.opts.Path,
			Stats: map[string]int{
				"files":                ex.files,
				"packages":             len(ex.packages),
				"packages_unmatchable": len(ex.packages) - len(matchable),
			},
		},
		Findings: fs,
	}, nil
}

// dedup drops findings with the same ID (the same package listed twice in
// one lockfile by two extractors), keeping the first.
func dedup(fs []findings.Finding) []findings.Finding {
	slices.SortStableFunc(fs, func(a, b findings.Finding) int { return strings.Compare(a.ID, b.ID) })
	return slices.CompactFunc(fs, func(a, b findings.Finding) bool { return a.ID == b.ID })
}
