// Package report writes a decided findings document (package findings) in
// one of several output formats: a terminal table for humans, the JSON
// findings document for machines, SARIF 2.1.0 for GitHub code scanning and
// other SARIF consumers, JUnit XML for CI test reports, GitLab security
// reports (dependency scanning, secret detection, container scanning) and a
// Markdown summary for pull-request comments and GitHub step summaries.
// GitHubAnnotations turns the denied and warned findings into GitHub
// workflow commands.
//
// Each format is an Outputter in its own file (table.go, json.go, sarif.go,
// junit.go, gitlab.go, markdown.go); New is the factory the CLI calls with
// the name the user gave.
//
// Every format is deterministic: the same document gives byte-identical
// output, whatever the order of its findings, scans and policy results.
// Outputs sort what they print, never iterate a map unsorted, and hold no
// machine-specific paths (a document's paths are relative to its report
// root, see findings.Root); the only clock readings are the GitLab
// reports' required scan times, from Options. Each finding is rendered
// through one view (view.go) that every format shares. No Outputter
// modifies the document it is given.
package report

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/secgate/secgate/findings"
)

// Outputter writes a findings document in one format.
type Outputter interface {
	// Output writes doc to w. doc is read only; it is not modified.
	Output(w io.Writer, doc *findings.Document) error
}

// The output format names accepted by New.
const (
	FormatTable           = "table"
	FormatJSON            = "json"
	FormatSARIF           = "sarif"
	FormatJUnit           = "junit"
	FormatGitLab          = "gitlab"           // GitLab dependency scanning report
	FormatGitLabSecrets   = "gitlab-secrets"   // GitLab secret detection report
	FormatGitLabContainer = "gitlab-container" // GitLab container scanning report
	FormatMarkdown        = "markdown"
)

// Formats lists the valid format names, in the order to show them in help.
var Formats = []string{FormatTable, FormatJSON, FormatSARIF, FormatJUnit, FormatGitLab, FormatGitLabSecrets, FormatGitLabContainer, FormatMarkdown}

// Options tunes the outputs. The zero value gives the plain, deterministic
// output suited to CI logs and files.
type Options struct {
	// Width is the terminal width the table must fit in; columns are
	// shortened (with an ellipsis) to fit. 0 means no limit: set it only
	// when writing to a terminal, so that logs and files are never cut.
	Width int

	// Color enables ANSI colors in the table. It is never turned on
	// implicitly: the CLI decides, e.g. with IsTerminal and NO_COLOR.
	Color bool

	// Warn receives warnings about the output that the user should see,
	// such as SARIF results dropped to respect GitHub's limits. May be nil.
	Warn func(msg string)

	// MaxResults caps the number of SARIF results. 0 means
	// DefaultMaxSARIFResults (GitHub's limit); a negative value means no cap.
	MaxResults int

	// PolicyLocation is the file that results about the whole scan
	// point at when their rule names none of the repository: a
	// slash-separated path relative to the report root, typically the
	// configuration file the CLI read. Empty means .secgate.yaml in the
	// scanned directory (or the scanned lockfile); see policyFile.
	PolicyLocation string

	// StartTime and EndTime are when the scan started and finished, for the
	// formats that record them: GitLab security reports require
	// scan.start_time and scan.end_time. A zero StartTime is written as
	// 1970-01-01T00:00:00 and a zero EndTime as the start time, so that
	// output without them (tests, golden files) is deterministic.
	StartTime, EndTime time.Time

	// MaxBytes caps the size of the markdown output: rows that do not fit
	// are replaced by a final "… and N more findings" line. 0 means
	// DefaultMarkdownMaxBytes (1 MiB, GitHub's limit for a step summary);
	// a negative value means no cap. Values under MinMarkdownMaxBytes are
	// raised to it.
	MaxBytes int
}

func (o Options) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

// New returns the Outputter for format, one of Formats (case-insensitive).
func New(format string, opts Options) (Outputter, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case FormatTable:
		return &tableOutputter{opts: opts}, nil
	case FormatJSON:
		return &jsonOutputter{opts: opts}, nil
	case FormatSARIF:
		return &sarifOutputter{opts: opts}, nil
	case FormatJUnit:
		return &junitOutputter{opts: opts}, nil
	case FormatGitLab:
		return &gitlabOutputter{opts: opts, kind: gitlabDependencyScanning}, nil
	case FormatGitLabSecrets:
		return &gitlabOutputter{opts: opts, kind: gitlabSecretDetection}, nil
	case FormatGitLabContainer:
		return &gitlabOutputter{opts: opts, kind: gitlabContainerScanning}, nil
	case FormatMarkdown:
		return &markdownOutputter{opts: opts}, nil
	}
	return nil, fmt.Errorf("unknown output format %q (valid formats: %s)", format, strings.Join(Formats, ", "))
}

