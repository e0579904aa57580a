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

// tableOutputter writes a table for humans, like Trivy's: the rows of
// each target (an image, a lockfile, the other findings of a scanned
// directory) under its heading when there is more than one,
//
//	go.mod
//	======
//	DECISION  SEVERITY  PACKAGE                  ID            TITLE                           FIXED IN  LOCATION
//	deny      high      golang.org/x/text@0.3.5  GO-2021-0113  Out-of-bounds read in golang…   0.3.7     go.mod:12
//
// one row per finding, sorted by decision (deny, warn, waived, allow,
// undecided), severity (critical to unknown), package, ID and location,
// with BASELINE, COMMIT and REACHABILITY columns when a finding has one.
// PACKAGE is name@version, or the location's path for findings without a
// package. The call stacks to vulnerable code, the waived findings with
// their waivers, the policy results about the whole document and a
// one-line total follow.
// Without Options.Width and Options.Color the output is plain text whose
// bytes depend only on the document.
type tableOutputter struct {
	opts Options
}

// column is one column of the table: its header, its cell for a finding,
// the tier in which it shrinks to fit Options.Width (0: never; lower tiers
// first, the widest column of a tier first), and whether a cut keeps its
// end (a path keeps its file name and line).
type column struct {
	name  string
	cell  func(v *view) string
	tier  int
	front func(cell string) bool
}

// tableColumns are the columns of the table for vs: the fixed ones, and
// BASELINE, COMMIT and REACHABILITY when a finding has one.
func tableColumns(vs []view) []column {
	always := func(string) bool { return true }
	cols := []column{
		{name: "DECISION", cell: func(v *view) string { return cmp.Or(v.Decision, "-") }},
		{name: "SEVERITY", cell: func(v *view) string { return severityCell(v.Finding) }},
		{name: "PACKAGE", cell: func(v *view) string { return oneLine(tablePackage(v)) }, tier: 1, front: isPath},
		{name: "ID", cell: func(v *view) string { return oneLine(v.RuleID) }, tier: 3},
		{name: "TITLE", cell: func(v *view) string { return cmp.Or(oneLine(v.title), "-") }, tier: 1},
		{name: "FIXED IN", cell: func(v *view) string { return cmp.Or(oneLine(strings.Join(fixedVersions(v.Finding), ", ")), "-") }, tier: 2},
		{name: "LOCATION", cell: func(v *view) string { return oneLine(v.place) }, tier: 1, front: always},
	}
	has := func(f func(v *view) bool) bool {
		return slices.ContainsFunc(vs, func(v view) bool { return f(&v) })
	}
	if has(func(v *view) bool { return v.Baseline != "" }) {
		cols = append(cols, column{name: "BASELINE", cell: func(v *view) string { return cmp.Or(oneLine(v.Baseline), "-") }})
	}
	if has(func(v *view) bool { return v.Commit != nil }) {
		cols = append(cols, column{name: "COMMIT", cell: func(v *view) string {
			if v.Commit == nil {
				return "-"
			}
			return oneLine(v.Commit.SHA[:min(7, len(v.Commit.SHA))])
		}})
	}
	if has(func(v *view) bool { return v.Reachability != nil }) {
		cols = append(cols, column{name: "REACHABILITY", cell: func(v *view) string { return reachCell(v.Reachability) }, tier: 1})
	}
	return cols
}

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
		o.writeGroups(&buf, vs)
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

// group is the findings of one target of the table: an image, a lockfile,
// or the other findings of a scanned directory.
type group struct {
	heading string
	rows    [][]string
}

// groupOf is the heading a finding is listed under, like Trivy's: the
// image ("app:1.0 (image)"), the lockfile of a dependency finding
// ("services/api/go.mod"), else the target and scanner ("services/api
// (secrets)").
func groupOf(v *view) string {
	switch {
	case v.Image != nil:
		return oneLine(v.Image.Ref) + " (image)"
	case v.Scanner == findings.ScannerDeps:
		return oneLine(v.file)
	}
	return oneLine(cmp.Or(v.Location.Target, ".")) + " (" + oneLine(v.Scanner) + ")"
}

