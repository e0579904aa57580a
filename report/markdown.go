package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/secgate/secgate/findings"
)

// Markdown output constants.
const (
	// MarkdownMarker is the first line of the markdown output, a hidden
	// HTML comment by which a pull-request bot finds its earlier comment to
	// update it.
	MarkdownMarker = "<!-- secgate -->"

	// DefaultMarkdownMaxBytes is the default cap on the markdown output:
	// GitHub's limit for one step's summary ($GITHUB_STEP_SUMMARY).
	DefaultMarkdownMaxBytes = 1 << 20

	// MinMarkdownMaxBytes is the smallest cap honoured: the banner, the
	// counts and the final line must fit.
	MinMarkdownMaxBytes = 1 << 10
)

// Widths (in runes) beyond which markdown cells and list items are cut.
const (
	mdMaxCell = 200
	mdMaxItem = 1000
)

// markdownOutputter writes a summary for humans, meant for pull-request
// comments and GitHub step summaries:
//
//	<!-- secgate -->
//	### ❌ secgate: FAIL — 3 denied, 1 warning, 1 waived · 2 policy failures, 1 policy warning
//
// then a table of counts by decision and severity, the policy results about
// the whole scan, the findings table (decision, severity, rule — linked to
// osv.dev for advisories —, package and location, fixed in; a Baseline
// column when the scan was compared with a baseline) in table order, deny
// first, and the waived findings with their waivers. Text from findings and
// policies is escaped (|, backticks, emphasis, brackets, angle brackets,
// line breaks), so it cannot break the table or inject markup.
//
// The output is at most Options.MaxBytes long (DefaultMarkdownMaxBytes):
// the lines that do not fit are left out and the last line says how many
// findings are missing. See docs/outputs.md.
type markdownOutputter struct {
	opts Options
}

func (o *markdownOutputter) Output(w io.Writer, doc *findings.Document) error {
	if doc == nil {
		return errNilDocument
	}
	fs := tableSort(doc.Findings)
	vs := views(doc, fs)
	policy := documentLevelResults(doc)

	limit := o.opts.MaxBytes
	switch {
	case limit == 0:
		limit = DefaultMarkdownMaxBytes
	case limit > 0 && limit < MinMarkdownMaxBytes:
		limit = MinMarkdownMaxBytes
	}
	mw := &mdWriter{limit: limit}
	mw.reserve = len(mdFooter(len(fs), limit))

	mw.line(MarkdownMarker)
	mw.line(markdownBanner(doc, fs, policy))
	mw.line("")
	if len(fs) == 0 {
		mw.line("No findings.")
		mw.line("")
	} else {
		for _, l := range markdownCounts(fs) {
			mw.line(l)
		}
		mw.line("")
	}

	if len(policy) > 0 {
		mw.line("**Policy results about the whole scan**")
		mw.line("")
		for _, r := range policy {
			mw.line("- " + decisionBadge(r.Level) + " " + mdEscape(truncate(policyLine(r.PolicyResult, true), mdMaxItem)))
		}
		mw.line("")
	}

	written := 0
	if len(fs) > 0 {
		baseline := hasBaseline(fs)
		reach := slices.ContainsFunc(fs, func(f findings.Finding) bool { return f.Reachability != nil })
		mw.line("**Findings**")
		mw.line("")
		header, sep := "| Decision | Severity | Rule | Package / location | Fixed in |", "| --- | --- | --- | --- | --- |"
		if baseline {
			header, sep = header+" Baseline |", sep+" --- |"
		}
		if reach {
			header, sep = header+" Reachability |", sep+" --- |"
		}
		mw.line(header)
		mw.line(sep)
		for i := range vs {
			if !mw.line(markdownRow(&vs[i], baseline, reach)) {
				break
			}
			written++
		}
		mw.line("")
	}

	var waived []string
	for i := range vs {
		if v := &vs[i]; v.Decision == findings.DecisionWaived {
			waived = append(waived, fmt.Sprintf("- %s %s: %s", mdEscape(v.rule), mdEscape(markdownSubject(v)), mdEscape(truncate(oneLine(waivedText(&v.Finding)), mdMaxItem))))
		}
	}
	if len(waived) > 0 {
		mw.line("**Waived findings**")
		mw.line("")
		for _, l := range waived {
			mw.line(l)
		}
		mw.line("")
	}

	out := mw.buf.Bytes()
	if mw.cut {
		out = append(out, mdFooter(len(fs)-written, limit)...)
	} else {
		out = bytes.TrimSuffix(out, []byte("\n")) // the last blank line
	}
	_, err := w.Write(out)
	return err
}

// mdWriter writes lines while they fit in limit bytes, keeping reserve
// bytes for the final line; after the first line that does not fit it
// writes nothing more.
type mdWriter struct {
	buf     bytes.Buffer
	limit   int // < 0: no limit
	reserve int
	cut     bool
}

func (w *mdWriter) line(s string) bool {
	if w.cut {
		return false
	}
	if w.limit >= 0 && w.buf.Len()+len(s)+1+w.reserve > w.limit {
		w.cut = true
		return false
	}
	w.buf.WriteString(s)
	w.buf.WriteByte('\n')
	return true
}

