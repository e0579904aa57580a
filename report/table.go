package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/printable"
)

// tableOutputter writes a table for humans:
//
//	DECISION  SEVERITY  PACKAGE                   ID            FIXED IN  LOCATION
//	deny      high      golang.org/x/text@v0.3.5  GO-2021-0113  0.3.7     go.mod:12
//
// one row per finding, sorted by decision (deny, warn, waived, allow,
// undecided), severity (critical to unknown), package, ID and location.
// PACKAGE is name@version, or the location's path for findings without a
// package. The waived findings follow with their waivers' reasons, expiry
// dates and owners, then the policy results about the whole document, then
// a one-line total.
// Without Options.Width and Options.Color the output is plain text whose
// bytes depend only on the document.
type tableOutputter struct {
	opts Options
}

var tableHeader = []string{"DECISION", "SEVERITY", "PACKAGE", "ID", "FIXED IN", "LOCATION"}

// Column indices, and the columns that may be shortened to fit Options.Width,
// in tiers: the widest column of a tier shrinks first, and a tier is used only
// when the ones before it cannot shrink further. IDs shrink last.
const (
	colDecision = iota
	colSeverity
	colPackage
	colID
	colFixed
	colLocation
)

var shrinkable = [][]int{{colPackage, colLocation}, {colFixed}, {colID}}

const (
	colGap         = 2  // spaces between columns
	minShrinkWidth = 10 // a shortened column keeps at least this many runes
	ellipsis       = "…"
)

func (o *tableOutputter) Output(w io.Writer, doc *findings.Document) error {
	if doc == nil {
		return errNilDocument
	}
	var buf bytes.Buffer
	fs := tableSort(doc.Findings)
	vs := views(doc, fs)
	if len(vs) > 0 {
		reach := slices.ContainsFunc(vs, func(v view) bool { return v.Reachability != nil })
		rows := make([][]string, 0, len(vs)+1)
		rows = append(rows, tableHeader)
		if reach {
			rows[0] = append(slices.Clip(tableHeader), "REACHABILITY")
		}
		for i := range vs {
			row := tableRow(&vs[i])
			if reach {
				row = append(row, reachCell(vs[i].Reachability))
			}
			rows = append(rows, row)
		}
		o.writeRows(&buf, rows)
		buf.WriteString("\n")
	}
	if lines := traceLines(vs); len(lines) > 0 {
		buf.WriteString("Calls to vulnerable code:\n")
		for _, l := range lines {
			buf.WriteString("  " + l + "\n")
		}
		buf.WriteString("\n")
	}
	if lines := waivedLines(vs); len(lines) > 0 {
		buf.WriteString("Waived findings:\n")
		for _, l := range lines {
			buf.WriteString("  " + l + "\n")
		}
		buf.WriteString("\n")
	}
	if rs := documentLevelResults(doc); len(rs) > 0 {
		buf.WriteString("Policy results about the whole scan:\n")
		for _, r := range rs {
			fmt.Fprintf(&buf, "  %s  %s\n", o.paint(r.Level, decisionColor(r.Level)), policyLine(r.PolicyResult, true))
		}
		buf.WriteString("\n")
	}
	buf.WriteString(o.summary(doc, fs))
	buf.WriteString("\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// tableSort returns the findings in table order: decision, severity,
// package, rule, then the order of findings.Sort.
func tableSort(fs []findings.Finding) []findings.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b findings.Finding) int {
		return cmp.Or(
			cmp.Compare(decisionRank(a.Decision), decisionRank(b.Decision)),
			cmp.Compare(severityOf(b.Severity).Rank(), severityOf(a.Severity).Rank()),
			cmp.Compare(subjectKey(a), subjectKey(b)),
			cmp.Compare(a.RuleID, b.RuleID),
			compareFindings(a, b),
		)
	})
	return out
}

// subjectKey is what the table's PACKAGE column sorts by: name@version, or
// the finding's target and path.
func subjectKey(f findings.Finding) string {
	if f.Package != nil {
		return packageLabel(f.Package)
	}
	return f.Location.Target + "\x00" + f.Location.Path
}