// writeGroups writes the rows of vs under a heading per target (in the
// order of their first rows), every group with the header and the same
// column widths, shortening columns to fit o.opts.Width when it is set.
func (o *tableOutputter) writeGroups(buf *bytes.Buffer, vs []view) {
	cols := tableColumns(vs)
	// At a width the columns cannot fit even shortened, the least needed
	// ones go, in this order: the text of the title, then what only some
	// findings have.
	for _, drop := range []string{"TITLE", "COMMIT", "REACHABILITY", "BASELINE"} {
		if o.opts.Width <= 0 || minWidth(cols, vs) <= o.opts.Width {
			break
		}
		cols = slices.DeleteFunc(cols, func(c column) bool { return c.name == drop })
	}
	o.writeColumns(buf, cols, vs)
}

// minWidth is the narrowest the columns can be for vs: each shrinkable
// one at most minShrinkWidth, the others as wide as their widest cell.
func minWidth(cols []column, vs []view) int {
	total := colGap * (len(cols) - 1)
	for _, c := range cols {
		w := utf8.RuneCountInString(c.name)
		for i := range vs {
			w = max(w, utf8.RuneCountInString(c.cell(&vs[i])))
		}
		if c.tier > 0 {
			w = min(w, minShrinkWidth)
		}
		total += w
	}
	return total
}

// writeColumns writes vs as the table of cols, grouped.
func (o *tableOutputter) writeColumns(buf *bytes.Buffer, cols []column, vs []view) {
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.name
	}
	var groups []*group
	byHeading := map[string]*group{}
	widths := make([]int, len(cols))
	for i, h := range header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for i := range vs {
		h := groupOf(&vs[i])
		g := byHeading[h]
		if g == nil {
			g = &group{heading: h}
			byHeading[h] = g
			groups = append(groups, g)
		}
		row := make([]string, len(cols))
		for j, c := range cols {
			row[j] = c.cell(&vs[i])
			widths[j] = max(widths[j], utf8.RuneCountInString(row[j]))
		}
		g.rows = append(g.rows, row)
	}
	if o.opts.Width > 0 {
		var tiers [][]int
		for tier := 1; tier <= 3; tier++ {
			var in []int
			for i, c := range cols {
				if c.tier == tier {
					in = append(in, i)
				}
			}
			tiers = append(tiers, in)
		}
		fitWidths(widths, o.opts.Width, tiers)
	}
	for gi, g := range groups {
		if gi > 0 {
			buf.WriteString("\n")
		}
		// One target needs no heading: the scan named it.
		if len(groups) > 1 {
			heading := g.heading
			if o.opts.Width > 0 {
				heading = truncateFront(heading, o.opts.Width)
			}
			buf.WriteString(o.paint(heading, ansiBold) + "\n")
			buf.WriteString(strings.Repeat("=", utf8.RuneCountInString(heading)) + "\n")
		}
		o.writeRow(buf, cols, widths, header, true)
		for _, row := range g.rows {
			o.writeRow(buf, cols, widths, row, false)
		}
	}
	buf.WriteString("\n")
}

// writeRow writes one line of aligned cells.
func (o *tableOutputter) writeRow(buf *bytes.Buffer, cols []column, widths []int, row []string, header bool) {
	var line strings.Builder
	for i, cell := range row {
		if !header && cols[i].front != nil && cols[i].front(cell) {
			cell = truncateFront(cell, widths[i])
		} else {
			cell = truncate(cell, widths[i])
		}
		text := cell
		switch {
		case header:
			text = o.paint(cell, ansiBold)
		case cols[i].name == "DECISION":
			text = o.paint(cell, decisionColor(cell))
		case cols[i].name == "SEVERITY":
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
