package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/secgate/secgate/findings"
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
// one line each, to print on stdout. Denied come first, then warned; within
// a level the policy results about the whole scan (annotations without a
// file, titled by their rule) come first, then the findings in table order.
// At most max annotations are returned (0 means DefaultMaxAnnotations, a
// negative max no limit); when some are left out a last
// "::notice title=secgate::N more ..." line says how many. Waived and
// allowed findings are not annotated. Messages and properties are escaped
// as GitHub's toolkit does (see escapeAnnotationData and
// escapeAnnotationProperty), so no finding text can start another
// workflow command. Secret values are never in findings, so never here.
//
// GitHubAnnotations is GitHubAnnotationsWithOptions with no options.
func GitHubAnnotations(doc *findings.Document, max int) []string {
	return GitHubAnnotationsWithOptions(doc, max, Options{})
}

// GitHubAnnotationsWithOptions is GitHubAnnotations with the options that
// apply: PathPrefix is put in front of the file= paths (as in SARIF), so
// that a scan of a subdirectory annotates the right files.
func GitHubAnnotationsWithOptions(doc *findings.Document, max int, opts Options) []string {
	if doc == nil {
		return nil
	}
	if max == 0 {
		max = DefaultMaxAnnotations
	}
	fs := tableSort(doc.Findings)
	about := findingResults(doc)
	policy := documentLevelResults(doc)

	var all []annotation
	for _, level := range []string{findings.DecisionDeny, findings.DecisionWarn} {
		for _, r := range policy {
			if r.Level == level {
				all = append(all, policyAnnotation(r))
			}
		}
		for _, f := range fs {
			if f.Decision == level {
				all = append(all, findingAnnotation(f, about[f.ID], opts.PathPrefix))
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

func (a annotation) String() string {
	var b strings.Builder
	b.WriteString("::" + a.command)
	for i, p := range a.props {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString(",")
		}
		b.WriteString(p[0] + "=" + escapeAnnotationProperty(p[1]))
	}
	b.WriteString("::" + escapeAnnotationData(a.message))
	return b.String()
}

func annotationCommand(level string) string {
	if level == findings.DecisionDeny {
		return "error"
	}
	return "warning"
}

func findingAnnotation(f findings.Finding, about []levelledResult, pathPrefix string) annotation {
	a := annotation{command: annotationCommand(f.Decision)}
	if path := withPathPrefix(pathPrefix, f.Location.Path); path != "" {
		a.props = append(a.props, [2]string{"file", path})
		if f.Location.Line > 0 {
			a.props = append(a.props, [2]string{"line", strconv.Itoa(f.Location.Line)})
			if f.Location.Column > 0 {
				a.props = append(a.props, [2]string{"col", strconv.Itoa(f.Location.Column)})
			}
		}
	}
	a.props = append(a.props, [2]string{"title", oneLine(ruleID(f)) + " (" + string(severityOf(f.Severity)) + ")"})
	lines := []string{findingSummary(f)}
	if f.Package == nil && f.Location.Path == "" && f.Image != nil && f.Image.Ref != "" {
		lines[0] += " Image: " + oneLine(f.Image.Ref) + "."
	}
	for _, r := range about {
		if r.Level == findings.DecisionDeny || r.Level == findings.DecisionWarn {
			lines = append(lines, policyLine(r.PolicyResult, false))
		}
	}
	a.message = strings.Join(lines, "\n")
	return a
}

func policyAnnotation(r levelledResult) annotation {
	return annotation{
		command: annotationCommand(r.Level),
		props:   [][2]string{{"title", oneLine(policyTitle(r.PolicyResult))}},
		message: policyLine(r.PolicyResult, true),
	}
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