// waivedLines describes the waived findings, in table order:
// "GHSA-jf85-cpcp-j695  lodash@4.17.11: REASON (until 2026-06-30, owner OWNER)".
func waivedLines(vs []view) []string {
	var out []string
	for i := range vs {
		if v := &vs[i]; v.Decision == findings.DecisionWaived {
			out = append(out, fmt.Sprintf("%s  %s: %s", oneLine(v.RuleID), oneLine(tablePackage(v)), oneLine(waivedText(&v.Finding))))
		}
	}
	return out
}

// reachCell is the REACHABILITY column: the status ("called", "imported",
// "required", "unknown"), "-" for a finding that was not analyzed.
func reachCell(r *findings.Reachability) string {
	if r == nil {
		return "-"
	}
	return oneLine(r.Status)
}

// traceLines are the call stacks to vulnerable code, in table order:
// "GO-2021-0113  golang.org/x/text@0.3.5: accept.main → … → language.Parse".
func traceLines(vs []view) []string {
	var out []string
	for i := range vs {
		if v := &vs[i]; v.Reachability != nil && len(v.Reachability.Trace) > 0 {
			out = append(out, fmt.Sprintf("%s  %s: %s", oneLine(v.RuleID), oneLine(v.place), oneLine(reachTrace(v.Reachability))))
		}
	}
	return out
}

// tablePackage is name@version, or the finding's place (without the line)
// for findings without a package.
func tablePackage(v *view) string {
	if v.Package != nil {
		return packageLabel(v.Package)
	}
	return v.where
}

func tableRow(v *view) []string {
	decision := v.Decision
	if decision == "" {
		decision = "-"
	}
	fixed := strings.Join(fixedVersions(v.Finding), ", ")
	if fixed == "" {
		fixed = "-"
	}
	return []string{
		decision,
		severityCell(v.Finding),
		oneLine(tablePackage(v)),
		oneLine(v.RuleID),
		oneLine(fixed),
		oneLine(v.place),
	}
}

// writeRows writes rows (the first is the header) as aligned columns,
// shortening columns to fit o.opts.Width when it is set.
func (o *tableOutputter) writeRows(buf *bytes.Buffer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	if o.opts.Width > 0 {
		tiers := shrinkable
		if len(widths) > len(tableHeader) { // REACHABILITY: shrinks with the widest
			tiers = append([][]int{append(slices.Clone(shrinkable[0]), len(tableHeader))}, shrinkable[1:]...)
		}
		fitWidths(widths, o.opts.Width, tiers)
	}
	for r, row := range rows {
		var line strings.Builder
		for i, cell := range row {
			if r > 0 && (i == colLocation || i == colPackage && isPath(cell)) {
				cell = truncateFront(cell, widths[i]) // keep the file name
			} else {
				cell = truncate(cell, widths[i])
			}
			text := cell
			switch {
			case r == 0:
				text = o.paint(cell, ansiBold)
			case i == colDecision:
				text = o.paint(cell, decisionColor(cell))
			case i == colSeverity:
				sev, _, _ := strings.Cut(cell, " ") // "medium KEV"
				text = o.paint(cell, severityColor(findings.Severity(sev)))
			}
			line.WriteString(text)
			if i < len(row)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+colGap))
			}
		}
		buf.WriteString(strings.TrimRight(line.String(), " "))
		buf.WriteString("\n")
	}
}

// fitWidths shrinks the shrinkable columns until the table fits in width or
// no column can shrink further.
func fitWidths(widths []int, width int, shrinkable [][]int) {
	total := colGap * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	for _, tier := range shrinkable {
		for ; total > width; total-- {
			best := -1
			for _, c := range tier {
				if widths[c] > minShrinkWidth && (best < 0 || widths[c] > widths[best]) {
					best = c
				}
			}
			if best < 0 {
				break
			}
			widths[best]--
		}
	}
}