// mdFooter is the last line of a cut summary.
func mdFooter(omitted, limit int) string {
	if omitted > 0 {
		return fmt.Sprintf("\n_… and %s: this summary was cut to %d bytes; see the full report._\n", plural(omitted, "more finding", "more findings"), limit)
	}
	return fmt.Sprintf("\n_… this summary was cut to %d bytes; see the full report._\n", limit)
}

// markdownBanner is the heading: the result and the counts, e.g.
// "### ❌ secgate: FAIL — 3 denied, 1 warning, 1 waived · 2 policy failures".
func markdownBanner(doc *findings.Document, fs []findings.Finding, policy []levelledResult) string {
	icon, result := "❔", "NO DECISION"
	if doc.Decision != nil {
		switch doc.Decision.Result {
		case findings.ResultPass:
			icon, result = "✅", "PASS"
		case findings.ResultFail:
			icon, result = "❌", "FAIL"
		default:
			result = strings.ToUpper(mdEscape(oneLine(doc.Decision.Result)))
		}
	}
	decisions := map[string]int{}
	news := 0
	for _, f := range fs {
		decisions[f.Decision]++
		if isNew(f) {
			news++
		}
	}
	var parts []string
	if len(fs) == 0 {
		parts = append(parts, "no findings")
	} else {
		parts = append(parts, fmt.Sprintf("%d denied", decisions[findings.DecisionDeny]), plural(decisions[findings.DecisionWarn], "warning", "warnings"))
		if n := decisions[findings.DecisionWaived]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d waived", n))
		}
		if hasBaseline(fs) {
			parts = append(parts, fmt.Sprintf("%d new", news))
		}
	}
	s := fmt.Sprintf("### %s secgate: %s — %s", icon, result, strings.Join(parts, ", "))
	levels := map[string]int{}
	for _, r := range policy {
		levels[r.Level]++
	}
	var pol []string
	if n := levels[findings.DecisionDeny]; n > 0 {
		pol = append(pol, plural(n, "policy failure", "policy failures"))
	}
	if n := levels[findings.DecisionWarn]; n > 0 {
		pol = append(pol, plural(n, "policy warning", "policy warnings"))
	}
	if len(pol) > 0 {
		s += " · " + strings.Join(pol, ", ")
	}
	return s
}

// markdownCounts is the table of findings by decision and severity.
func markdownCounts(fs []findings.Finding) []string {
	type key struct {
		decision string
		severity findings.Severity
	}
	counts := map[key]int{}
	rows := map[string]int{}
	cols := map[findings.Severity]int{}
	for _, f := range fs {
		sev := severityOf(f.Severity)
		counts[key{f.Decision, sev}]++
		rows[f.Decision]++
		cols[sev]++
	}
	header := "| Decision |"
	sep := "| --- |"
	for _, sev := range findings.Severities {
		header += " " + strings.ToUpper(string(sev[:1])) + string(sev[1:]) + " |"
		sep += " ---: |"
	}
	out := []string{header + " Total |", sep + " ---: |"}
	for _, d := range []string{findings.DecisionDeny, findings.DecisionWarn, findings.DecisionWaived, findings.DecisionAllow, ""} {
		if rows[d] == 0 {
			continue
		}
		row := "| " + decisionBadge(d) + " |"
		for _, sev := range findings.Severities {
			row += fmt.Sprintf(" %d |", counts[key{d, sev}])
		}
		out = append(out, row+fmt.Sprintf(" %d |", rows[d]))
	}
	row := "| **Total** |"
	for _, sev := range findings.Severities {
		row += fmt.Sprintf(" %d |", cols[sev])
	}
	return append(out, row+fmt.Sprintf(" %d |", len(fs)))
}

// decisionBadge is a decision as shown in the summary.
func decisionBadge(d string) string {
	switch d {
	case findings.DecisionDeny:
		return "❌ deny"
	case findings.DecisionWarn:
		return "⚠️ warn"
	case findings.DecisionWaived, findings.DecisionAllow:
		return d
	case "":
		return "undecided"
	}
	return mdEscape(oneLine(d))
}

func markdownRow(v *view, baseline, reach bool) string {
	rule := mdEscape(truncate(oneLine(v.rule), mdMaxCell))
	if v.Kind == findings.KindVulnerability && v.Vulnerability != nil {
		rule = "[" + rule + "](https://osv.dev/vulnerability/" + url.PathEscape(v.rule) + ")"
	}
	fixed := strings.Join(fixedVersions(v.Finding), ", ")
	sev := string(severityOf(v.Severity))
	if kevOf(v.Finding) != nil {
		sev += " **" + kevMarker + "**"
	}
	cells := []string{
		decisionBadge(v.Decision),
		sev,
		rule,
		mdCell(truncate(markdownSubject(v), mdMaxCell)),
		mdCell(truncate(oneLine(fixed), mdMaxCell)),
	}
	if baseline {
		cells = append(cells, mdCell(oneLine(v.Baseline)))
	}
	if reach {
		cells = append(cells, mdCell(truncate(oneLine(cmp.Or(reachText(v.Reachability), "-")), mdMaxCell)))
	}
	return "| " + strings.Join(cells, " | ") + " |"
}

// markdownSubject is what a finding is about: "pkg@version (path:line)", or
// "path:line" for findings without a package.
func markdownSubject(v *view) string {
	loc := oneLine(v.place)
	if v.Package == nil {
		return loc
	}
	pkg := oneLine(packageLabel(v.Package))
	if loc == "" {
		return pkg
	}
	return pkg + " (" + loc + ")"
}
