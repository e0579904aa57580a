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
	// gitlab and gitlab-secrets formats write.
	GitLabSchemaVersion = "15.2.1"

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
)

// gitlabOutputter writes a GitLab security report (schema
// GitLabSchemaVersion), for artifacts:reports in .gitlab-ci.yml. One file
// holds one report type, so there are two formats:
//
//   - gitlab: a dependency_scanning report of the vulnerability findings
//     with a package (dependencies and container images), location the
//     lockfile (or the image path) and the package and version;
//   - gitlab-secrets: a secret_detection report of the secret findings,
//     location the file, line and commit (0000000 outside git history).
//
// Every such finding is reported whatever the policy decided (GitLab tracks
// and dismisses vulnerabilities itself); the description states secgate's
// decision, the policy messages and the waiver. Vulnerability ids are the
// finding IDs (stable fingerprints), identifiers the advisory id first, then
// its aliases (type cve, ghsa, cwe, else osv), links the advisory
// references that are URLs. Secrets are never written, not even redacted.
// scan.start_time and end_time come from Options.StartTime and EndTime
// (see Options). Misconfiguration findings are in neither report. See
// docs/outputs.md.
type gitlabOutputter struct {
	opts Options
	kind gitlabKind
}

type gitlabReport struct {
	Version         string                `json:"version"`
	Schema          string                `json:"schema"`
	Scan            gitlabScan            `json:"scan"`
	Vulnerabilities []gitlabVulnerability `json:"vulnerabilities"`
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
	CVSSVectors []gitlabCVSS       `json:"cvss_vectors,omitempty"`
	Links       []gitlabLink       `json:"links,omitempty"`
	Location    any                `json:"location"`
}

type gitlabIdentifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

type gitlabCVSS struct {
	Vendor string `json:"vendor"`
	Vector string `json:"vector"`
}

type gitlabLink struct {
	URL string `json:"url"`
}

type gitlabDependencyLocation struct {
	File       string           `json:"file"`
	Dependency gitlabDependency `json:"dependency"`
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
	default:
		r.Schema = gitlabSchemaBase + "dependency-scanning-report-format.json"
		r.Scan.Type = "dependency_scanning"
	}

	vs := views(doc, sortedFindings(doc.Findings))
	for i := range vs {
		v := &vs[i]
		switch {
		case o.kind == gitlabDependencyScanning && v.Kind == findings.KindVulnerability && v.Package != nil:
			r.Vulnerabilities = append(r.Vulnerabilities, dependencyVulnerability(v))
		case o.kind == gitlabSecretDetection && v.Kind == findings.KindSecret:
			r.Vulnerabilities = append(r.Vulnerabilities, secretVulnerability(v))
		}
	}
	return r
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

func dependencyVulnerability(v *view) gitlabVulnerability {
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
		CVSSVectors: gitlabCVSSVectors(f.CVSS),
		Links:       gitlabLinks(f),
		Location: gitlabDependencyLocation{
			File: cmp.Or(v.file, "unknown"),
			Dependency: gitlabDependency{
				Package: gitlabPackage{Name: f.Package.Name},
				Version: f.Package.Version,
			},
		},
	}
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
		fmt.Fprintf(b, "\n- waived: %s", oneLine(waiverText(f.Waiver)))
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

// The schema's patterns for CVSS v2 and v3 vectors; other vectors (v4) are
// not written.
var (
	gitlabCVSS2 = regexp.MustCompile(`^((AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))/)*(AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))$`)
	gitlabCVSS3 = regexp.MustCompile(`^CVSS:3[.][01]/((AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])/)*(AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])$`)
)

// gitlabCVSSVectors is the finding's CVSS vector when the schema accepts it.
// Who scored it is not recorded, hence vendor "unknown" (the schema's
// default).
func gitlabCVSSVectors(c *findings.CVSS) []gitlabCVSS {
	if c == nil {
		return nil
	}
	v := strings.TrimSpace(c.Vector)
	n := len(v)
	switch {
	case gitlabCVSS3.MatchString(v) && n >= 32 && n <= 128,
		gitlabCVSS2.MatchString(v) && n >= 16 && n <= 128:
		return []gitlabCVSS{{Vendor: "unknown", Vector: v}}
	}
	return nil
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