// truncate shortens s to at most n runes, ending it with an ellipsis when
// cut; n <= 0 means no limit.
func truncate(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + ellipsis
}

// truncateFront shortens s to at most n runes from the front, starting it
// with an ellipsis when cut, so that a path keeps its file name and line:
// "…/services/api/go.mod:12".
func truncateFront(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return ellipsis + string(r[len(r)-(n-1):])
}

// isPath reports whether a PACKAGE cell is a place (a finding without a
// package: "config/prod.env", "NAME /etc/app.conf") rather than
// name@version.
func isPath(cell string) bool {
	return strings.Contains(cell, "/") && !strings.Contains(cell, "@")
}

// oneLine replaces line breaks and tabs, which would break the table, and
// makes the rest printable: input's control and escape sequences never
// reach a terminal raw.
func oneLine(s string) string {
	return printable.Line(lineBreaks.Replace(s))
}

var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ")

// summary is the one-line total, e.g.
// "5 findings: 2 deny, 1 warn, 2 allow (1 critical, 2 high, 2 unknown). Result: FAIL."
// Waived findings are counted after warn ("1 warn, 2 waived, 2 allow") when
// there are any, undecided ones at the end.
func (o *tableOutputter) summary(doc *findings.Document, fs []findings.Finding) string {
	var s strings.Builder
	if len(fs) == 0 {
		s.WriteString("No findings.")
	} else {
		decisions := map[string]int{}
		severities := map[findings.Severity]int{}
		for _, f := range fs {
			decisions[f.Decision]++
			severities[severityOf(f.Severity)]++
		}
		noun := "findings"
		if len(fs) == 1 {
			noun = "finding"
		}
		fmt.Fprintf(&s, "%d %s: %d deny, %d warn", len(fs), noun, decisions[findings.DecisionDeny], decisions[findings.DecisionWarn])
		if n := decisions[findings.DecisionWaived]; n > 0 {
			fmt.Fprintf(&s, ", %d waived", n)
		}
		fmt.Fprintf(&s, ", %d allow", decisions[findings.DecisionAllow])
		decided := decisions[findings.DecisionDeny] + decisions[findings.DecisionWarn] + decisions[findings.DecisionWaived] + decisions[findings.DecisionAllow]
		if n := len(fs) - decided; n > 0 {
			fmt.Fprintf(&s, ", %d undecided", n)
		}
		var sev []string
		for _, sv := range findings.Severities {
			if n := severities[sv]; n > 0 {
				sev = append(sev, fmt.Sprintf("%d %s", n, sv))
			}
		}
		fmt.Fprintf(&s, " (%s).", strings.Join(sev, ", "))
	}
	if doc.Decision != nil {
		result := strings.ToUpper(doc.Decision.Result)
		color := ansiGreen
		if doc.Decision.Result != findings.ResultPass {
			color = ansiBoldRed
		}
		fmt.Fprintf(&s, " Result: %s.", o.paint(result, color))
	}
	return s.String()
}

// ANSI SGR sequences used when Options.Color is set.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiBoldRed = "\x1b[1;31m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiBlue    = "\x1b[34m"
	ansiMagenta = "\x1b[35m"
	ansiCyan    = "\x1b[36m"
)

func (o *tableOutputter) paint(s, color string) string {
	if !o.opts.Color || color == "" || s == "" {
		return s
	}
	return color + s + ansiReset
}

func decisionColor(d string) string {
	switch d {
	case findings.DecisionDeny:
		return ansiBoldRed
	case findings.DecisionWarn:
		return ansiYellow
	case findings.DecisionWaived:
		return ansiCyan
	case findings.DecisionAllow:
		return ansiGreen
	}
	return ""
}

func severityColor(s findings.Severity) string {
	switch s {
	case findings.SeverityCritical:
		return ansiMagenta
	case findings.SeverityHigh:
		return ansiRed
	case findings.SeverityMedium:
		return ansiYellow
	case findings.SeverityLow:
		return ansiBlue
	}
	return ""
}
