package report

import (
	"cmp"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/secgate/secgate/findings"
)

// GitLab security report constants.
const (
	// GitLabSchemaVersion is the version of GitLab's security report
	// schemas (gitlab-org/security-products/security-report-schemas) the
	// gitlab, gitlab-secrets and gitlab-container formats write. Every
	// GitLab release from 16.0 to 18.x accepts 15.0.6; a later revision
	// (15.1, 15.2) is rejected by the releases that predate it (GitLab
	// issues 497405 and 517707). See docs/ci.md.
	GitLabSchemaVersion = "15.0.6"

	gitlabSchemaBase = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v" + GitLabSchemaVersion + "/dist/"

	// gitlabTimeLayout is the schema's "ISO8601 UTC value with format
	// yyyy-mm-ddThh:mm:ss".
	gitlabTimeLayout = "2006-01-02T15:04:05"

	// gitlabNoCommit is the commit SHA of secrets found outside git history
	// (the schema requires one), as GitLab's own secret detection writes.
	gitlabNoCommit = "0000000"

	// Length limits of the schema (in characters).
	gitlabMaxName        = 255
	gitlabMaxDescription = 1 << 20
	gitlabMaxSolution    = 7000
)

type gitlabKind int

const (
	gitlabDependencyScanning gitlabKind = iota
	gitlabSecretDetection
	gitlabContainerScanning
)

// gitlabOutputter writes a GitLab security report (schema
// GitLabSchemaVersion), for artifacts:reports in .gitlab-ci.yml. One file
// holds one report type, so there are three formats:
//
//   - gitlab: a dependency_scanning report of the vulnerability findings
//     with a package that the dependency scanner found, location the
//     lockfile and the package and version; its dependency_files (which
//     the schema requires) is empty, as secgate reports no inventory;
//   - gitlab-secrets: a secret_detection report of the secret findings,
//     of the working tree, git history and images, location the file,
//     line and commit (0000000 outside git history);
//   - gitlab-container: a container_scanning report of the vulnerability
//     findings with a package that the container scanner found in an
//     image, location the image, its operating system (the package's OSV
//     ecosystem) and the package and version.
//
// Every such finding is reported whatever the policy decided (GitLab tracks
// and dismisses vulnerabilities itself); the description states secgate's
// decision, the policy messages and the waiver. Vulnerability ids are the
// finding IDs (stable fingerprints), identifiers the advisory id first, then
// its aliases (type cve, ghsa, cwe, else osv), links the advisory
// references that are URLs. Only the fields the declared schema defines are
// written. Secrets are never written, not even redacted. scan.start_time
// and end_time come from Options.StartTime and EndTime (see Options).
// Misconfiguration findings are in none of the reports: no schema of the
// three has a location for them. See docs/outputs.md.
type gitlabOutputter struct {
	opts Options
	kind gitlabKind
}

type gitlabReport struct {
	Version         string                `json:"version"`
	Schema          string                `json:"schema"`
	Scan            gitlabScan            `json:"scan"`
	Vulnerabilities []gitlabVulnerability `json:"vulnerabilities"`
	// DependencyFiles is required in a dependency_scanning report, and
	// absent from the others.
	DependencyFiles *[]gitlabDependencyFile `json:"dependency_files,omitempty"`
}

type gitlabScan struct {
	Analyzer  gitlabTool `json:"analyzer"`
	Scanner   gitlabTool `json:"scanner"`
	Type      string     `json:"type"`
	StartTime string     `json:"start_time"`
	EndTime   string     `json:"end_time"`
	Status    string     `json:"status"`
}

type gitlabTool struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	URL     string       `json:"url,omitempty"`
	Vendor  gitlabVendor `json:"vendor"`
	Version string       `json:"version"`
}

type gitlabVendor struct {
	Name string `json:"name"`
}

type gitlabVulnerability struct {
	ID          string             `json:"id"`
	Name        string             `json:"name,omitempty"`
	Description string             `json:"description,omitempty"`
	Severity    string             `json:"severity"`
	Solution    string             `json:"solution,omitempty"`
	Identifiers []gitlabIdentifier `json:"identifiers"`
	Links       []gitlabLink       `json:"links,omitempty"`
	Location    any                `json:"location"`
}

type gitlabIdentifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

type gitlabLink struct {
	URL string `json:"url"`
}

type gitlabDependencyLocation struct {
	File       string           `json:"file"`
	Dependency gitlabDependency `json:"dependency"`
}

// gitlabDependencyFile is a dependency file of a dependency_scanning
// report, with all its dependencies; secgate writes none.
type gitlabDependencyFile struct {
	Path           string             `json:"path"`
	PackageManager string             `json:"package_manager"`
	Dependencies   []gitlabDependency `json:"dependencies"`
}

type gitlabContainerLocation struct {
	Image           string           `json:"image"`
	OperatingSystem string           `json:"operating_system"`
	Dependency      gitlabDependency `json:"dependency"`
}

type gitlabDependency struct {
	Package gitlabPackage `json:"package"`
	Version string        `json:"version"`
}

type gitlabPackage struct {
	Name string `json:"name"`
}

type gitlabSecretLocation struct {
	File      string       `json:"file,omitempty"`
	StartLine int          `json:"start_line,omitempty"`
	EndLine   int          `json:"end_line,omitempty"`
	Commit    gitlabCommit `json:"commit"`
}

type gitlabCommit struct {
	SHA    string `json:"sha"`
	Author string `json:"author,omitempty"`
	Date   string `json:"date,omitempty"`
}

func (o *gitlabOutputter) Output(w io.Writer, doc *findings.Document) error {
	if doc == nil {
		return errNilDocument
	}
	return writeJSON(w, o.build(doc))
}

func (o *gitlabOutputter) build(doc *findings.Document) *gitlabReport {
	version := cmp.Or(strings.TrimSpace(doc.Tool.Version), "unknown")
	tool := gitlabTool{ID: "secgate", Name: "secgate", URL: informationURI, Vendor: gitlabVendor{Name: "secgate"}, Version: version}
	start, end := gitlabTimes(o.opts.StartTime, o.opts.EndTime)
	r := &gitlabReport{
		Version: GitLabSchemaVersion,
		Scan: gitlabScan{
			Analyzer: tool, Scanner: tool,
			StartTime: start, EndTime: end, Status: "success",
		},
		Vulnerabilities: []gitlabVulnerability{},
	}
	switch o.kind {
	case gitlabSecretDetection:
		r.Schema = gitlabSchemaBase + "secret-detection-report-format.json"
		r.Scan.Type = "secret_detection"
	case gitlabContainerScanning:
		r.Schema = gitlabSchemaBase + "container-scanning-report-format.json"
		r.Scan.Type = "container_scanning"
	default:
		r.Schema = gitlabSchemaBase + "dependency-scanning-report-format.json"
		r.Scan.Type = "dependency_scanning"
		r.DependencyFiles = &[]gitlabDependencyFile{}
	}

	vs := views(doc, sortedFindings(doc.Findings))
	for i := range vs {
		v := &vs[i]
		packaged := v.Kind == findings.KindVulnerability && v.Package != nil
		inImage := v.Scanner == findings.ScannerContainer
		switch {
		case o.kind == gitlabDependencyScanning && packaged && !inImage:
			r.Vulnerabilities = append(r.Vulnerabilities, packageVulnerability(v, gitlabDependencyLocation{
				File:       cmp.Or(v.file, "unknown"),
				Dependency: gitlabDependencyOf(v.Package),
			}))
		case o.kind == gitlabContainerScanning && packaged && inImage:
			r.Vulnerabilities = append(r.Vulnerabilities, packageVulnerability(v, gitlabContainerLocation{
				Image:           cmp.Or(imageRef(v.Finding), "unknown"),
				OperatingSystem: cmp.Or(strings.TrimSpace(v.Package.Ecosystem), "unknown"),
				Dependency:      gitlabDependencyOf(v.Package),
			}))
		case o.kind == gitlabSecretDetection && v.Kind == findings.KindSecret:
			r.Vulnerabilities = append(r.Vulnerabilities, secretVulnerability(v))
		}
	}
	return r
}