// IsTerminal reports whether w is a terminal (including a Cygwin/MSYS
// terminal). The CLI uses it to decide on Options.Color and Options.Width.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fd := f.Fd()
	return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}

var errNilDocument = errors.New("report: nil findings document")

// sortedFindings returns a sorted copy of fs. The order is the one of
// findings.Sort (scanner, path, line, package, rule, ID) with further
// tie-breakers, ending with the finding's JSON encoding, so that the order is
// total and does not depend on the input order.
func sortedFindings(fs []findings.Finding) []findings.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, compareFindings)
	return out
}

func compareFindings(a, b findings.Finding) int {
	if c := cmp.Or(
		findings.Compare(a, b),
		cmp.Compare(decisionRank(a.Decision), decisionRank(b.Decision)),
		cmp.Compare(b.Severity.Rank(), a.Severity.Rank()),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Title, b.Title),
	); c != 0 {
		return c
	}
	return compareJSON(a, b)
}

// sortedScans returns a copy of ss sorted by scanner and target.
func sortedScans(ss []findings.Scan) []findings.Scan {
	out := slices.Clone(ss)
	slices.SortStableFunc(out, func(a, b findings.Scan) int {
		if c := cmp.Or(cmp.Compare(a.Scanner, b.Scanner), cmp.Compare(a.Target, b.Target)); c != 0 {
			return c
		}
		return compareJSON(a, b)
	})
	return out
}

// compareJSON is the last tie-breaker of the sorts: it orders values by their
// JSON encoding, which covers every exported field.
func compareJSON(a, b any) int {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return cmp.Compare(string(ja), string(jb))
}

func pkgKey(p *findings.Package) string {
	if p == nil {
		return ""
	}
	return p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version
}

// decisionRank orders decisions from the most to the least serious: deny,
// warn, waived, allow, then none (the policy did not decide).
func decisionRank(d string) int {
	switch d {
	case findings.DecisionDeny:
		return 0
	case findings.DecisionWarn:
		return 1
	case findings.DecisionWaived:
		return 2
	case findings.DecisionAllow:
		return 3
	}
	return 4
}

// comparePolicyResults orders policy results by finding ID, policy, message
// and finally the rule metadata, so that the order is total.
func comparePolicyResults(a, b findings.PolicyResult) int {
	return cmp.Or(
		cmp.Compare(a.ID, b.ID),
		cmp.Compare(a.Policy, b.Policy),
		cmp.Compare(a.Msg, b.Msg),
		compareRuleMeta(a.Rule, b.Rule),
	)
}

// compareRuleMeta orders rule metadata by content, nil first.
func compareRuleMeta(a, b *findings.RuleMeta) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Or(
		cmp.Compare(a.ID, b.ID),
		cmp.Compare(a.Title, b.Title),
		cmp.Compare(a.Description, b.Description),
		cmp.Compare(a.Severity, b.Severity),
		cmp.Compare(a.Remediation, b.Remediation),
	)
}

// sortedPolicyResults returns a sorted copy of rs; never nil.
func sortedPolicyResults(rs []findings.PolicyResult) []findings.PolicyResult {
	out := slices.Clone(rs)
	slices.SortFunc(out, comparePolicyResults)
	return nonNil(out)
}

// uniquePolicyResults is sortedPolicyResults without exact duplicates
// (equal content, whether or not they share a *RuleMeta).
func uniquePolicyResults(rs []findings.PolicyResult) []findings.PolicyResult {
	return slices.CompactFunc(sortedPolicyResults(rs), func(a, b findings.PolicyResult) bool {
		return comparePolicyResults(a, b) == 0
	})
}

// levelledResult is a policy result with the decision level it came from:
// "deny" or "warn", or "waived" for the results of Decision.Waived (a deny or
// warn about a waived finding; the decision does not say which).
type levelledResult struct {
	Level string // findings.DecisionDeny, DecisionWarn or DecisionWaived
	findings.PolicyResult
}

// documentLevelResults returns the policy results about the document as a
// whole (no finding ID), deny first, each level sorted and without exact
// duplicates. Results whose ID names no finding of the document are included
// too, so that no deny reason is ever lost from a report.
func documentLevelResults(doc *findings.Document) []levelledResult {
	if doc.Decision == nil {
		return nil
	}
	ids := make(map[string]bool, len(doc.Findings))
	for _, f := range doc.Findings {
		ids[f.ID] = true
	}
	var out []levelledResult
	for _, lv := range []struct {
		level string
		rs    []findings.PolicyResult
	}{{findings.DecisionDeny, doc.Decision.Deny}, {findings.DecisionWarn, doc.Decision.Warn}} {
		for _, r := range uniquePolicyResults(lv.rs) {
			if r.ID == "" || !ids[r.ID] {
				out = append(out, levelledResult{Level: lv.level, PolicyResult: r})
			}
		}
	}
	return out
}

