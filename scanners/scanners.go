// Package scanners defines what a secgate scanner is: a Type that says which
// targets it looks at and builds a Scanner for each, and a Scanner that
// returns normalized findings (package findings) with raw places — a path
// within its target, a line, a column — that the report formats render.
//
// The concrete scanners live in its subpackages: deps (lockfiles and
// manifests), secrets (working tree, git history, staged changes) and
// container (images). The gate builds the scanners that apply to its
// targets, runs them and hands their findings to the policy.
package scanners

import (
	"context"

	osvschema "github.com/ossf/osv-schema/bindings/go/osvschema"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/osv"
	"github.com/secgate/secgate/secretid"
)

// Target is one thing to scan.
type Target struct {
	// Kind is findings.TargetDirectory, TargetFile or TargetImage.
	Kind string
	// Name is how findings and reports name the target (Scan.Target,
	// Location.Target): relative to the report root (see findings.Root).
	Name string
	// Path is what to open: an OS path for a directory or a file, the
	// reference for an image.
	Path string
}

// Type is one kind of scanner, configured for a run.
type Type interface {
	// Name is the scanner's name, as --scanners and Finding.Scanner
	// spell it.
	Name() string
	// Applies reports whether the scanner looks at t.
	Applies(t Target) bool
	// New returns the scanner of t. Its errors are about the options (a
	// rules file that does not parse), found before any scan starts.
	New(t Target) (Scanner, error)
	// Identity is what makes a finding of this scanner the same problem
	// in two runs, for --baseline. The finding's ID, unless the ID holds
	// what changes between runs of the same problem.
	Identity(f *findings.Finding) string
}

// Scanner scans one target.
type Scanner interface {
	// Scan returns the findings, their locations within the target. An
	// error means the scan could not be completed: the gate must not
	// decide on a partial result.
	Scan(ctx context.Context) (*Result, error)
}

// Result is what one scanner run returns. The gate sets the scan's and
// the findings' scanner and target names.
type Result struct {
	Scan     findings.Scan
	Findings []findings.Finding
}

// Env is what the gate shares with every scanner of a run.
type Env struct {
	// Root makes the paths of files the scanners read on the user's
	// behalf (a Dockerfile, a rules file) relative for reports.
	Root findings.Root
	// Matcher matches packages with advisories, offline or online.
	Matcher osv.Matcher
	// Exclude names directories under a scanned directory that are not
	// read.
	Exclude  Exclude
	Progress Progress
	// SecretIDs derives the fingerprints of secrets (keyed, or slow);
	// when nil, each scanner uses an unkeyed one.
	SecretIDs *secretid.Deriver
	// Reach analyzes whether programs reach their Go vulnerabilities; nil
	// when the analysis is off.
	Reach Reachability
}

// Reachability analyzes Go programs for the vulnerability findings made of
// them (package reachability), setting each finding's Reachability.
type Reachability interface {
	// Source analyzes the Go module in dir (its go.mod's directory),
	// which reports call name; fs are that go.mod's Go vulnerability
	// findings and vulns the OSV records they were matched with. It
	// returns warnings for the scan (why a status is unknown).
	Source(ctx context.Context, name, dir string, vulns []*osvschema.Vulnerability, fs []*findings.Finding) []string
	// Binary analyzes the Go binary at path, which reports call name.
	Binary(ctx context.Context, name, path string, vulns []*osvschema.Vulnerability, fs []*findings.Finding) []string
}

// Progress receives short human-readable progress messages ("matching 1,204
// packages against Go, npm"). It may be nil.
type Progress func(msg string)

// Report calls p with msg when p is set.
func (p Progress) Report(msg string) {
	if p != nil {
		p(msg)
	}
}
