package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/printable"
)

// DefaultMaxAnnotations is the number of annotations GitHubAnnotations
// writes when given 0: GitHub shows at most 50 annotations per job (and 10
// errors and 10 warnings per step).
const DefaultMaxAnnotations = 50

// GitHubAnnotations returns GitHub Actions workflow commands that annotate
// the denied findings (::error) and the warned ones (::warning), e.g.
//
//	::error file=go.mod,line=12,title=GO-2021-0113 (high)::golang.org/x/text@0.3.5 is affected by GO-2021-0113: ... Fixed in 0.3.7.%0Asecgate.vulnerabilities: ...
//
// one line each, to print on stderr (the runner reads workflow commands from
// both streams; stdout holds the report). Denied come first, then warned; within
// a level the policy results about the whole scan (annotations without a
// file, titled by their rule) come first, then the findings in table order.
// At most max annotations are returned (0 means DefaultMaxAnnotations, a
// negative max no limit); when some are left out a last
// "::notice title=secgate::N more ..." line says how many. Waived and
// allowed findings are not annotated. Messages and properties are escaped
// as GitHub's toolkit does (see escapeAnnotationData and
// escapeAnnotationProperty), so no finding text can start another
// workflow command. file= paths are relative to the report root, as in
// SARIF. Secret values are never in findings, so never here.
func GitHubAnnotations(doc *findings.Document, max int) []string {
	if doc == nil {
		return nil
	}
	if max == 0 {
		max = DefaultMaxAnnotations
	}
	vs := views(doc, tableSort(doc.Findings))
	policy := documentLevelResults(doc)

	var all []annotation
	for _, level := range []string{findings.DecisionDeny, findings.DecisionWarn} {
		for _, r := range policy {
			if r.Level == level {
				all = append(all, policyAnnotation(r))
			}
		}
		for i := range vs {
			if vs[i].Decision == level {
				all = append(all, findingAnnotation(&vs[i]))
			}
		}
	}

	kept := all
	if max > 0 && len(all) > max {
		kept = all[:max]
	}
	out := make([]string, 0, len(kept)+1)
	for _, a := range kept {
		out = append(out, a.String())
	}
	if omitted := all[len(kept):]; len(omitted) > 0 {
		var errs, warns int
		for _, a := range omitted {
			if a.command == "error" {
				errs++
			} else {
				warns++
			}
		}
		var parts []string
		if errs > 0 {
			parts = append(parts, plural(errs, "error", "errors"))
		}
		if warns > 0 {
			parts = append(parts, plural(warns, "warning", "warnings"))
		}
		out = append(out, annotation{
			command: "notice",
			props:   [][2]string{{"title", "secgate"}},
			message: fmt.Sprintf("%s not shown (%s); see the secgate report for all findings.", plural(len(omitted), "more annotation", "more annotations"), strings.Join(parts, ", ")),
		}.String())
	}
	return out
}

// annotation is one workflow command: ::COMMAND PROPS::MESSAGE.
type annotation struct {
	command string      // error, warning, notice
	props   [][2]string // name, value; in order
	message string
}

// String writes the command. Every line of the message and every property
// value is made printable first (input's control and escape sequences
// never reach the log raw), then escaped as GitHub's toolkit does.
func (a annotation) String() string {
	var b strings.Builder
	b.WriteString("::" + a.command)
	for i, p := range a.props {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString(",")
		}
		b.WriteString(p[0] + "=" + escapeAnnotationProperty(printable.Line(p[1])))
	}
	lines := strings.Split(a.message, "\n")
	for i, l := range lines {
		lines[i] = printable.Line(l)
	}
	b.WriteString("::" + escapeAnnotationData(strings.Join(lines, "\n")))
	return b.String()
}

func annotationCommand(level string) string {
	if level == findings.DecisionDeny {
		return "error"
	}
	return "warning"
}

func findingAnnotation(v *view) annotation {
	a := annotation{command: annotationCommand(v.Decision)}
	if v.file != "" {
		a.props = append(a.props, [2]string{"file", v.file})
		if v.line > 0 {
			a.props = append(a.props, [2]string{"line", strconv.Itoa(v.line)})
			if v.column > 0 {
				a.props = append(a.props, [2]string{"col", strconv.Itoa(v.column)})
			}
		}
	}
	a.props = append(a.props, [2]string{"title", oneLine(v.rule) + " (" + string(severityOf(v.Severity)) + ")"})
	lines := []string{v.summary()}
	if v.Package == nil && v.Location.Path == "" && v.Image != nil && v.Image.Ref != "" {
		lines[0] += " Image: " + oneLine(v.Image.Ref) + "."
	}
	for _, r := range v.about {
		if r.Level == findings.DecisionDeny || r.Level == findings.DecisionWarn {
			lines = append(lines, policyLine(r.PolicyResult, false))
		}
	}
	a.message = strings.Join(lines, "\n")
	return a
}

// policyAnnotation annotates a result about the whole scan: at its rule,
// when the rule is in a policy file of the repository; else without a file
// (GitHub shows it on the run).
func policyAnnotation(r levelledResult) annotation {
	a := annotation{command: annotationCommand(r.Level), message: policyLine(r.PolicyResult, true)}
	if l := r.Location; l != nil && l.Path != "" {
		a.props = append(a.props, [2]string{"file", l.Path})
		if l.Line > 0 {
			a.props = append(a.props, [2]string{"line", strconv.Itoa(l.Line)})
		}
	}
	a.props = append(a.props, [2]string{"title", oneLine(policyTitle(r.PolicyResult))})
	return a
}

// escapeAnnotationData escapes a workflow command's message as GitHub's
// toolkit does (@actions/core escapeData): % as %25, CR as %0D, LF as %0A.
func escapeAnnotationData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeAnnotationProperty escapes a property value (file=, title=, ...)
// as GitHub's toolkit does (escapeProperty): as escapeAnnotationData, and
// : as %3A and , as %2C.
func escapeAnnotationProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