// findingResults maps finding IDs to the policy results about them, deny
// results first, then warn, then waived, each level sorted.
func findingResults(doc *findings.Document) map[string][]levelledResult {
	out := map[string][]levelledResult{}
	if doc.Decision == nil {
		return out
	}
	for _, lv := range []struct {
		level string
		rs    []findings.PolicyResult
	}{
		{findings.DecisionDeny, doc.Decision.Deny},
		{findings.DecisionWarn, doc.Decision.Warn},
		{findings.DecisionWaived, doc.Decision.Waived},
	} {
		for _, r := range uniquePolicyResults(lv.rs) {
			if r.ID != "" {
				out[r.ID] = append(out[r.ID], levelledResult{Level: lv.level, PolicyResult: r})
			}
		}
	}
	return out
}

// waivedText says in one line why a waived finding is waived: by its
// waiver (waiverText), or without one by its VEX statement (vexText).
func waivedText(f *findings.Finding) string {
	if f.Waiver == nil && f.VEX != nil {
		return vexText(f.VEX)
	}
	return waiverText(f.Waiver)
}

// vexText describes a VEX statement in one line: "VEX not_affected
// (vulnerable_code_not_in_execute_path): STATEMENT (.vex/app.json)".
func vexText(x *findings.VEX) string {
	s := "VEX " + x.Status
	if x.Justification != "" {
		s += " (" + x.Justification + ")"
	}
	if t := strings.TrimSpace(x.Statement); t != "" {
		s += ": " + t
	}
	return s + " (" + x.Source + ")"
}

// vexJustification is a VEX statement's justification and text: "JUSTIFICATION:
// STATEMENT", either alone, or its status when it has neither.
func vexJustification(x *findings.VEX) string {
	var parts []string
	for _, s := range []string{x.Justification, strings.TrimSpace(x.Statement)} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "the VEX statement says " + x.Status
	}
	return strings.Join(parts, ": ")
}

// waiverText describes a waiver in one line: "REASON (until 2026-06-30,
// owner OWNER)". A nil waiver (a finding decided "waived" without one) is
// "waived (no waiver recorded)".
func waiverText(w *findings.Waiver) string {
	if w == nil {
		return "waived (no waiver recorded)"
	}
	reason := cmp.Or(strings.TrimSpace(w.Reason), "no reason given")
	var when []string
	if e := strings.TrimSpace(w.Expires); e != "" {
		when = append(when, "until "+e)
	}
	if o := strings.TrimSpace(w.Owner); o != "" {
		when = append(when, "owner "+o)
	}
	if len(when) == 0 {
		return reason
	}
	return reason + " (" + strings.Join(when, ", ") + ")"
}

// packageLabel is name@version, or "" for a finding without a package.
func packageLabel(p *findings.Package) string {
	if p == nil {
		return ""
	}
	if p.Version == "" {
		return p.Name
	}
	return p.Name + "@" + p.Version
}

// fixedVersions returns the versions that fix a vulnerability finding.
func fixedVersions(f findings.Finding) []string {
	if f.Vulnerability == nil {
		return nil
	}
	return f.Vulnerability.FixedVersions
}

// severityOf normalizes a severity: anything that is not one of the known
// names counts as unknown.
func severityOf(s findings.Severity) findings.Severity {
	if slices.Contains(findings.Severities, s) {
		return s
	}
	return findings.SeverityUnknown
}

// nonNil returns s, or an empty slice when s is nil, so that JSON encodes it
// as [] and not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// reachTrace is a call stack to vulnerable code, entry point first:
// "accept.main → accept.languages → language.ParseAcceptLanguage".
func reachTrace(r *findings.Reachability) string {
	return strings.Join(r.Trace, " → ")
}

// reachText describes a finding's reachability analysis in a phrase, ""
// when it was not analyzed: "called: accept.main → … → language.Parse",
// "called (binary holds language.Parse)", "imported, no vulnerable symbol
// called", "required, no vulnerable package imported", "unknown: REASON".
func reachText(r *findings.Reachability) string {
	if r == nil {
		return ""
	}
	switch r.Status {
	case findings.ReachCalled:
		if len(r.Trace) > 0 {
			return "called: " + reachTrace(r)
		}
		if len(r.Symbols) > 0 {
			return "called (the binary holds " + strings.Join(r.Symbols, ", ") + ")"
		}
		return "called"
	case findings.ReachImported:
		return "imported, no vulnerable symbol called"
	case findings.ReachRequired:
		return "required, no vulnerable package imported"
	case findings.ReachUnknown:
		if r.Reason != "" {
			return "unknown: " + r.Reason
		}
	}
	return r.Status
}
