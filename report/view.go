package report

import (
	"cmp"
	"fmt"
	pathpkg "path"
	"regexp"
	"strings"

	"github.com/secgate/secgate/findings"
)

// view is what every format shows of one finding, computed once: where it
// is, in the two forms reports use, what it says, and the policy results
// about it. The formats decide only how to lay it out.
type view struct {
	findings.Finding

	// file, line and column are where CI systems (SARIF, annotations,
	// JUnit, GitLab) point: a slash path relative to the report root. A
	// finding in an image points at its Dockerfile line, or at the stable
	// path image/<name>/<path in the image> (see imageFile).
	file         string
	line, column int
	// where names the finding's place for a person, without the line:
	// the file, or for an image "NAME /path/in/image".
	where string
	// place is where with the line (and column): "sub/app/go.mod:5".
	place string

	rule     string // ruleID
	headline string // "pkg@1.0 is affected by GO-2021-0113", "pkg@1.0: TITLE (RULE)", "RULE"
	title    string // the advisory summary, else the title; "" when it is only the rule id
	severity string // "high, CVSS 7.5"
	fix      string // "Fixed in 0.3.7.", "No fix is available.", "" for non-vulnerabilities
	about    []levelledResult
}

// summary describes the finding in one or two sentences, without its
// location or decision, e.g. "golang.org/x/text@0.3.5 is affected by
// GO-2021-0113: Out-of-bounds read in golang.org/x/text/language. Fixed in
// 0.3.7." or "AWS access key ID (aws-access-key-id)." Never a secret value.
func (v *view) summary() string {
	switch {
	case v.Package != nil && v.isVulnerability():
		s := v.headline
		if v.title != "" {
			s += ": " + strings.TrimSuffix(v.title, ".")
		}
		return s + ". " + v.fix
	case v.Package != nil:
		return v.headline + "."
	case v.title != "":
		return fmt.Sprintf("%s (%s).", strings.TrimSuffix(v.title, "."), v.rule)
	}
	return v.headline + "."
}

// message is the SARIF message of the finding: the headline with the
// severity, the fix, the policy results about it and its waiver, e.g.
// "golang.org/x/text@0.3.5 is affected by GO-2021-0113 (high, CVSS 7.5).
// Fixed in 0.3.7. Policy secgate.vulnerabilities (deny): ..."
func (v *view) message() string {
	var b strings.Builder
	switch {
	case v.Package != nil && v.isVulnerability():
		fmt.Fprintf(&b, "%s (%s). %s", v.headline, v.severity, v.fix)
		if r := reachText(v.Reachability); r != "" {
			fmt.Fprintf(&b, " Reachability: %s.", r)
		}
	case v.Package != nil:
		fmt.Fprintf(&b, "%s: %s (%s, %s).", packageLabel(v.Package), cmp.Or(v.title, v.rule), v.rule, v.severity)
	case v.title != "":
		fmt.Fprintf(&b, "%s (%s, %s).", v.title, v.rule, v.severity)
	default:
		fmt.Fprintf(&b, "%s (%s).", v.rule, v.severity)
	}
	for _, r := range v.about {
		b.WriteString(" Policy")
		if r.Policy != "" {
			b.WriteString(" " + r.Policy)
		}
		fmt.Fprintf(&b, " (%s): %s", r.Level, withRemediation(strings.TrimSpace(r.Msg), r.Rule))
	}
	if v.Decision == findings.DecisionWaived {
		if !strings.HasSuffix(b.String(), ".") {
			b.WriteString(".")
		}
		b.WriteString(" Waived: " + waivedText(&v.Finding))
	}
	return b.String()
}

func (v *view) isVulnerability() bool {
	return v.Vulnerability != nil || v.Kind == findings.KindVulnerability
}