// imageRef is the image a finding is in, as the user named it.
func imageRef(f findings.Finding) string {
	if f.Image != nil && strings.TrimSpace(f.Image.Ref) != "" {
		return strings.TrimSpace(f.Image.Ref)
	}
	return strings.TrimSpace(f.Location.Target)
}

func gitlabDependencyOf(p *findings.Package) gitlabDependency {
	return gitlabDependency{Package: gitlabPackage{Name: p.Name}, Version: p.Version}
}

// gitlabTimes formats the scan's start and end times (see Options).
func gitlabTimes(start, end time.Time) (string, string) {
	if start.IsZero() {
		start = time.Unix(0, 0)
	}
	if end.IsZero() || end.Before(start) {
		end = start
	}
	return start.UTC().Format(gitlabTimeLayout), end.UTC().Format(gitlabTimeLayout)
}

// packageVulnerability is a vulnerability finding with a package, at loc
// (a dependency or a container location).
func packageVulnerability(v *view, loc any) gitlabVulnerability {
	f := v.Finding
	id := v.rule
	name := oneLine(strings.TrimSpace(f.Title))
	details := ""
	if vu := f.Vulnerability; vu != nil {
		name = cmp.Or(oneLine(strings.TrimSpace(vu.Summary)), name)
		details = strings.TrimSpace(vu.Details)
	}
	name = cmp.Or(name, id)

	var desc strings.Builder
	desc.WriteString(cmp.Or(details, name))
	desc.WriteString("\n\n")
	fmt.Fprintf(&desc, "%s (%s). %s", v.headline, v.severity, v.fix)
	if v.Scanner == findings.ScannerContainer {
		writeImagePlace(&desc, f)
	}
	writeGitLabDecision(&desc, v)

	solution := ""
	if fixed := fixedVersions(f); len(fixed) > 0 {
		solution = fmt.Sprintf("Upgrade %s to a fixed version: %s.", f.Package.Name, strings.Join(fixed, ", "))
	}

	return gitlabVulnerability{
		ID:          findingIDOrFingerprint(v),
		Name:        truncate(name, gitlabMaxName),
		Description: truncate(desc.String(), gitlabMaxDescription),
		Severity:    gitlabSeverity(f.Severity),
		Solution:    truncate(solution, gitlabMaxSolution),
		Identifiers: advisoryIdentifiers(f),
		Links:       gitlabLinks(f),
		Location:    loc,
	}
}

// writeImagePlace appends where in the image a package was found: the
// file that lists it and the Dockerfile line that added its layer.
func writeImagePlace(b *strings.Builder, f findings.Finding) {
	b.WriteString(" Found in image " + cmp.Or(oneLine(imageRef(f)), "unknown"))
	if f.Image != nil && f.Image.Path != "" {
		b.WriteString(", " + oneLine(f.Image.Path))
	}
	if d := f.Location.Dockerfile; d != nil && d.Path != "" {
		fmt.Fprintf(b, " (%s", oneLine(d.Path))
		if d.Line > 0 {
			fmt.Fprintf(b, ":%d", d.Line)
		}
		b.WriteString(")")
	}
	b.WriteString(".")
}

func secretVulnerability(v *view) gitlabVulnerability {
	f := v.Finding
	id := v.rule
	name := cmp.Or(oneLine(strings.TrimSpace(f.Title)), id)

	var desc strings.Builder
	fmt.Fprintf(&desc, "%s (rule %s, %s)", name, id, severityOf(f.Severity))
	if v.place != "" {
		fmt.Fprintf(&desc, " in %s", oneLine(v.place))
	}
	if f.Image != nil && f.Image.Ref != "" {
		fmt.Fprintf(&desc, " of image %s", oneLine(f.Image.Ref))
	}
	desc.WriteString(".")
	if s := f.Secret; s != nil && s.Confidence != "" {
		fmt.Fprintf(&desc, " Confidence: %s.", s.Confidence)
	}
	desc.WriteString(" The secret itself is not reported.")
	writeGitLabDecision(&desc, v)

	loc := gitlabSecretLocation{File: v.file, Commit: gitlabCommit{SHA: gitlabNoCommit}}
	if v.line > 0 {
		loc.StartLine, loc.EndLine = v.line, v.line
	}
	if c := f.Commit; c != nil && strings.TrimSpace(c.SHA) != "" {
		loc.Commit = gitlabCommit{SHA: strings.TrimSpace(c.SHA), Author: c.AuthorEmail, Date: c.Date}
	}
	return gitlabVulnerability{
		ID:          findingIDOrFingerprint(v),
		Name:        truncate(name, gitlabMaxName),
		Description: truncate(desc.String(), gitlabMaxDescription),
		Severity:    gitlabSeverity(f.Severity),
		Solution:    "Revoke and rotate the credential, then remove it from the source and from the git history.",
		Identifiers: []gitlabIdentifier{{Type: "gitleaks_rule_id", Name: "Gitleaks rule ID " + id, Value: id}},
		Location:    loc,
	}
}

