package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/printable"
)

// maxSummaryLines bounds the deny and warn messages the summary prints.
const maxSummaryLines = 10

// writeSummary prints what was scanned, the counts by severity, and the
// decision with its reasons, for a human reading the CI log.
func writeSummary(w io.Writer, doc *findings.Document) {
	for _, s := range doc.Scans {
		say(w, "secgate: %s scan of %s: %s", s.Scanner, scanLabel(s), formatStats(s.Stats))
		for _, warning := range s.Warnings {
			say(w, "secgate: warning: %s scan of %s: %s", s.Scanner, s.Target, warning)
		}
	}
	counts := map[findings.Severity]int{}
	for _, f := range doc.Findings {
		counts[f.Severity]++
	}
	parts := make([]string, 0, len(findings.Severities))
	for _, s := range findings.Severities {
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
	}
	kev := 0
	for _, f := range doc.Findings {
		if v := f.Vulnerability; v != nil && v.KEV != nil {
			kev++
		}
	}
	exploited := ""
	if kev > 0 {
		exploited = fmt.Sprintf("; %d in CISA KEV (known exploited)", kev)
	}
	say(w, "secgate: %s: %s%s", plural(len(doc.Findings), "finding"), strings.Join(parts, ", "), exploited)

	d := doc.Decision
	verdict := "PASS"
	if d.Result == findings.ResultFail {
		verdict = "FAIL"
	}
	// The counts of the table's footer: findings by decision, and apart
	// the results about the whole scan.
	byDecision := map[string]int{}
	for _, f := range doc.Findings {
		byDecision[f.Decision]++
	}
	scanWide := 0
	for _, r := range slices.Concat(d.Deny, d.Warn) {
		if r.ID == "" {
			scanWide++
		}
	}
	more := ""
	if scanWide > 0 {
		more = fmt.Sprintf("; %s about the whole scan", plural(scanWide, "result"))
	}
	waivedCount := ""
	if n := byDecision[findings.DecisionWaived]; n > 0 {
		waivedCount = fmt.Sprintf("%d waived, ", n)
	}
	say(w, "secgate: decision: %s (%d deny, %d warn, %s%d allow%s)", verdict,
		byDecision[findings.DecisionDeny], byDecision[findings.DecisionWarn], waivedCount, byDecision[findings.DecisionAllow], more)
	severity := map[string]findings.Severity{}
	for _, f := range doc.Findings {
		severity[f.ID] = f.Severity
	}
	printResults(w, "deny", bySeverity(d.Deny, severity))
	printResults(w, "warn", bySeverity(d.Warn, severity))
	waived := map[string]*findings.Finding{}
	for i := range doc.Findings {
		if f := &doc.Findings[i]; f.Waiver != nil || f.VEX != nil {
			waived[f.ID] = f
		}
	}
	for i, r := range d.Waived {
		if i == maxSummaryLines {
			say(w, "  ... and %d more waived results (see the report)", len(d.Waived)-i)
			break
		}
		why := ""
		switch f := waived[r.ID]; {
		case f == nil:
		case f.Waiver != nil:
			why = fmt.Sprintf(" [waived until %s: %s]", f.Waiver.Expires, f.Waiver.Reason)
		default:
			why = " [" + vexSummary(f.VEX) + "]"
		}
		say(w, "  waived: %s%s", r.Msg, why)
	}
}

// scanLabel names a scan's target with what of it was read: ". (git history
// after main, rules from .gitleaks.toml)".
func scanLabel(s findings.Scan) string {
	var more []string
	if s.Source != "" {
		more = append(more, s.Source)
	}
	if s.Config != "" {
		more = append(more, "rules from "+s.Config)
	}
	if len(more) == 0 {
		return s.Target
	}
	return s.Target + " (" + strings.Join(more, ", ") + ")"
}

// plural is "1 finding", "2 findings".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// bySeverity orders results for a person: those about the whole scan
// first, then by their finding's severity, most severe first, then by
// message (the report's order is by finding id, a hash).
func bySeverity(rs []findings.PolicyResult, severity map[string]findings.Severity) []findings.PolicyResult {
	out := slices.Clone(rs)
	rank := func(r findings.PolicyResult) int {
		if r.ID == "" {
			return 100
		}
		return severity[r.ID].Rank() // as the table orders them: unknown last
	}
	slices.SortStableFunc(out, func(a, b findings.PolicyResult) int {
		return cmp.Or(cmp.Compare(rank(b), rank(a)), strings.Compare(a.Msg, b.Msg))
	})
	return out
}

func printResults(w io.Writer, label string, rs []findings.PolicyResult) {
	for i, r := range rs {
		if i == maxSummaryLines {
			say(w, "  ... and %d more %s results (see the report)", len(rs)-i, label)
			return
		}
		say(w, "  %s: %s", label, r.Msg)
	}
}

func formatStats(stats map[string]int) string {
	keys := make([]string, 0, len(stats))
	for k := range stats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, stats[k])
	}
	return strings.Join(parts, " ")
}

// progress shows one line of progress on stderr when it is a terminal.
type progress struct {
	w      io.Writer
	active bool
	shown  bool
	start  time.Time
}

func newProgress(w io.Writer, quiet bool) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, active: !quiet && ok && isatty.IsTerminal(f.Fd()), start: time.Now()}
}

// report rewrites the progress line in place: the time since the scan
// began and msg, cut to the terminal's width as it is now (a line that
// wrapped could no longer be rewritten by a carriage return).
func (p *progress) report(msg string) {
	if !p.active {
		return
	}
	line := fmt.Sprintf("[%s] %s", time.Since(p.start).Round(time.Second), printable.Line(msg))
	if width := terminalWidth(p.w); width > 1 {
		line = fitLine(line, width-1) // the last column would wrap on some terminals
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.shown = true
}

// fitLine cuts s to at most n runes, ending it with an ellipsis when cut.
func fitLine(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// terminalWidth is the width of the terminal w writes to, 0 when unknown.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil {
			return width
		}
	}
	return 0
}

// vexSummary says what a finding's VEX statement says, in one line: "VEX
// not_affected (vulnerable_code_not_in_execute_path) in .vex/app.json:
// STATEMENT".
func vexSummary(x *findings.VEX) string {
	s := "VEX " + x.Status
	if x.Justification != "" {
		s += " (" + x.Justification + ")"
	}
	s += " in " + x.Source
	if x.Statement != "" {
		s += ": " + x.Statement
	}
	return s
}