// views returns the views of doc's findings, in the order of fs (a sorted
// copy of doc.Findings).
func views(doc *findings.Document, fs []findings.Finding) []view {
	kinds := targetKinds(doc)
	about := findingResults(doc)
	out := make([]view, len(fs))
	for i, f := range fs {
		v := &out[i]
		v.Finding = f
		v.file, v.line, v.column, v.where = place(f, kinds[f.Location.Target])
		v.place = v.where
		if v.line > 0 {
			v.place += fmt.Sprintf(":%d", v.line)
			if v.column > 0 {
				v.place += fmt.Sprintf(":%d", v.column)
			}
		}
		v.rule = ruleID(f)
		v.severity = severityText(f)
		v.about = about[f.ID]
		title := oneLine(strings.TrimSpace(f.Title))
		if vu := f.Vulnerability; vu != nil && strings.TrimSpace(vu.Summary) != "" {
			title = oneLine(strings.TrimSpace(vu.Summary))
		}
		if title == v.rule {
			title = ""
		}
		v.title = title
		switch {
		case f.Package != nil && v.isVulnerability():
			v.headline = fmt.Sprintf("%s is affected by %s", packageLabel(f.Package), v.rule)
			v.fix = "No fix is available."
			if fixed := fixedVersions(f); len(fixed) > 0 {
				v.fix = "Fixed in " + strings.Join(fixed, ", ") + "."
			}
		case f.Package != nil:
			v.headline = fmt.Sprintf("%s: %s (%s)", packageLabel(f.Package), strings.TrimSuffix(cmp.Or(title, v.rule), "."), v.rule)
		default:
			v.headline = v.rule
		}
	}
	return out
}

// targetKinds maps the document's target names to their kinds.
func targetKinds(doc *findings.Document) map[string]string {
	out := make(map[string]string, len(doc.Scans))
	for _, s := range doc.Scans {
		out[s.Target] = s.Kind
	}
	return out
}

// place renders a finding's location: the file CI systems open, its line
// and column, and the place a person reads (see view). kind is the kind of
// the finding's target ("" for documents without targets: the path is
// then taken as it is).
func place(f findings.Finding, kind string) (file string, line, column int, where string) {
	loc := f.Location
	if d := loc.Dockerfile; d != nil {
		return d.Path, d.Line, 0, d.Path
	}
	switch {
	case kind == findings.TargetImage || (kind == "" && f.Image != nil && loc.Target != ""):
		where = loc.Target
		if loc.Path != "" {
			where += " /" + loc.Path
		}
		return imageFile(loc.Target, loc.Path), loc.Line, loc.Column, where
	case kind == findings.TargetFile:
		file = pathpkg.Join(pathpkg.Dir(loc.Target), loc.Path)
	case loc.Target != "" && loc.Path != "":
		file = pathpkg.Join(loc.Target, loc.Path)
	default:
		file = loc.Path
	}
	return file, loc.Line, loc.Column, file
}

var unsafePathChars = regexp.MustCompile(`[^A-Za-z0-9._/-]+`)

// imageFile is the stable, relative path CI systems get for a file in an
// image scanned without its Dockerfile: image/<name>/<path>, unsafe
// characters of the name replaced by "_". GitHub code scanning keys alerts
// on it, so it must not change between runs; the name's local paths are
// relative to the report root already.
func imageFile(name, p string) string {
	loc := "image/" + strings.Trim(unsafePathChars.ReplaceAllString(name, "_"), "/")
	if p = strings.TrimPrefix(p, "/"); p != "" {
		loc += "/" + p
	}
	return loc
}

// policyFile is where results about the whole scan point, when their rule
// names no file of the repository: Options.PolicyLocation (the
// configuration file the CLI read), else .secgate.yaml in the scanned
// directory (where secgate's configuration goes), or the scanned lockfile.
func policyFile(doc *findings.Document, opts Options) string {
	if opts.PolicyLocation != "" {
		return opts.PolicyLocation
	}
	for _, s := range doc.Scans {
		switch s.Kind {
		case findings.TargetFile:
			return s.Target
		case findings.TargetDirectory:
			return pathpkg.Join(s.Target, configFile)
		}
	}
	return configFile
}

// configFile is secgate's configuration file, in the scanned directory.
const configFile = ".secgate.yaml"

// policyPlace is where a result about the whole scan points: its rule's
// file and line, else line 1 of policyFile.
func policyPlace(r findings.PolicyResult, fallback string) (string, int) {
	if l := r.Location; l != nil && l.Path != "" {
		return l.Path, max(l.Line, 1)
	}
	return fallback, 1
}