// writeGitLabDecision appends secgate's decision on a finding to its
// description: the decision, the policy messages and the waiver.
func writeGitLabDecision(b *strings.Builder, v *view) {
	f := v.Finding
	if f.Decision == "" && len(v.about) == 0 {
		return
	}
	fmt.Fprintf(b, "\n\nsecgate decision: %s", cmp.Or(f.Decision, "none"))
	if f.Baseline != "" {
		fmt.Fprintf(b, " (%s since the baseline)", f.Baseline)
	}
	b.WriteString(".")
	for _, r := range v.about {
		fmt.Fprintf(b, "\n- %s: %s", r.Level, policyLine(r.PolicyResult, false))
	}
	if f.Decision == findings.DecisionWaived {
		fmt.Fprintf(b, "\n- waived: %s", oneLine(waivedText(&f)))
	}
}

// gitlabSeverity maps secgate's severities to the schema's.
func gitlabSeverity(s findings.Severity) string {
	switch severityOf(s) {
	case findings.SeverityCritical:
		return "Critical"
	case findings.SeverityHigh:
		return "High"
	case findings.SeverityMedium:
		return "Medium"
	case findings.SeverityLow:
		return "Low"
	}
	return "Unknown"
}

// advisoryIdentifiers are the advisory id (the primary identifier) and its
// aliases, without duplicates.
func advisoryIdentifiers(f findings.Finding) []gitlabIdentifier {
	ids := []string{ruleID(f)}
	if v := f.Vulnerability; v != nil {
		ids = appendNew(ids, v.ID)
		ids = appendNew(ids, v.Aliases...)
	}
	out := make([]gitlabIdentifier, 0, len(ids))
	for _, id := range ids {
		out = append(out, advisoryIdentifier(id))
	}
	return out
}

// advisoryIdentifier types an advisory id by its prefix, with a link to it.
func advisoryIdentifier(id string) gitlabIdentifier {
	esc := url.PathEscape(id)
	upper := strings.ToUpper(id)
	switch {
	case strings.HasPrefix(upper, "CVE-"):
		return gitlabIdentifier{Type: "cve", Name: id, Value: id, URL: "https://nvd.nist.gov/vuln/detail/" + esc}
	case strings.HasPrefix(upper, "GHSA-"):
		return gitlabIdentifier{Type: "ghsa", Name: id, Value: id, URL: "https://github.com/advisories/" + esc}
	case strings.HasPrefix(upper, "CWE-"):
		return gitlabIdentifier{Type: "cwe", Name: id, Value: strings.TrimPrefix(upper, "CWE-"), URL: "https://cwe.mitre.org/data/definitions/" + url.PathEscape(strings.TrimPrefix(upper, "CWE-")) + ".html"}
	}
	return gitlabIdentifier{Type: "osv", Name: id, Value: id, URL: "https://osv.dev/vulnerability/" + esc}
}

// gitlabLinks are the advisory references that are http(s) or ftp URLs.
func gitlabLinks(f findings.Finding) []gitlabLink {
	if f.Vulnerability == nil {
		return nil
	}
	var out []gitlabLink
	for _, ref := range appendNew(nil, f.Vulnerability.References...) {
		if gitlabURL.MatchString(ref) {
			out = append(out, gitlabLink{URL: ref})
		}
	}
	return out
}

// gitlabURL is the schema's pattern for link URLs, "^(https?|ftp)://.+",
// without white space.
var gitlabURL = regexp.MustCompile(`^(https?|ftp)://\S+$`)
